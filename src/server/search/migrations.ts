import { PostgresAdapter, sql, type Kysely, type Migration } from "kysely";

export const searchMigrations: Record<string, Migration> = {
  "0012_1_search": {
    async up(db: Kysely<any>) {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable("search_entries")
        .addColumn("id", postgres ? "bigserial" : "integer", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("ref", "text", (c) => c.notNull().unique())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("image", "text")
        .addColumn("data", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createTable("search_meta").addColumn("key", "text", (c) => c.primaryKey()).addColumn("value", "text", (c) => c.notNull()).execute();
      if (postgres) {
        // Weighted: title 'A', the rest 'D' (ts_rank's weights 1.0 and 0.1), so title matches rank first.
        await sql`alter table search_entries add column document tsvector not null default ''::tsvector`.execute(db);
        await sql`create index search_entries_document_idx on search_entries using gin (document)`.execute(db);
      } else {
        // Contentless: the terms are pre-stemmed in JS (English and Italian Snowball) and only matched,
        // never shown; `kind` is a column so a type filter is an index look-up, not a scan of the hits.
        // prefix='2 3': type-ahead on two or three letters reads a prefix index instead of every term
        // (0014_6 extends it to six letters).
        await sql`create virtual table search_fts using fts5(kind, title, body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3')`.execute(db);
      }
    },
  },
  "0014_5_search_featuring_index": {
    async up(db: Kysely<any>) {
      // Every product hit looks up the show it is featured in (sources.featuringShows). show_products is
      // keyed (show_id, product_id): without this index that look-up read all of it, 84 ms per search
      // with 100,000 shows (bench:feed).
      await db.schema.createIndex("show_products_product_idx").on("show_products").column("product_id").execute();
    },
  },
  "0014_6_search_longer_prefixes": {
    async up(db: Kysely<any>) {
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        // PostgreSQL documents now carry their lexemes' prefixes (postgres-index.ts withPrefixes): the
        // next start rebuilds them. With the prefixes a document has several times more lexemes, and the
        // default statistics (the 1,000 most common) left every rarer word estimated at ~1.5% of the
        // table; 10,000 let the planner tell a rare word from a common one.
        await sql`alter table search_entries alter column document set statistics 1000`.execute(db);
        await db.deleteFrom("search_meta").where("key", "=", "version").execute();
        return;
      }
      // Type-ahead sends prefixes of four to six letters too ("ross", "scarpe"). Without a prefix index
      // FTS5 merges the doclists of every term that starts with them before it can return one row:
      // 30–50 ms for "tavolo ross" with a million products, against 3–10 ms with the index (bench:feed).
      // The table is contentless, so it cannot be re-tokenized in SQL: it is recreated empty and the
      // version row is dropped, so the next start rebuilds the index (search/service.ts ensureBuilt).
      await sql`drop table search_fts`.execute(db);
      await sql`create virtual table search_fts using fts5(kind, title, body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2', prefix='2 3 4 5 6')`.execute(db);
      await db.deleteFrom("search_meta").where("key", "=", "version").execute();
    },
  },
};
