import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { pgAdmin } from "../../../test/support/harness.ts";
import { openDatabase, type DbHandle } from "../platform/db.ts";
import { migrateToLatest } from "../platform/migrate.ts";
import { postgresIndex, tsquery, type MatchPlan } from "./postgres-index.ts";
import { parseQuery } from "./text.ts";
import type { RankKey, SearchIndex } from "./search-index.ts";
import type { SearchKind } from "./schema.ts";
import type { SearchDoc } from "./sources.ts";

/**
 * PostgreSQL search picks its plan from a measurement of the newest entries (postgres-index.ts,
 * newestMatches). Whichever of its four ways answers a query, the results must be exactly what the
 * plain statement gives: the CANDIDATES newest matches, ranked. Small window and candidate counts
 * make each way happen on 2,000 entries.
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const ENTRIES = 2000;

describe("PostgreSQL search plans", { skip: !pgUrl && "PostgreSQL only (TEST_DATABASE_URL)" }, () => {
  const schema = `t_search_plans_${process.pid}`;
  let h: DbHandle;
  let index: SearchIndex;
  const plans: MatchPlan[] = [];

  before(async () => {
    await pgAdmin(pgUrl!, `create schema ${schema}`);
    h = openDatabase({ kind: "postgres", url: pgUrl!, schema });
    await migrateToLatest(h.db);
    index = postgresIndex(h.db, h.searchDb, { window: 40, candidates: 10, onPlan: (p) => plans.push(p) });
    // Words by share of entries: `alpha` in half (the newest 40 hold 10+ of them), `beta` in one in 8,
    // `delta` in one in 40, `gamma` only in the oldest entries; titles or bodies, so scores differ.
    const docs: SearchDoc[] = Array.from({ length: ENTRIES }, (_, i) => {
      const words = [i % 2 === 0 && "alpha", i % 8 === 3 && "beta", i % 40 === 7 && "delta", i < 300 && i % 3 === 0 && "gamma"].filter(Boolean).join(" ");
      const inTitle = i % 5 === 0;
      return {
        kind: (i % 3 === 0 ? "show" : "product") as SearchKind,
        ref: `ref-${String(i).padStart(5, "0")}`,
        title: `${inTitle ? words : "item"} ${i}`,
        body: inTitle ? "plain text" : `${words} ${"filler ".repeat(i % 7)}`,
        extra: "",
        image: null,
        data: { merchantName: "m", price: 100, currency: "EUR", externalUrl: null },
      } as SearchDoc;
    });
    // In id order: the newest entries are the last written.
    for (let i = 0; i < docs.length; i += 500) await index.upsert(docs.slice(i, i + 500));
    await sql`analyze search_entries`.execute(h.db);
  });
  after(async () => {
    await h?.close();
    await pgAdmin(pgUrl!, `drop schema if exists ${schema} cascade`);
  });

  /** The plain statement: every match, the newest `candidates` of them, ranked. */
  async function expected(text: string, kind: SearchKind | null): Promise<number[]> {
    const q = tsquery(parseQuery(text)!);
    const { rows } = await sql<{ id: number; score: number }>`select s.id, s.score from (
        select e.id, ts_rank(e.document, ${q})::float8 as score from search_entries e
        where e.document @@ (${q}) ${kind ? sql`and e.kind = ${kind}` : sql``} order by e.id desc limit 10) s
      order by s.score desc, s.id asc`.execute(h.db);
    return rows.map((r) => Number(r.id));
  }

  /** Every page of `size` the index gives, through the cursor. */
  async function paged(text: string, kind: SearchKind | null, size = 3): Promise<number[]> {
    const out: number[] = [];
    let after: RankKey | null = null;
    for (let page = 0; page < 10; page++) {
      const keys = await index.query(parseQuery(text)!, { kind, after, limit: size });
      out.push(...keys.map((k) => k.id));
      if (keys.length < size) break;
      after = keys.at(-1)!;
    }
    return out;
  }

  const cases: [string, SearchKind | null, MatchPlan][] = [
    ["alpha ", null, "window"],
    ["beta ", null, "walk"],
    ["beta ", "product", "walk"],
    ["gamma ", null, "bitmap"],
    ["delta ", null, "bitmap-then-rank"],
  ];
  for (const [text, kind, plan] of cases) {
    test(`${JSON.stringify(text)}${kind ? ` (${kind}s)` : ""}: the ${plan} plan gives the plain statement's results`, async () => {
      plans.length = 0;
      const got = await paged(text, kind);
      assert.ok(plans.length > 0 && plans.every((p) => p === plan), `answered by ${plans.join(", ")}`);
      const want = await expected(text, kind);
      assert.ok(want.length > 0);
      assert.deepEqual(got, want);
    });
  }

  test("the page after the last candidate is empty, and still answered from the window it was counted in", async () => {
    plans.length = 0;
    // 10 candidates in pages of 5: the third page has no row after the cursor.
    const got = await paged("alpha ", null, 5);
    assert.deepEqual(got, await expected("alpha ", null));
    assert.deepEqual(plans, ["window", "window", "window"]);
  });

  test("a word in no entry, or two common words never found together: nothing, by the bitmap (not a walk of every entry)", async () => {
    plans.length = 0;
    assert.deepEqual(await paged("zzzyx ", null), []);
    // `alpha` is in every even entry, `beta` only in odd ones: PostgreSQL's estimate multiplies their shares.
    assert.deepEqual(await paged("alpha bet", null), []);
    assert.deepEqual(await expected("alpha bet", null), []);
    assert.deepEqual(plans, ["bitmap", "bitmap"]);
  });
});
