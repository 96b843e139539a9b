import { sql, type RawBuilder } from "kysely";
import type { Db } from "../platform/db.ts";
import type { SearchKind, SearchTables } from "./schema.ts";
import { CANDIDATES, type EntryRow, type RankKey, type Ranked, type SearchIndex } from "./search-index.ts";
import type { SearchDoc } from "./sources.ts";
import { fold, type ParsedQuery } from "./text.ts";

/**
 * Both languages' stems plus the plain words (for type-ahead on what stemming shortens), title weighted
 * 'A' and the rest 'D' (and their prefixes: withPrefixes). Text is folded in JS first (so `unaccent`, which is not always installed and not
 * immutable, is not needed), exactly as queries are.
 */
function document(d: SearchDoc): RawBuilder<unknown> {
  const title = fold(d.title);
  const rest = fold(`${d.body} ${d.extra}`);
  const vec = (text: string) => sql`to_tsvector('english', ${text}) || to_tsvector('italian', ${text}) || to_tsvector('simple', ${text})`;
  return sql`setweight(${vec(title)}, 'A') || setweight(${vec(rest)}, 'D')`;
}

/** Type-ahead prefixes up to this length are lexemes of their own (`ross~`); longer ones are matched with `:*`. */
const PREFIX_MAX = 6;

/**
 * `doc` plus every prefix of two to PREFIX_MAX characters of each of its lexemes, marked with `~` (which
 * no parsed word contains), without positions. A prefix query (`ross:*`) makes GIN merge the posting
 * lists of every lexeme that starts with it before it can intersect them with the other words: 60 ms
 * for "tavolo ross" with a million products, and the planner has no estimate for it. An exact `ross~`
 * lexeme is one posting list that GIN's fast scan skips through, with statistics like any other word
 * (bench:feed; SQLite's `prefix='2 3 4 5 6'` index is the same idea).
 */
function withPrefixes(doc: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`${doc} || coalesce((select array_to_tsvector(array_agg(distinct left(u.lexeme, n) || '~'))
    from unnest(${doc}) u, generate_series(2, least(${sql.lit(PREFIX_MAX)}, length(u.lexeme))) n), ''::tsvector)`;
}

export function tsquery(q: ParsedQuery): RawBuilder<unknown> {
  const groups = q.terms.map((t, i) => {
    const alts = [sql`plainto_tsquery('english', ${t.word})`, sql`plainto_tsquery('italian', ${t.word})`];
    // The parsed words are letters and digits only, so nothing in them is tsquery syntax.
    if (i === q.terms.length - 1 && q.prefix) {
      alts.push(q.prefix.length <= PREFIX_MAX ? sql`${`'${q.prefix}~'`}::tsquery` : sql`to_tsquery('simple', ${`${q.prefix}:*`})`);
    }
    return sql`(${sql.join(alts, sql` || `)})`;
  });
  return sql.join(groups, sql` && `);
}

/**
 * How newestMatches finds a query's candidates, and their sizes (tests make them small). "recent-bitmap"
 * is "bitmap-then-rank" over the newest entries only; "recent-bitmap-then-all" is one whose range held
 * too few matches, redone over the whole table.
 */
export type MatchPlan = "window" | "walk" | "bitmap" | "bitmap-then-rank" | "recent-bitmap" | "recent-bitmap-then-all";
export interface MatchTuning {
  window: number;
  candidates: number;
  /** called with the way each query was answered */
  onPlan?(plan: MatchPlan): void;
}

/**
 * `readDb`: where the ranking statements run (a small pool of their own, so they never starve the app's); writes use `db0`.
 * `tuning`: the window and candidate counts (WINDOW, CANDIDATES by default).
 */
export function postgresIndex(db0: Db, readDb: Db = db0, tuning: MatchTuning = { window: WINDOW, candidates: CANDIDATES }): SearchIndex {
  const db = db0.withTables<SearchTables>();
  // The table's size as the planner knows it (pg_class.reltuples, kept by ANALYZE) and its highest id,
  // read once a minute (entries added since then have higher ids: a range reaching down from an older
  // highest id still holds them all).
  let size: TableSize & { at: number } = { entries: 0, top: null, at: -Infinity };
  const tableSize = async (): Promise<TableSize> => {
    if (Date.now() - size.at > 60_000) {
      const { rows } = await sql<{ n: number; top: number | null }>`select greatest(reltuples, 0)::float8 as n, (select max(id) from search_entries) as top
        from pg_class where oid = 'search_entries'::regclass`.execute(readDb);
      size = { entries: Number(rows[0]?.n ?? 0), top: rows[0]?.top == null ? null : Number(rows[0].top), at: Date.now() };
    }
    return size;
  };
  return {
    async upsert(docs) {
      if (!docs.length) return;
      const now = Date.now();
      // One statement per batch; a batch has each ref once (the caller dedupes), as ON CONFLICT needs.
      const rows = [...new Map(docs.map((d) => [d.ref, d])).values()].map(
        (d) => sql`(${d.kind}::text, ${d.ref}::text, ${d.title}::text, ${d.body}::text, ${d.image}::text, ${JSON.stringify(d.data)}::text, ${now}::bigint, ${document(d)})`,
      );
      // The prefixes are added in the SELECT, one expression for the whole batch: written into each VALUES
      // row, the 500 sub-selects were each planned, which made a batch 6 times slower.
      await sql`insert into search_entries (kind, ref, title, body, image, data, updated_at, document)
        select v.kind, v.ref, v.title, v.body, v.image, v.data, v.updated_at, ${withPrefixes(sql`v.doc`)}
        from (values ${sql.join(rows)}) v (kind, ref, title, body, image, data, updated_at, doc)
        on conflict (ref) do update set kind = excluded.kind, title = excluded.title, body = excluded.body, image = excluded.image,
        data = excluded.data, updated_at = excluded.updated_at, document = excluded.document`.execute(db);
    },

    async remove(refs) {
      if (refs.length) await db.deleteFrom("search_entries").where("ref", "in", refs).execute();
    },

    async clear() {
      await db.deleteFrom("search_entries").execute();
    },

    async bulk(fill) {
      await sql`drop index if exists search_entries_document_idx`.execute(db);
      try {
        await fill();
      } finally {
        // Also after a failed fill: search keeps working (on what was indexed) until the next rebuild.
        await db.connection().execute(async (c) => {
          await sql`set maintenance_work_mem = '256MB'`.execute(c);
          await sql`create index if not exists search_entries_document_idx on search_entries using gin (document)`.execute(c);
          await sql`reset maintenance_work_mem`.execute(c);
        });
        await sql`analyze search_entries`.execute(db);
      }
    },

    query: (q, { kind, after, limit }) => newestMatches(readDb, tsquery(q), kind, tableSize, tuning, after, limit),
  };
}

/** How many of the newest entries are read first, to measure how common the query's words are (newestMatches). */
export const WINDOW = 2000;
/**
 * Cost in µs of the two ways to find the newest matches, measured on the bench:feed database
 * (docs/discovery.md#search): walking the primary key backwards costs WALK per entry walked (each
 * entry's document is read and matched); the GIN bitmap costs BITMAP per match (each one read from the
 * heap), plus ranking the ones kept.
 */
const WALK = 0.55;
const BITMAP = 2;
/** Cost in µs per entry of a primary-key range read as a bitmap (ANDed with the GIN bitmap: recent-bitmap). */
const RANGE = 0.055;

interface TableSize {
  /** entries, as the planner knows them */
  entries: number;
  /** the highest entry id (null: none) */
  top: number | null;
}

type Candidate = { id: number; score: number };
/** A row of `pageOf`: a candidate, whether it comes after the cursor, how many candidates there were, and its entry. */
type PageRow = Candidate & { ok: boolean; n: number } & Omit<EntryRow, "id">;

/**
 * The page of a query: of the CANDIDATES newest entries matching `query` (of `kind`), the best `limit`
 * after the cursor `after`, each with its score (float8: the cursor carries it through JSON and back exactly).
 *
 * PostgreSQL's planner picks between a backward primary-key walk (fast when matches are common: it
 * stops after CANDIDATES of them) and a GIN bitmap scan (fast when they are rare: it reads only the
 * matches), but it estimates two words as if they were independent. Two common words that rarely go
 * together ("running se") were estimated at 25,621 matches for 1,841 real ones, and the walk read the
 * whole table (700 ms). So the choice is made here, from a measurement: the newest WINDOW entries are
 * walked first (a bounded cost, 1–2 ms); if they hold CANDIDATES matches, those are the answer.
 * Otherwise their share of matches predicts both plans' costs, the walk's (CANDIDATES / share entries)
 * and the bitmap's (share × the table), and the cheaper one is run. A bitmap with many more matches than it
 * keeps ranks only the CANDIDATES it keeps (after sorting them by id, in the same statement); the walk
 * ranks what it matches, which is what it keeps. On the bench:feed database (one thread, 487 queries) this took the slowest query
 * from 570–650 ms to 50 ms and the total time down by a third (docs/discovery.md#search).
 */
async function newestMatches(readDb: Db, query: RawBuilder<unknown>, kind: SearchKind | null, tableSize: () => Promise<TableSize>, tuning: MatchTuning, after: RankKey | null, limit: number): Promise<Ranked[]> {
  const { window, candidates, onPlan = () => {} } = tuning;
  const ofKind = kind ? sql`and e.kind = ${kind}` : sql``;
  const rank = sql`ts_rank(e.document, ${query})::float8`;
  const walked = (from: RawBuilder<unknown>) =>
    sql<Candidate>`select e.id, ${rank} as score from ${from} e where e.document @@ (${query}) ${ofKind} order by e.id desc limit ${candidates}`;
  // The page is picked from the candidates in the same statement: the best `limit` after the cursor
  // (score descending, then id), so `limit` rows come back instead of up to CANDIDATES (which pg parsed
  // into a thousand row objects per search, to keep 21). Rows before the cursor sort last rather than
  // being filtered out, so that `n`, the number of candidates, comes back even when no row is left: the
  // window's measurement needs it. Scores are float8 both ways (the cursor's comes from PostgreSQL's
  // shortest exact output), so the cursor's score compares equal to the row it was taken from. `offset 0`
  // keeps the ranking inside: flattened, ts_rank moved above the count, which then buffered every
  // candidate's document (38 ms instead of 29 for `giacca ro` on the bench:feed database).
  const ok = after ? sql`(c.score < ${after.score}::float8 or (c.score = ${after.score}::float8 and c.id > ${after.id}::bigint))` : sql`true`;
  // The page's entries (what a result shows) are read in the same statement: `limit` look-ups by id,
  // instead of another round trip.
  const pageOf = async (found: RawBuilder<Candidate>) => {
    const { rows } = await sql<PageRow>`select p.id, p.score, p.ok, p.n, s.ref, s.kind, s.title, s.body, s.image, s.data
      from (select p.id, p.score, p.ok, p.n from (select c.id, c.score, ${ok} as ok, count(*) over () as n from (${found} offset 0) c) p
        order by p.ok desc, p.score desc, p.id limit ${limit}) p
      join search_entries s on s.id = p.id
      order by p.ok desc, p.score desc, p.id`.execute(readDb);
    const page = rows
      .filter((r) => r.ok)
      .map((r): Ranked => {
        const id = Number(r.id);
        return { id, score: Number(r.score), entry: { id, ref: r.ref, kind: r.kind, title: r.title, body: r.body, image: r.image, data: r.data } };
      });
    return { n: Number(rows[0]?.n ?? 0), page };
  };
  // A sub-select with its own LIMIT is walked as it is (the filter cannot move into it).
  const newest = await pageOf(walked(sql`(select id, kind, document from search_entries order by id desc limit ${window})`));
  if (newest.n >= candidates) {
    onPlan("window");
    return newest.page;
  }
  // Fewer matches than wanted: older ones may exist (the window says nothing about what lies before it).
  const share = newest.n / window;
  const table = await tableSize();
  const entries = Math.max(table.entries, window);
  const matches = share * entries;
  const walk = share > 0 ? (candidates / share) * WALK : Infinity;
  // The bitmap reads every match from the heap, only to sort them by id and keep CANDIDATES. With many
  // more matches than that, a primary-key range over the newest `span` entries (which should hold twice the
  // matches kept, by the window's share), ANDed with the GIN bitmap, leaves only those to read: 19,761
  // matches of `unisex ca` on the bench:feed database took 35 ms, 1,747 of them in a range of 83,000
  // entries 19 ms. The range is taken when it costs less than the reads it saves.
  const span = share > 0 ? Math.ceil((2 * candidates) / share) : Infinity;
  const recent = table.top !== null && span < entries ? span * RANGE + 2 * candidates * BITMAP : Infinity;
  const bitmap = Math.min(matches * BITMAP, recent);
  // The plan is forced by how the statement is written, not by settings (no transaction, one round trip):
  // OFFSET 0 keeps the filter out of the ordered sub-select, which can then only be walked; ordering by
  // `id + 0` leaves the primary key nothing to offer, and the GIN bitmap is the only cheap plan.
  // Compared with the cheaper bitmap, the walk is taken less often than before the range existed: that
  // is where it went wrong, as a walk that meets fewer matches than the window predicted reads that many
  // more entries (`brushed ca`: 1.75% of the newest 2,000, 1.1% of the newest 100,000; walked, 48–52 ms).
  if (walk < bitmap) {
    onPlan("walk");
    return (await pageOf(walked(sql`(select id, kind, document from search_entries order by id desc offset 0)`))).page;
  }
  const byBitmap = (columns: RawBuilder<unknown>, range: RawBuilder<unknown> = sql``) =>
    sql`select ${columns} from search_entries e where e.document @@ (${query}) ${ofKind} ${range} order by e.id + 0 desc limit ${candidates}`;
  // Few more matches than kept: rank them as they are read.
  if (matches <= 2 * candidates) {
    onPlan("bitmap");
    return (await pageOf(byBitmap(sql`e.id, ${rank} as score`) as RawBuilder<Candidate>)).page;
  }
  // Many more: rank only the kept ones. The sort carries their ctids, and the ranking reads their documents
  // by ctid (carrying the documents through the sort cost 10 ms of the 47 for `unisex ca`).
  const ranked = (range?: RawBuilder<unknown>) =>
    pageOf(sql<Candidate>`select e.id, ${rank} as score from (${byBitmap(sql`e.ctid as t`, range)}) k join search_entries e on e.ctid = k.t`);
  if (recent < matches * BITMAP) {
    const found = await ranked(sql`and e.id > ${table.top! - span}::bigint`);
    // Fewer than CANDIDATES in the range (the window overstated the share): redone over the whole table,
    // so the answer is always the newest CANDIDATES matches.
    if (found.n >= candidates) {
      onPlan("recent-bitmap");
      return found.page;
    }
    onPlan("recent-bitmap-then-all");
  } else onPlan("bitmap-then-rank");
  return (await ranked()).page;
}
