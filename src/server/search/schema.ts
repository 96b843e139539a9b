/**
 * The search read model: one entry per indexed show, product or creator, with what a result shows.
 * The full-text index itself is dialect-specific (see sqlite-index.ts, postgres-index.ts): an FTS5
 * table keyed by `search_entries.id` on SQLite, a tsvector column with a GIN index on PostgreSQL.
 */
export type SearchKind = "product" | "show" | "creator";

export type SearchTables = {
  search_entries: {
    /** integer key: the FTS5 rowid on SQLite, a bigserial on PostgreSQL; the cursor's tie-break */
    id: number;
    kind: SearchKind;
    /** the product, show or creator id (prefixed, so unique across kinds) */
    ref: string;
    title: string;
    /** the text a snippet is cut from (description, bio) */
    body: string;
    image: string | null;
    /** JSON: the kind's display fields (ProductData, ShowData, CreatorData in sources.ts) */
    data: string;
    updated_at: number;
  };
  /** `version`: the index format the entries were built with; a different one triggers a rebuild at start */
  search_meta: { key: string; value: string };
};
