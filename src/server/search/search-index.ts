import type { ParsedQuery } from "./text.ts";
import type { SearchKind } from "./schema.ts";
import type { SearchDoc } from "./sources.ts";

/**
 * How many matches a query ranks: the newest ones (highest entry id). A word found in a large share of
 * a million products would otherwise have every one of its matches scored on every keystroke; with
 * the cap a query's cost is bounded, rare words are ranked exactly, and common ones among recent items
 * (which is what a shopper looks for). Pagination reaches at most this many results.
 */
export const CANDIDATES = 1000;

/** A hit's position in the ranking: higher `score` first, then lower `id`. The cursor carries it. */
export interface RankKey {
  score: number;
  id: number;
}

/** What a result shows, from `search_entries`. */
export interface EntryRow {
  id: number;
  ref: string;
  kind: SearchKind;
  title: string;
  body: string;
  image: string | null;
  data: string;
}

/** A ranked hit; `entry` when the index read it in the same statement (else the caller reads it by id). */
export type Ranked = RankKey & { entry?: EntryRow };

/**
 * The full-text index behind search, one implementation per database: FTS5 with terms stemmed in JS
 * (SQLite), tsvector with the english and italian configurations and a GIN index (PostgreSQL). Both
 * keep `search_entries` (what a result shows) and match the same way: every query word by one of its
 * English or Italian stems, the last one also as a prefix.
 */
export interface SearchIndex {
  upsert(docs: SearchDoc[]): Promise<void>;
  remove(refs: string[]): Promise<void>;
  clear(): Promise<void>;
  /**
   * Runs a full re-index (`fill`) the fastest way the database allows: PostgreSQL drops the GIN index and
   * builds it once at the end, which is several times faster than updating it row by row.
   */
  bulk?(fill: () => Promise<void>): Promise<void>;
  /** The best `limit` entries after `after`, ranked; only the matching of `kind` when given. */
  query(q: ParsedQuery, opts: { kind: SearchKind | null; after: RankKey | null; limit: number }): Promise<Ranked[]>;
}
