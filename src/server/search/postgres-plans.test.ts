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
    // `delta` in one in 40, `epsilon` in one in 50, `gamma` only in the oldest entries, `zeta` in 4 of the
    // newest 40 and 5 of the oldest 100; titles or bodies, so scores differ.
    const docs: SearchDoc[] = Array.from({ length: ENTRIES }, (_, i) => {
      const words = [
        i % 2 === 0 && "alpha",
        i % 8 === 3 && "beta",
        i % 40 === 7 && "delta",
        i % 50 === 11 && "epsilon",
        i < 300 && i % 3 === 0 && "gamma",
        ((i >= ENTRIES - 40 && i % 10 === 1) || (i < 100 && i % 20 === 5)) && "zeta",
      ]
        .filter(Boolean)
        .join(" ");
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
  async function paged(text: string, kind: SearchKind | null, size = 3, by: SearchIndex = index): Promise<number[]> {
    const out: number[] = [];
    let after: RankKey | null = null;
    for (let page = 0; page < 10; page++) {
      const keys = await by.query(parseQuery(text)!, { kind, after, limit: size });
      out.push(...keys.map((k) => k.id));
      if (keys.length < size) break;
      after = keys.at(-1)!;
    }
    return out;
  }

  // The plans follow from each word's share in the window and the cost constants of postgres-index.ts.
  // `zeta`: 10% of the window, so the newest 200 entries should hold 20; they hold 4 of its 9, and the
  // query is redone over the whole table (answered from the range, the oldest 5 would be missing). `epsilon`, with a window of 400: 40 matches, too few for the range to
  // pay for itself, so they are all read and the 10 kept are ranked.
  const cases: [string, SearchKind | null, MatchPlan, number?][] = [
    ["alpha ", null, "window"],
    ["beta ", null, "walk"],
    ["beta ", "product", "recent-bitmap"],
    ["gamma ", null, "bitmap"],
    ["delta ", null, "recent-bitmap"],
    ["zeta ", null, "recent-bitmap-then-all"],
    ["epsilon ", null, "bitmap-then-rank", 400],
  ];
  for (const [text, kind, plan, window] of cases) {
    test(`${JSON.stringify(text)}${kind ? ` (${kind}s)` : ""}: the ${plan} plan gives the plain statement's results`, async () => {
      plans.length = 0;
      const by = window ? postgresIndex(h.db, h.searchDb, { window, candidates: 10, onPlan: (p) => plans.push(p) }) : index;
      const got = await paged(text, kind, 3, by);
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
