import { sql, type RawBuilder } from "kysely";
import type { Db } from "../platform/db.ts";
import type { SearchTables } from "./schema.ts";
import { CANDIDATES, type SearchIndex } from "./search-index.ts";
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

function tsquery(q: ParsedQuery): RawBuilder<unknown> {
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

/** `readDb`: where the ranking statements run (a small pool of their own, so they never starve the app's); writes use `db0`. */
export function postgresIndex(db0: Db, readDb: Db = db0): SearchIndex {
  const db = db0.withTables<SearchTables>();
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

    async query(q, { kind, after, limit }) {
      // float8: the cursor carries the score through JSON and back exactly.
      // The newest matches are picked by id, and only they are scored: in the same scan, not by reading
      // the picked rows again (10–45% less per statement on the bench:feed database, same results).
      // The tsquery is written inline, not in a sub-select: the planner then evaluates it while planning and
      // estimates the matches from the column's statistics (most common lexemes, kept for 10,000 of them:
      // migration 0014_6), so it picks a backward primary-key scan for a common word and a bitmap scan for a
      // rare one. Behind a sub-select it guessed 0.5% for every query and scanned the whole table by
      // primary key for rare words (600–700 ms each on the bench:feed database).
      const query = tsquery(q);
      const ranked = sql`select e.id, ts_rank(e.document, ${query})::float8 as score
        from search_entries e where e.document @@ (${query}) ${kind ? sql`and e.kind = ${kind}` : sql``}
        order by e.id desc limit ${CANDIDATES}`;
      const page = after ? sql`where s.score < ${after.score}::float8 or (s.score = ${after.score}::float8 and s.id > ${after.id})` : sql``;
      const { rows } = await sql<{ id: number; score: number }>`select s.id, s.score from (${ranked}) s ${page} order by s.score desc, s.id asc limit ${limit}`.execute(readDb);
      return rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
    },
  };
}
