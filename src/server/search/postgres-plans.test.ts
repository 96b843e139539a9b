import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import pg from "pg";
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
 * newestMatches). Whichever way answers a query, the results must be exactly what the plain statement
 * gives: the CANDIDATES newest matches, ranked. Small window, candidate and bucket sizes make each way
 * happen on 2,000 entries.
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const ENTRIES = 2000;
const BUCKET = 64;

describe("PostgreSQL search plans", { skip: !pgUrl && "PostgreSQL only (TEST_DATABASE_URL)" }, () => {
  const schema = `t_search_plans_${process.pid}`;
  let h: DbHandle;
  let index: SearchIndex;
  const plans: MatchPlan[] = [];

  before(async () => {
    await pgAdmin(pgUrl!, `create schema ${schema}`);
    h = openDatabase({ kind: "postgres", url: pgUrl!, schema });
    await migrateToLatest(h.db);
    index = postgresIndex(h.db, h.searchDb, { window: 40, candidates: 10, bucket: BUCKET, onPlan: (p) => plans.push(p) });
    // Words by share of entries: `alpha` in half (the newest 40 hold 10+ of them), `beta` in one in 8,
    // `delta` in one in 40, `gamma` only in the oldest entries, `zeta` once among the newest 40 and
    // otherwise only among the oldest (so the newest buckets hold too few); titles or bodies, so scores differ.
    const docs: SearchDoc[] = Array.from({ length: ENTRIES }, (_, i) => {
      const zeta = i === ENTRIES - 20 || (i < 500 && i % 5 === 0);
      const words = [i % 2 === 0 && "alpha", i % 8 === 3 && "beta", i % 40 === 7 && "delta", i < 300 && i % 3 === 0 && "gamma", zeta && "zeta"].filter(Boolean).join(" ");
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

  /** Every page of 3 the index gives, through the cursor. */
  async function paged(text: string, kind: SearchKind | null): Promise<number[]> {
    const out: number[] = [];
    let after: RankKey | null = null;
    for (let page = 0; page < 10; page++) {
      const keys = await index.query(parseQuery(text)!, { kind, after, limit: 3 });
      out.push(...keys.map((k) => k.id));
      if (keys.length < 3) break;
      after = keys.at(-1)!;
    }
    return out;
  }

  const cases: [string, SearchKind | null, MatchPlan][] = [
    ["alpha ", null, "window"],
    ["beta ", null, "walk"],
    ["beta ", "product", "walk"],
    ["gamma ", null, "bitmap"],
    ["delta ", null, "buckets"],
    ["delta ", "product", "buckets"],
    ["zeta ", null, "buckets-missed"],
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

  test("every document carries its recency bucket, also when two writers index the same new ref at once", async () => {
    const lost = await sql<{ n: number }>`select count(*)::int as n from search_entries where not document @@ format('''~%s''', id / ${BUCKET})::tsquery`.execute(h.db);
    assert.equal(lost.rows[0]!.n, 0);
    // Another writer inserts the ref first (id 100,000, its bucket's lexeme) and commits while this upsert
    // waits on the unique index: this upsert took a new id from the sequence and computed its bucket
    // from it, then updates the other's row, whose id stays.
    const other = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
    await other.connect();
    try {
      await other.query("begin");
      await other.query(`insert into search_entries (id, kind, ref, title, body, image, data, updated_at, document) values (100000, 'product', 'ref-race', 'race', '', null, '{}', 0, array_to_tsvector(array['race', '~${Math.floor(100000 / BUCKET)}']))`);
      const doc = { kind: "product", ref: "ref-race", title: "race winner", body: "", extra: "", image: null, data: { merchantName: "m", price: 1, currency: "EUR", externalUrl: null } } as SearchDoc;
      const upsert = index.upsert([doc]);
      await new Promise((r) => setTimeout(r, 300));
      await other.query("commit");
      await upsert;
    } finally {
      await other.end();
    }
    const row = await sql<{ id: number; buckets: string[] }>`select id, array(select l from unnest(document) u(l) where l like '~%') as buckets from search_entries where ref = 'ref-race'`.execute(h.db);
    assert.equal(Number(row.rows[0]!.id), 100000);
    assert.deepEqual(row.rows[0]!.buckets, [`~${Math.floor(100000 / BUCKET)}`]);
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
