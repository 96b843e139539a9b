import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import pg from "pg";
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from "kysely";
import type { AppConfig } from "../config.ts";
import type { AccountsTables } from "../accounts/schema.ts";
import type { CatalogTables } from "../catalog/schema.ts";
import type { ShowsTables } from "../shows/schema.ts";
import type { RoomTables } from "../room/schema.ts";
import type { CheckoutTables } from "../checkout/schema.ts";
import type { FlashSalesTables } from "../flash-sales/schema.ts";
import type { ModerationTables } from "../moderation/schema.ts";
import type { CreatorsTables } from "../creators/schema.ts";
import type { CampaignsTables } from "../campaigns/schema.ts";
import type { CommissionsTables } from "../commissions/schema.ts";
import type { PartnersTables } from "../partners/schema.ts";
import type { SharingTables } from "../sharing/schema.ts";

/** The database as Kysely sees it. Each domain declares its own tables in its schema.ts. */
export interface Database extends AccountsTables, CatalogTables, ShowsTables, RoomTables, CheckoutTables, FlashSalesTables, ModerationTables, CreatorsTables, CampaignsTables, CommissionsTables, PartnersTables, SharingTables {}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
export type DbOrTx = Db | Tx;

export interface DbHandle {
  db: Db;
  dialect: "sqlite" | "postgres";
  /**
   * SQLite only: the raw connection, for the few hot paths (the flash-sale journal) where Kysely's
   * per-query compile cost matters. Use it only inside `db.connection().execute(...)`, which holds
   * Kysely's single connection, so raw statements never interleave with a Kysely transaction.
   */
  sqlite?: SQLite.Database;
  /**
   * PostgreSQL only: a small pool of its own for search's ranking statements (tens of ms each under load),
   * so that they can never hold all of the main pool's connections and queue the feed and every other
   * request behind them (bench:feed). Absent on SQLite, where search ranks on worker threads.
   */
  searchDb?: Db;
  close(): Promise<void>;
}

/**
 * PostgreSQL settings for an application's many short statements: no JIT (it compiles any statement whose
 * estimated cost passes jit_above_cost, and a plan with a disabled node, as enable_seqscan=off makes
 * below, always does: compiling took 50–100 ms for statements that run in 5 on the bench:feed database),
 * and no parallel workers (a statement that takes three processes' CPU to save a few milliseconds
 * slows down every other request when 200 clients share two cores).
 */
const SHORT_STATEMENTS = ["-c jit=off", "-c max_parallel_workers_per_gather=0"];

/** PostgreSQL: connections for search's ranking statements (DbHandle.searchDb), apart from the main 10. */
const SEARCH_POOL_MAX = 3;

/**
 * `opts.pgSettings`: the main pool's session settings instead of SHORT_STATEMENTS (bench baselines run on
 * PostgreSQL's defaults). `config.preparedStatements: false`: the main pool sends every statement unnamed,
 * as pg and Kysely do by default (see `preparing`).
 * `onIdleError`: a pooled PostgreSQL connection failed while idle (the server restarted, the network
 * dropped it). pg drops that connection and opens a new one for the next query; without a listener the
 * pool's "error" event would end the process.
 */
export function openDatabase(config: AppConfig["database"], onIdleError: (err: Error) => void = () => {}, opts: { pgSettings?: string[] } = {}): DbHandle {
  if (config.kind === "sqlite") {
    if (config.file !== ":memory:") fs.mkdirSync(path.dirname(config.file), { recursive: true });
    const sqlite = new SQLite(config.file);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("busy_timeout = 5000");
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect: "sqlite", sqlite, close: () => db.destroy() };
  }
  // int8 (bigint) columns hold epoch-millisecond instants and counters: read them as numbers.
  pg.types.setTypeParser(20, (v) => Number(v));
  const poolOf = (max: number, settings: string[] = [], prepare = false) => {
    const options = [...(config.schema ? [`-c search_path=${config.schema}`] : []), ...settings].join(" ");
    const pool = new pg.Pool({ connectionString: config.url, max, connectionTimeoutMillis: 5000, ...(options ? { options } : {}) });
    pool.on("error", onIdleError);
    // A connection can also fail while checked out between two statements (a transaction, a held
    // connection): pg then emits "error" on the client itself, which would end the process too. The
    // statement in flight fails on its own; this only keeps the event from being unhandled.
    pool.on("connect", (client) => {
      client.on("error", onIdleError);
      if (prepare) preparing(client);
    });
    return pool;
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolOf(10, opts.pgSettings ?? SHORT_STATEMENTS, config.preparedStatements ?? true) }) });
  // pg connects lazily: a process that never searches never opens these connections. They only rank
  // (search/postgres-index.ts), where reading the whole index sequentially is never the right plan, and
  // where the pages a bitmap scan reads at random are cached (the default random_page_cost of 4 models a
  // spinning disk: it chose primary-key scans of 200,000+ rows over bitmap scans of 5,000; with 1.1 the
  // slowest of 385 bench queries went from 250 to 125 ms, p99 from 150 to 95 ms).
  const searchDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: poolOf(SEARCH_POOL_MAX, [...SHORT_STATEMENTS, "-c enable_seqscan=off", "-c random_page_cost=1.1"]) }) });
  return {
    db,
    dialect: "postgres",
    searchDb,
    close: async () => {
      await Promise.all([db.destroy(), searchDb.destroy()]);
    },
  };
}

/** Statements a PostgreSQL connection keeps prepared (by SQL text); others beyond it are sent unnamed. */
const PREPARED_PER_CONNECTION = 1_000;
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;
/** SQL text → its hash, shared by every connection so that a statement's text is hashed once per process. */
const hashes = new Map<string, string>();
function hashOf(text: string): string {
  let h = hashes.get(text);
  if (h === undefined) {
    if (hashes.size >= 10 * PREPARED_PER_CONNECTION) hashes.clear();
    h = crypto.createHash("sha1").update(text).digest("base64url");
    hashes.set(text, h);
  }
  return h;
}

/**
 * Kysely sends every statement unnamed, so PostgreSQL parses and plans it on every execution: on the
 * bench:feed database planning was most of a feed page's 12–15 statements (0.2–1.5 ms each to run,
 * about as much to plan). Here a pooled connection names each parameterized statement by a hash of its
 * text, so pg parses it once per connection and then only binds and executes it; PostgreSQL replans
 * a prepared statement when a table it reads changes, and after five executions keeps a generic plan
 * only if it costs no more than the custom ones (plan_cache_mode = auto). Transaction control and other
 * utility statements stay unnamed, and each connection keeps at most PREPARED_PER_CONNECTION texts
 * (texts are parameterized, so the set is small; `in (…)` lists of many lengths stay bounded by it).
 */
function preparing(client: pg.PoolClient): void {
  const prepared = new Set<string>();
  // A prepared `select *` fails with "cached plan must not change result type" once its table gains a
  // column (another node's migration during a rolling upgrade): that statement fails once, and from then
  // on this connection prepares every text under new names.
  let generation = 0;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (first: unknown, ...rest: unknown[]) => {
    if (typeof first === "string" && Array.isArray(rest[0]) && rest.length === 1 && PREPARABLE.test(first)) {
      const name = `v${generation}_${hashOf(first)}`;
      if (prepared.has(name) || prepared.size < PREPARED_PER_CONNECTION) {
        prepared.add(name);
        return (query({ name, text: first, values: rest[0] }) as Promise<unknown>).catch((err: { code?: string; message?: string }) => {
          if (err?.code === "0A000" && err.message?.includes("cached plan must not change result type")) generation += 1;
          throw err;
        });
      }
    }
    return query(first, ...rest);
  };
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements can be reused. Keep the most recent
 * statements by SQL text (queries are parameterized, so the set of texts is small and bounded).
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop === "prepare") {
        return (source: string) => {
          let stmt = cache.get(source);
          if (stmt) {
            cache.delete(source);
          } else {
            stmt = target.prepare(source);
            if (cache.size >= max) cache.delete(cache.keys().next().value!);
          }
          cache.set(source, stmt);
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
