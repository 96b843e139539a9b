import { sql } from "kysely";
import type { Db } from "../platform/db.ts";
import type { SearchTables } from "./schema.ts";
import { CANDIDATES, type SearchIndex } from "./search-index.ts";
import type { SearchDoc } from "./sources.ts";
import { indexTerms, type ParsedQuery } from "./text.ts";
import type { SqliteReaders } from "./sqlite-reader.ts";

const quote = (term: string) => `"${term.replace(/"/g, '""')}"`;

/** FTS5 query: every term by any of its forms, the last also as a prefix; only in title and body. */
export function matchExpression(q: ParsedQuery, kind: string | null): string {
  const groups = q.terms.map((t, i) => {
    const alts = t.forms.map(quote);
    if (i === q.terms.length - 1 && q.prefix) alts.push(`${quote(q.prefix)}*`);
    return `(${alts.join(" OR ")})`;
  });
  const text = `{title body} : (${groups.join(" AND ")})`;
  return kind ? `kind : ${quote(kind)} AND ${text}` : text;
}

/** With `readers`, the ranking query runs on read-only connections in worker threads (sqlite-reader.ts); writes always on `db0`. */
export function sqliteIndex(db0: Db, readers: SqliteReaders | null = null): SearchIndex {
  const db = db0.withTables<SearchTables>();
  return {
    async upsert(docs) {
      if (!docs.length) return;
      const now = Date.now();
      await db.transaction().execute(async (tx) => {
        for (const d of docs) {
          const values = { kind: d.kind, title: d.title, body: d.body, image: d.image, data: JSON.stringify(d.data), updated_at: now };
          const existing = await tx.selectFrom("search_entries").select("id").where("ref", "=", d.ref).executeTakeFirst();
          let id: number;
          if (existing) {
            id = existing.id;
            await sql`delete from search_fts where rowid = ${id}`.execute(tx);
            await tx.updateTable("search_entries").set(values).where("id", "=", id).execute();
          } else {
            id = (await tx.insertInto("search_entries").values({ ref: d.ref, ...values } as never).returning("id").executeTakeFirstOrThrow()).id;
          }
          await sql`insert into search_fts (rowid, kind, title, body) values (${id}, ${d.kind}, ${indexTerms(d.title)}, ${indexTerms(`${d.body} ${d.extra}`)})`.execute(tx);
        }
      });
    },

    async remove(refs) {
      if (!refs.length) return;
      await db.transaction().execute(async (tx) => {
        const rows = await tx.selectFrom("search_entries").select("id").where("ref", "in", refs).execute();
        for (const r of rows) await sql`delete from search_fts where rowid = ${r.id}`.execute(tx);
        await tx.deleteFrom("search_entries").where("ref", "in", refs).execute();
      });
    },

    async clear() {
      await db.transaction().execute(async (tx) => {
        await sql`delete from search_fts`.execute(tx);
        await tx.deleteFrom("search_entries").execute();
      });
    },

    // A full re-index leaves FTS5's index in many segments, and every query reads each one's b-tree.
    // Merged into one at the end of the rebuild: warm bench:feed runs, two-letter type-ahead p50 14–17 →
    // 10 ms, rare words 2.9–3.9 → 1.9 ms (docs/discovery.md).
    async bulk(fill) {
      await fill();
      await sql`insert into search_fts (search_fts) values ('optimize')`.execute(db);
    },

    async query(q, { kind, after, limit }) {
      // bm25 is lower-is-better: negate it so every index ranks higher-is-better. Title weighs ten times the rest.
      // FTS5 walks the matches in rowid order and stops at the cap: only those are scored.
      const ranked = sql`select rowid as id, -bm25(search_fts, 0.0, 10.0, 1.0) as score from search_fts where search_fts match ${matchExpression(q, kind)} order by rowid desc limit ${CANDIDATES}`;
      const page = after ? sql`where score < ${after.score} or (score = ${after.score} and id > ${after.id})` : sql``;
      const query = sql<{ id: number; score: number }>`select id, score from (${ranked}) ${page} order by score desc, id asc limit ${limit}`;
      let rows: { id: number; score: number }[];
      if (readers) {
        const compiled = query.compile(db);
        rows = await readers.all(compiled.sql, compiled.parameters);
      } else {
        rows = (await query.execute(db)).rows;
      }
      return rows.map((r) => ({ id: Number(r.id), score: Number(r.score) }));
    },
  };
}
