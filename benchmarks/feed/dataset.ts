/**
 * The feed benchmark's dataset: a deterministic (seeded PRNG) catalogue written straight into the
 * schema with bulk inserts in transactions, then indexed by the search domain's own rebuild.
 *
 * Built once per database and reused: the database carries a `bench_feed_meta` row naming the
 * generator version, the sizes and the search INDEX_VERSION; when they match, seeding is skipped (new
 * migrations are applied to the cached data, as a deployment would). Each run then moves the
 * upcoming shows by the time elapsed since seeding, so "the next week" stays the next week.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { sql } from "kysely";
import { openDatabase, type DbHandle } from "../../src/server/platform/db.ts";
import { migrateToLatest } from "../../src/server/platform/migrate.ts";
import { InProcessBus } from "../../src/server/platform/bus.ts";
import { createSearch, INDEX_VERSION } from "../../src/server/search/service.ts";
import { EN, FIRST_NAMES, IT, LAST_NAMES, RARE, SHOW_WORDS } from "./words.ts";
import { prng } from "../support/prng.ts";

const GENERATOR_VERSION = "3";

export interface DatasetSize {
  name: "full" | "quick";
  shows: number;
  live: number;
  upcoming: number;
  videos: number;
  products: number;
  merchants: number;
  hosts: number;
  /** signed-in benchmark users, each following some creators and shops */
  users: number;
}
export const FULL: DatasetSize = { name: "full", shows: 100_000, live: 300, upcoming: 3_000, videos: 100_000, products: 1_000_000, merchants: 40, hosts: 2_000, users: 200 };
export const QUICK: DatasetSize = { name: "quick", shows: 5_000, live: 60, upcoming: 300, videos: 5_000, products: 20_000, merchants: 10, hosts: 200, users: 200 };

export type Target = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

export interface Dataset {
  target: Target;
  size: DatasetSize;
  /** ms spent seeding in this run; null when the cached database was reused */
  seededMs: number | null;
  /** how long the cached dataset took to seed when it was built */
  builtMs: number;
  /** migrations applied to a cached database in this run */
  migrated: string[];
  /** the live shows' ids (set live again before each server run: a server start ends orphaned live shows) */
  liveIds: string[];
  /** session tokens of the benchmark users (cookie `vetrina_session`) */
  tokens: string[];
  /** rare words present in the catalogue */
  rare: string[];
}

/* ---------------- deterministic generation ---------------- */

const ALPHA = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Ids shaped like newId's: time, sequence, randomness (here from the seeded PRNG). */
function idMaker(rand: () => number) {
  let seq = 0;
  return (prefix: string, t: number) => {
    seq = (seq + 1) % 1_679_616;
    let r = "";
    for (let i = 0; i < 8; i++) r += ALPHA[Math.floor(rand() * 36)];
    return `${prefix}_${Math.floor(t).toString(36).padStart(9, "0")}${seq.toString(36).padStart(4, "0")}${r}`;
  };
}

export const sessionToken = (i: number) => `bench-feed-user-${i}-token`;
const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

type Row = Record<string, string | number | null>;
interface Writer {
  columns(table: string): Promise<Set<string>>;
  insert(table: string, rows: Row[]): Promise<void>;
}

function sqliteWriter(h: DbHandle): Writer {
  const raw = h.sqlite!;
  const cache = new Map<string, { cols: string[]; stmt: ReturnType<typeof raw.prepare> }>();
  return {
    async columns(table) {
      return new Set((raw.prepare(`pragma table_info(${table})`).all() as { name: string }[]).map((r) => r.name));
    },
    async insert(table, rows) {
      if (!rows.length) return;
      const cols = Object.keys(rows[0]!);
      const key = `${table}:${cols.join(",")}`;
      let c = cache.get(key);
      if (!c) {
        c = { cols, stmt: raw.prepare(`insert into ${table} (${cols.join(", ")}) values (${cols.map(() => "?").join(", ")})`) };
        cache.set(key, c);
      }
      const { stmt } = c;
      raw.transaction(() => {
        for (const r of rows) stmt.run(cols.map((k) => r[k]));
      })();
    },
  };
}

function postgresWriter(pool: pg.Pool): Writer {
  return {
    async columns(table) {
      const { rows } = await pool.query<{ column_name: string }>("select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1", [table]);
      return new Set(rows.map((r) => r.column_name));
    },
    async insert(table, rows) {
      if (!rows.length) return;
      const cols = Object.keys(rows[0]!);
      const per = Math.floor(30_000 / cols.length);
      const client = await pool.connect();
      try {
        await client.query("begin");
        for (let i = 0; i < rows.length; i += per) {
          const chunk = rows.slice(i, i + per);
          const params: unknown[] = [];
          const tuples = chunk.map((r) => `(${cols.map((k) => (params.push(r[k]), `$${params.length}`)).join(", ")})`);
          await client.query(`insert into ${table} (${cols.join(", ")}) values ${tuples.join(", ")}`, params);
        }
        await client.query("commit");
      } catch (err) {
        await client.query("rollback").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

/** Writes the whole dataset through `w`, in table batches of at most `batch` rows per transaction. */
async function generate(w: Writer, size: DatasetSize, anchor: number, log: (s: string) => void): Promise<{ liveIds: string[] }> {
  const rand = prng(20261201);
  const newId = idMaker(rand);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const DAY = 86_400_000;
  const BATCH = 20_000;
  const only = async (table: string) => {
    const cols = await w.columns(table);
    // instants are integer milliseconds (bigint columns)
    return (r: Row) => Object.fromEntries(Object.entries(r).filter(([k]) => cols.has(k)).map(([k, v]) => [k, typeof v === "number" ? Math.round(v) : v])) as Row;
  };
  type Buffer = { add(r: Row): Promise<void>; flush(): Promise<void> };
  /** Rows of `table`, written BATCH at a time; `parent` (the table they reference) is flushed first. */
  const buffered = async (table: string, parent?: Buffer): Promise<Buffer> => {
    const filter = await only(table);
    let buf: Row[] = [];
    return {
      async add(r: Row) {
        buf.push(filter(r));
        if (buf.length >= BATCH) {
          await parent?.flush();
          const b = buf;
          buf = [];
          await w.insert(table, b);
        }
      },
      async flush() {
        await w.insert(table, buf);
        buf = [];
      },
    };
  };

  // Merchants: half Italian shops (EUR, Italian titles), half English (GBP/USD).
  const merchants: { id: string; it: boolean; currency: string; name: string }[] = [];
  const mOut = await buffered("merchants");
  for (let i = 0; i < size.merchants; i++) {
    const it = i % 2 === 0;
    const name = it ? `${pick(LAST_NAMES)} ${pick(["Moda", "Casa", "Bottega", "Atelier", "Store"])} ${i}` : `${pick(LAST_NAMES)} ${pick(["Goods", "Supply", "Studio", "Outfitters", "Store"])} ${i}`;
    const m = { id: newId("mer", anchor - 1000 * DAY + i * 1000), it, currency: it ? "EUR" : i % 4 === 1 ? "GBP" : "USD", name };
    merchants.push(m);
    await mOut.add({ id: m.id, name, default_currency: m.currency, created_at: anchor - 1000 * DAY });
  }
  await mOut.flush();

  // Hosts (each a creator) and the benchmark viewers with their sessions.
  const uOut = await buffered("users");
  const cOut = await buffered("creators", uOut);
  const hosts: { userId: string; creatorId: string }[] = [];
  for (let i = 0; i < size.hosts; i++) {
    const t = anchor - 900 * DAY + i * 60_000;
    const userId = newId("usr", t);
    const creatorId = newId("cre", t);
    const name = `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`;
    const handle = `${name.toLowerCase().replace(/[^a-z]+/g, ".")}.${i}`;
    await uOut.add({ id: userId, email: `host${i}@bench.vetrina.test`, display_name: name, password_hash: "!", role: "host", merchant_id: null, created_at: t });
    await cOut.add({ id: creatorId, user_id: userId, handle, handle_key: handle, display_name: name, avatar_url: null, bio: `${pick(EN.phrases)}. ${pick(IT.phrases)}.`, categories: JSON.stringify([pick(["fashion", "beauty", "home", "tech"])]), links: "[]", verified_at: i % 10 === 0 ? t : null, verified_by: null, created_at: t, updated_at: t });
    hosts.push({ userId, creatorId });
  }
  const viewers: string[] = [];
  for (let i = 0; i < size.users; i++) {
    const t = anchor - 100 * DAY + i * 60_000;
    const id = newId("usr", t);
    viewers.push(id);
    await uOut.add({ id, email: `viewer${i}@bench.vetrina.test`, display_name: `Viewer ${i}`, password_hash: "!", role: "viewer", merchant_id: null, created_at: t });
  }
  await uOut.flush();
  await cOut.flush();
  const sOut = await buffered("sessions");
  for (const [i, id] of viewers.entries()) await sOut.add({ token_hash: hashToken(sessionToken(i)), user_id: id, created_at: anchor, expires_at: anchor + 3650 * DAY });
  await sOut.flush();
  const cfOut = await buffered("creator_follows");
  const mfOut = await buffered("merchant_follows");
  for (const id of viewers) {
    const cs = new Set<number>();
    while (cs.size < Math.min(15, hosts.length)) cs.add(int(0, hosts.length - 1));
    for (const c of cs) await cfOut.add({ creator_id: hosts[c]!.creatorId, follower_user_id: id, created_at: anchor });
    const ms = new Set<number>();
    while (ms.size < Math.min(3, merchants.length)) ms.add(int(0, merchants.length - 1));
    for (const m of ms) await mfOut.add({ merchant_id: merchants[m]!.id, follower_user_id: id, created_at: anchor });
  }
  await cfOut.flush();
  await mfOut.flush();
  log(`  accounts: ${merchants.length} shops, ${hosts.length} creators, ${viewers.length} benchmark users`);

  // Products, oldest first (ids and search entry ids grow with time), 1–3 variants each.
  const productIds: string[] = new Array(size.products);
  const pOut = await buffered("products");
  const vOut = await buffered("variants", pOut);
  const span = 3 * 365 * DAY;
  for (let i = 0; i < size.products; i++) {
    const m = merchants[i % merchants.length]!;
    const L = m.it ? IT : EN;
    const t = anchor - span + (span * i) / size.products;
    const id = newId("prd", t);
    productIds[i] = id;
    const rare = rand() < 0.0002 ? ` ${pick(RARE)}` : "";
    const title = m.it ? `${cap(pick(L.nouns))} ${pick(L.adjectives)} in ${pick(L.materials)} ${pick(L.colors)}${rare}` : `${cap(pick(L.adjectives))} ${pick(L.materials)} ${pick(L.nouns)}, ${pick(L.colors)}${rare}`;
    const description = `${pick(L.phrases)}. ${pick(L.phrases)}: ${pick(L.materials)}, ${pick(L.colors)}, ${pick(L.adjectives)}.`;
    await pOut.add({ id, merchant_id: m.id, title, description, currency: m.currency, status: rand() < 0.97 ? "active" : "archived", images: JSON.stringify([`/uploads/bench/p${i % 5000}.jpg`]), created_at: t, updated_at: t, kind: "own", external_url: null, store_name: null });
    const nv = int(1, 3);
    const base = int(5, 300) * 100 - 10;
    for (let v = 0; v < nv; v++)
      await vOut.add({ id: newId("var", t), product_id: id, sku: null, title: nv === 1 ? "Default" : ["S", "M", "L"][v]!, options: nv === 1 ? "{}" : JSON.stringify({ size: ["S", "M", "L"][v] }), price: base + v * 500, stock: int(0, 200), position: v, active: 1 });
    if ((i + 1) % 200_000 === 0) log(`  products: ${i + 1}`);
  }
  await pOut.flush();
  await vOut.flush();
  log(`  products: ${size.products}`);

  // Shows: ended ones over the past two years (most with a replay), then the live ones, then upcoming.
  const shOut = await buffered("shows");
  const spOut = await buffered("show_products", shOut);
  const liveIds: string[] = [];
  const ended = size.shows - size.live - size.upcoming;
  const showIds: string[] = [];
  for (let i = 0; i < size.shows; i++) {
    const m = merchants[int(0, merchants.length - 1)]!;
    const h = hosts[int(0, hosts.length - 1)]!;
    let status: string, scheduled: number, started: number | null = null, endedAt: number | null = null, recording: string | null = null;
    if (i < ended) {
      status = "ended";
      scheduled = anchor - 730 * DAY + (730 * DAY * i) / ended;
      started = scheduled + int(0, 600_000);
      endedAt = started + int(20, 90) * 60_000;
      recording = rand() < 0.95 ? "ready" : null;
    } else if (i < ended + size.live) {
      status = "live";
      scheduled = anchor - int(0, 7_200_000);
      started = scheduled;
    } else {
      status = "scheduled";
      // 90% within the next week, the rest later (outside the feed's horizon)
      scheduled = anchor + (rand() < 0.9 ? int(60_000, 7 * DAY) : int(8 * DAY, 30 * DAY));
    }
    const created = Math.min(scheduled, anchor) - 3 * DAY;
    const id = newId("shw", created + i);
    showIds.push(id);
    if (status === "live") liveIds.push(id);
    const words = m.it ? SHOW_WORDS.it : SHOW_WORDS.en;
    const L = m.it ? IT : EN;
    await shOut.add({ id, merchant_id: m.id, host_user_id: h.userId, title: `${cap(pick(words))}: ${pick(L.nouns)} ${pick(L.materials)}`, description: `${pick(L.phrases)}.`, cover_url: null, scheduled_at: scheduled, status, started_at: started, ended_at: endedAt, stream_key: `bench-feed-${i}`, showcased_product_id: null, like_count: int(0, 5000), peak_viewers: int(0, 3000), created_at: created, recording, campaign_id: null });
    // Three products of the show's shop.
    const mi = merchants.indexOf(m);
    const per = Math.floor(size.products / merchants.length);
    const chosen = new Set<number>();
    while (chosen.size < 3) chosen.add(mi + merchants.length * int(0, per - 1));
    let pos = 0;
    for (const p of chosen) await spOut.add({ show_id: id, product_id: productIds[p]!, position: pos++ });
  }
  await shOut.flush();
  await spOut.flush();
  log(`  shows: ${size.shows} (${size.live} live, ${size.upcoming} scheduled, ${ended} ended)`);

  // Published short videos over the past year.
  const svOut = await buffered("short_videos");
  for (let i = 0; i < size.videos; i++) {
    const t = anchor - 365 * DAY + (365 * DAY * i) / size.videos;
    const h = hosts[int(0, hosts.length - 1)]!;
    const m = merchants[int(0, merchants.length - 1)]!;
    const s = rand() < 0.5 ? showIds[int(0, ended - 1)]! : null;
    await svOut.add({ id: newId("vid", t), kind: s ? "clip" : "upload", show_id: s, product_id: productIds[int(0, size.products - 1)]!, owner_user_id: h.userId, merchant_id: m.id, status: "published", media_key: `bench/v${i}.mp4`, poster_key: `bench/v${i}.jpg`, duration_ms: int(8, 60) * 1000, width: 720, height: 1280, job_id: null, created_at: t, published_at: t + 60_000, title: `${cap(pick(EN.adjectives))} ${pick(EN.nouns)}`, caption: null });
  }
  await svOut.flush();
  log(`  short videos: ${size.videos}`);
  return { liveIds };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/* ---------------- cache and seeding ---------------- */

interface Meta {
  generator: string;
  size: DatasetSize;
  indexVersion: string;
  anchor: number;
  builtMs: number;
  liveIds: string[];
}

async function readMeta(h: DbHandle): Promise<Meta | null> {
  try {
    const { rows } = await sql<{ value: string }>`select value from bench_feed_meta where key = 'dataset'`.execute(h.db);
    return rows[0] ? (JSON.parse(rows[0].value) as Meta) : null;
  } catch {
    return null;
  }
}

export async function pgEnsureDatabase(url: string) {
  const u = new URL(url);
  const name = u.pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (!rows.length) await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
}

async function pgRecreateDatabase(url: string) {
  const name = new URL(url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
}

function open(target: Target): DbHandle {
  return openDatabase(target.kind === "sqlite" ? { kind: "sqlite", file: target.file } : { kind: "postgres", url: target.url });
}

/** Reuses the cached dataset when it matches; otherwise seeds it from scratch (slow) and indexes it. */
export async function ensureDataset(target: Target, size: DatasetSize, log: (s: string) => void, force = false): Promise<Dataset> {
  const wanted = (m: Meta | null) => !!m && m.generator === GENERATOR_VERSION && m.indexVersion === INDEX_VERSION && JSON.stringify(m.size) === JSON.stringify(size);
  if (target.kind === "postgres") await pgEnsureDatabase(target.url);
  let h = target.kind === "sqlite" && !fs.existsSync(target.file) ? null : open(target);
  let meta = h ? await readMeta(h) : null;
  const tokens = Array.from({ length: size.users }, (_, i) => sessionToken(i));
  const rare = [...RARE];
  if (h && !force && wanted(meta)) {
    const migrated = await migrateToLatest(h.db);
    // A migration may change how the index is stored and leave it to be rebuilt, as a deployment's next start would.
    const search = createSearch({ db: h.db, dialect: h.dialect, bus: new InProcessBus(() => {}), log: pino({ level: "warn" }) });
    const reindexStarted = Date.now();
    const reindexed = await search.ensureBuilt();
    await search.close();
    await shiftUpcoming(h, meta!);
    await h.close();
    log(`${target.kind}: cached dataset reused (seeded in ${(meta!.builtMs / 1000).toFixed(0)} s when built)${migrated.length ? `; applied new migrations ${migrated.join(", ")}` : ""}${reindexed ? `; search index rebuilt in ${((Date.now() - reindexStarted) / 1000).toFixed(0)} s` : ""}`);
    return { target, size, seededMs: null, builtMs: meta!.builtMs, migrated, liveIds: meta!.liveIds, tokens, rare };
  }
  await h?.close();
  log(`${target.kind}: seeding the ${size.name} dataset (${size.shows} shows, ${size.videos} videos, ${size.products} products)…`);
  const started = Date.now();
  if (target.kind === "sqlite") {
    for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(target.file + suffix, { force: true });
    fs.mkdirSync(path.dirname(target.file), { recursive: true });
  } else {
    await pgRecreateDatabase(target.url);
  }
  h = open(target);
  await migrateToLatest(h.db);
  const anchor = Date.now();
  let pool: pg.Pool | null = null;
  if (target.kind === "sqlite") h.sqlite!.pragma("synchronous = OFF");
  else pool = new pg.Pool({ connectionString: target.url, max: 2 });
  const w = target.kind === "sqlite" ? sqliteWriter(h) : postgresWriter(pool!);
  const { liveIds } = await generate(w, size, anchor, log);
  await pool?.end();
  const rowsMs = Date.now() - started;
  log(`  rows written in ${(rowsMs / 1000).toFixed(0)} s; building the search index (the search domain's rebuild)…`);
  const search = createSearch({ db: h.db, dialect: h.dialect, bus: new InProcessBus(() => {}), log: pino({ level: "warn" }) });
  const { indexed } = await search.rebuild();
  await search.close();
  log(`  search index: ${indexed} entries in ${((Date.now() - started - rowsMs) / 1000).toFixed(0)} s`);
  // PostgreSQL's autovacuum would analyze these tables soon after such a load; do it now.
  if (target.kind === "postgres") await sql`vacuum analyze`.execute(h.db);
  else h.sqlite!.pragma("synchronous = NORMAL");
  const builtMs = Date.now() - started;
  meta = { generator: GENERATOR_VERSION, size, indexVersion: INDEX_VERSION, anchor, builtMs, liveIds };
  await sql`create table if not exists bench_feed_meta (key text primary key, value text not null)`.execute(h.db);
  await sql`delete from bench_feed_meta`.execute(h.db);
  await sql`insert into bench_feed_meta (key, value) values ('dataset', ${JSON.stringify(meta)})`.execute(h.db);
  if (target.kind === "sqlite") h.sqlite!.pragma("wal_checkpoint(TRUNCATE)");
  await h.close();
  log(`${target.kind}: seeded in ${(builtMs / 1000).toFixed(0)} s`);
  return { target, size, seededMs: builtMs, builtMs, migrated: [], liveIds, tokens, rare };
}

/** Keeps "upcoming" upcoming: moves scheduled shows by the time since the anchor (and records the new anchor). */
async function shiftUpcoming(h: DbHandle, meta: Meta) {
  const now = Date.now();
  const delta = now - meta.anchor;
  if (delta <= 0) return;
  await h.db.transaction().execute(async (tx) => {
    await sql`update shows set scheduled_at = scheduled_at + ${delta} where status = 'scheduled' and stream_key like 'bench-feed-%'`.execute(tx);
    await sql`update bench_feed_meta set value = ${JSON.stringify({ ...meta, anchor: now })} where key = 'dataset'`.execute(tx);
  });
}

/**
 * A server start ends every show left "live" (no stream survives a restart): after starting the
 * server, the benchmark sets the dataset's live shows live again, as if their hosts had reconnected.
 */
export async function setLiveAgain(target: Target, liveIds: string[]) {
  const h = open(target);
  try {
    for (let i = 0; i < liveIds.length; i += 500) {
      const ids = liveIds.slice(i, i + 500);
      await h.db.updateTable("shows").set({ status: "live", ended_at: null }).where("id", "in", ids).execute();
    }
    // Every start ends these shows and this makes them live again: on PostgreSQL each run left thousands
    // of dead row versions in `shows` (10,800 after three runs), which the feed's index scans step over
    // until autovacuum comes by. Vacuum them now, so runs start alike.
    if (target.kind === "postgres") await sql`vacuum (analyze) shows`.execute(h.db);
  } finally {
    await h.close();
  }
}

/**
 * PostgreSQL on this machine, through its Unix socket when Debian's is there: the app and the database
 * then talk without the loopback TCP stack, as a one-machine deployment should (docs/deployment.md).
 */
const PG_SOCKET_DIR = "/var/run/postgresql";
export const DEFAULT_PG = fs.existsSync(path.join(PG_SOCKET_DIR, ".s.PGSQL.5432")) ? `postgres://postgres@localhost/?host=${PG_SOCKET_DIR}` : "postgres://postgres@127.0.0.1:5432/";

/** Where the cached datasets live: BENCH_FEED_DIR (SQLite files) and BENCH_FEED_PG (a server URL; one database per size). */
export function defaultTarget(kind: "sqlite" | "postgres", size: DatasetSize): Target {
  if (kind === "sqlite") {
    const dir = process.env.BENCH_FEED_DIR ?? path.join(os.homedir(), ".cache", "vetrina-bench-feed");
    return { kind, file: path.join(dir, size.name, "vetrina.db") };
  }
  const u = new URL(process.env.BENCH_FEED_PG ?? DEFAULT_PG);
  u.pathname = `/vetrina_bench_feed${size.name === "full" ? "" : `_${size.name}`}`;
  return { kind, url: u.toString() };
}
