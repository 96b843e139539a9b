import type { Logger } from "pino";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { iso } from "../platform/time.ts";
import type { SearchHit, SearchPage, SearchQuery, SearchType } from "../../shared/contracts/search.ts";
import type { SearchKind, SearchTables } from "./schema.ts";
import type { EntryRow, RankKey, SearchIndex } from "./search-index.ts";
import { sqliteIndex } from "./sqlite-index.ts";
import { postgresIndex } from "./postgres-index.ts";
import { createSources, type CreatorData, type ProductData, type ShowData } from "./sources.ts";
import { highlight, parseQuery, snippet } from "./text.ts";
import { recentMap } from "../platform/recent-map.ts";
import { sqliteReaders } from "./sqlite-reader.ts";

/** Bump when what is indexed or how it is tokenized changes: the next start rebuilds the index. */
export const INDEX_VERSION = "1";
const BATCH = 500;
/** Result pages kept for repeated queries (platform/recent-map.ts): bounded, and never older than the index. */
const PAGE_CACHE_ENTRIES = 5_000;
const PAGE_CACHE_MS = 60_000;

export interface Search {
  search(query: SearchQuery): Promise<Result<SearchPage>>;
  /** Re-indexes everything from the source tables (start-up after a format change, operators, tests). */
  rebuild(): Promise<{ indexed: number }>;
  /** Rebuilds when the index was built by another INDEX_VERSION (or never); true when it did. */
  ensureBuilt(): Promise<boolean>;
  /** Resolves once the index has applied every event received so far. */
  idle(): Promise<void>;
  /** Drops the cached result pages (multi-node: after a broker outage, other nodes' index writes may have been missed). */
  invalidateCache(): void;
  close(): Promise<void>;
}

const kindOf: Record<Exclude<SearchType, "all">, SearchKind> = { shows: "show", products: "product", creators: "creator" };

function encodeCursor(k: RankKey): string {
  return Buffer.from(JSON.stringify([k.score, k.id])).toString("base64url");
}
function decodeCursor(cursor: string): RankKey | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && Number.isFinite(v[0]) && Number.isSafeInteger(v[1])) return { score: v[0], id: v[1] };
  } catch {}
  return null;
}

export function createSearch(deps: {
  db: Db;
  dialect: "sqlite" | "postgres";
  /** PostgreSQL: a pool of its own for the ranking statements (platform/db.ts DbHandle.searchDb); default `db` */
  searchDb?: Db;
  bus: EventBus;
  log: Logger;
  /** SQLite: the database file; when given, ranking queries run on read-only worker connections (sqlite-reader.ts) */
  sqliteFile?: string;
}): Search {
  const { bus, log } = deps;
  const db = deps.db.withTables<SearchTables>();
  const readers = deps.dialect === "sqlite" && deps.sqliteFile && deps.sqliteFile !== ":memory:" ? sqliteReaders(deps.sqliteFile) : null;
  const store: SearchIndex = deps.dialect === "postgres" ? postgresIndex(deps.db, deps.searchDb) : sqliteIndex(deps.db, readers);
  const sources = createSources(deps.db);
  const pages = recentMap<SearchPage>({ max: PAGE_CACHE_ENTRIES, ttlMs: PAGE_CACHE_MS });
  /** Every write to the index invalidates the cached pages, before (so no read of the old index is stored) and after. */
  const written = async (write: () => Promise<void>) => {
    pages.clear();
    try {
      await write();
    } finally {
      pages.clear();
      // Multi-node: the other nodes' cached pages are stale too.
      bus.publish({ type: "search.index_written" });
    }
  };
  const index: SearchIndex = {
    upsert: (docs) => written(() => store.upsert(docs)),
    remove: (refs) => written(() => store.remove(refs)),
    clear: () => written(() => store.clear()),
    query: (q, opts) => store.query(q, opts),
  };

  // Index writes for events go through one queue: a show edited twice in a row is read and written in
  // that order, so an older read can never overwrite a newer one.
  let queue: Promise<void> = Promise.resolve();
  let closed = false;
  function enqueue(kind: SearchKind, ref: string) {
    if (closed) return;
    queue = queue
      .then(() => refresh(kind, [ref]))
      .catch((err) => log.error({ err, kind, ref }, "search: could not update the index"));
  }

  async function refresh(kind: SearchKind, refs: string[]) {
    const { docs, gone } = await sources.byKind[kind]({ ids: refs });
    const found = new Set(docs.map((d) => d.ref));
    await index.upsert(docs);
    await index.remove([...gone, ...refs.filter((r) => !found.has(r) && !gone.includes(r))]);
  }

  const unsubscribe = [
    bus.subscribe("product.changed", (e) => enqueue("product", e.productId)),
    bus.subscribe("show.changed", (e) => enqueue("show", e.showId)),
    bus.subscribe("show.started", (e) => enqueue("show", e.showId)),
    bus.subscribe("show.ended", (e) => enqueue("show", e.showId)),
    bus.subscribe("creator.changed", (e) => enqueue("creator", e.creatorId)),
    bus.subscribe("search.index_written", (_e, meta) => void (meta.origin === "remote" && pages.clear()), { scope: "cluster" }),
  ];

  async function rebuild(): Promise<{ indexed: number }> {
    // Forget the version first: a rebuild cut short (a crash, a stop) is redone at the next start.
    await db.deleteFrom("search_meta").where("key", "=", "version").execute();
    await index.clear();
    let indexed = 0;
    const fill = async () => {
      for (const kind of ["creator", "show", "product"] as const) {
        let after = "";
        for (;;) {
          const { docs, last } = await sources.byKind[kind]({ after, limit: BATCH });
          await index.upsert(docs);
          indexed += docs.length;
          if (!last) break;
          after = last;
        }
      }
    };
    await (store.bulk ? store.bulk(fill) : fill());
    await db
      .insertInto("search_meta")
      .values({ key: "version", value: INDEX_VERSION })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: INDEX_VERSION }))
      .execute();
    return { indexed };
  }

  function toHit(e: { ref: string; kind: SearchKind; title: string; body: string; image: string | null; data: string }, q: NonNullable<ReturnType<typeof parseQuery>>, showFor: Map<string, string>): SearchHit {
    const base = { id: e.ref, title: highlight(e.title, q), snippet: snippet(e.body, q), imageUrl: e.image };
    if (e.kind === "product") {
      const d = JSON.parse(e.data) as ProductData;
      return { kind: "product", ...base, price: d.price === null ? null : { amount: d.price, currency: d.currency }, merchantName: d.merchantName, showId: showFor.get(e.ref) ?? null, externalUrl: d.externalUrl };
    }
    if (e.kind === "show") {
      const d = JSON.parse(e.data) as ShowData;
      return { kind: "show", ...base, status: d.status, scheduledAt: iso(d.scheduledAt), hostName: d.hostName, hostHandle: d.hostHandle, merchantName: d.merchantName };
    }
    const d = JSON.parse(e.data) as CreatorData;
    return { kind: "creator", ...base, handle: d.handle, verified: d.verified };
  }

  return {
    invalidateCache: () => pages.clear(),
    async search({ q, type, cursor, limit }) {
      const after = cursor ? decodeCursor(cursor) : null;
      if (cursor && !after) return fail("validation_failed", "The cursor is not valid: start from the first page.");
      const parsed = parseQuery(q);
      if (!parsed) return { ok: true, items: [], nextCursor: null };
      const key = JSON.stringify([parsed.terms.map((t) => t.word), parsed.prefix, type, cursor ?? null, limit]);
      const cached = pages.get(key);
      if (cached) return { ok: true, ...cached };
      const generation = pages.generation();
      const keys = await index.query(parsed, { kind: type === "all" ? null : kindOf[type], after, limit: limit + 1 });
      const pageKeys = keys.slice(0, limit);
      // PostgreSQL reads the entries with the ranking; SQLite ranks on a worker, and they are read here.
      const missing = pageKeys.filter((k) => !k.entry);
      const rows = missing.length ? await db.selectFrom("search_entries").select(["id", "ref", "kind", "title", "body", "image", "data"]).where("id", "in", missing.map((k) => k.id)).execute() : [];
      const byId = new Map<number, EntryRow>(rows.map((r) => [Number(r.id), { ...r, id: Number(r.id) }]));
      const entries = pageKeys.map((k) => k.entry ?? byId.get(k.id)).filter((r): r is EntryRow => !!r);
      const showFor = await sources.featuringShows(entries.filter((e) => e.kind === "product").map((e) => e.ref));
      const last = pageKeys.at(-1);
      const page: SearchPage = { items: entries.map((e) => toHit(e, parsed, showFor)), nextCursor: keys.length > limit && last ? encodeCursor(last) : null };
      pages.set(key, page, generation);
      return { ok: true, ...page };
    },

    rebuild,

    async ensureBuilt() {
      const row = await db.selectFrom("search_meta").select("value").where("key", "=", "version").executeTakeFirst();
      if (row?.value === INDEX_VERSION) return false;
      const started = Date.now();
      const { indexed } = await rebuild();
      log.info({ indexed, ms: Date.now() - started, version: INDEX_VERSION }, "search: index rebuilt");
      return true;
    },

    async idle() {
      let seen: Promise<void>;
      do {
        seen = queue;
        await seen;
      } while (seen !== queue);
    },

    async close() {
      closed = true;
      unsubscribe.forEach((u) => u());
      await this.idle();
      await readers?.close();
    },
  };
}

