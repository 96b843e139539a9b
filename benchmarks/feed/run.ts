/**
 * npm run bench:feed — the home feed and search at scale, Vetrina against OFFSET pagination and
 * `LIKE '%term%'` search (baseline-server.ts) in the same run, on SQLite and PostgreSQL; then the
 * time from a swipe to the next live room's video moving, in Chromium (swipe.ts).
 *
 * Dataset (dataset.ts): 100,000 shows (300 live, 3,000 upcoming, the rest ended, most with a replay),
 * 100,000 published short videos, 1,000,000 products with 1–3 variants, English and Italian titles;
 * seeded once per database (slow; the time is printed) and reused while the generator, sizes and the
 * search INDEX_VERSION are unchanged. `--quick` uses a small dataset (smoke test of the bench itself).
 *
 * Load (loadgen.ts, separate processes, undici): 200 users (half signed in, with follows), each
 * repeating feed sessions (from the top or from deep in the replays, page after page by cursor) and
 * search sessions (type-ahead then the full query; some rare words) with think time — p50/p99 by kind
 * of request and the achieved req/s; then the same 200 users with no think time (closed loop: max
 * throughput). The same users, seeds and positions drive the baseline right after, on the same data.
 * Servers: the real app (`tsx src/server/main.ts`, NODE_ENV=production, one process) and the baseline,
 * each alone on the machine while measured.
 *
 * Options: --quick, --db=sqlite,postgres, --seconds=30 (think-time window), --closed-seconds=20,
 * --warmup=10, --users=200, --loadgens=2, --no-baseline, --no-load, --no-swipe, --swipes=12,
 * --seed-only, --reseed, --no-record (do not append to RESULTS.md).
 * Env: BENCH_FEED_DIR (SQLite cache dir), BENCH_FEED_PG (PostgreSQL server URL; default: Debian's Unix socket
 * in /var/run/postgresql when it exists, else 127.0.0.1:5432).
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../test/support/harness.ts";
import { spawnServer, stopGracefully } from "../../test/support/child-server.ts";
import pg from "pg";
import { openDatabase } from "../../src/server/platform/db.ts";
import { SEGMENTS } from "../../src/server/feed/service.ts";
import { appendResults, machineDescription, percentile } from "../support/report.ts";
import { defaultTarget, ensureDataset, FULL, QUICK, setLiveAgain, type Dataset, type Target } from "./dataset.ts";
import type { LoadJob, LoadResult } from "./loadgen.ts";
import { EN, IT } from "./words.ts";
import { measureSwipes, type SwipeReport } from "./swipe.ts";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string, def: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const QUICK_RUN = flag("quick");
const SIZE = QUICK_RUN ? QUICK : FULL;
const DBS = opt("db", "sqlite,postgres").split(",") as ("sqlite" | "postgres")[];
const SECONDS = Number(opt("seconds", QUICK_RUN ? "10" : "30"));
const CLOSED_SECONDS = Number(opt("closed-seconds", QUICK_RUN ? "8" : "20"));
const WARMUP = Number(opt("warmup", QUICK_RUN ? "3" : "10"));
const USERS = Number(opt("users", "200"));
const LOADGENS = Number(opt("loadgens", "2"));
const SWIPES = Number(opt("swipes", "12"));
const PAGE = 10;
const here = import.meta.dirname;

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL")));
process.on("SIGINT", () => process.exit(130));
const log = (s: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${s}`);

/* ---------------- positions and queries ---------------- */

/** Deep starting points in the replays (1%, 10%, 50%, 90% of them): a Vetrina cursor and the baseline's offset for the same item. */
async function deepStarts(target: Target): Promise<{ vetrina: string[]; baseline: string[]; depths: number[] }> {
  const h = openDatabase(target.kind === "sqlite" ? { kind: "sqlite", file: target.file } : { kind: "postgres", url: target.url });
  try {
    const now = Date.now();
    const count = async (q: any) => Number((await q.select((eb: any) => eb.fn.countAll().as("n")).executeTakeFirst())?.n ?? 0);
    const live = await count(h.db.selectFrom("shows").where("status", "=", "live"));
    const upcoming = await count(h.db.selectFrom("shows").where("status", "=", "scheduled").where("scheduled_at", ">=", now - 30 * 60_000).where("scheduled_at", "<=", now + 7 * 86_400_000));
    const replays = await count(h.db.selectFrom("shows").where("status", "=", "ended").where("recording", "=", "ready").where("ended_at", "is not", null));
    // The tier-1 replay segment's index in the feed's cursor (segments are only ever appended).
    const seg = SEGMENTS.findIndex((s) => s.tier === 1 && s.kind === "replay");
    const out = { vetrina: [] as string[], baseline: [] as string[], depths: [] as number[] };
    for (const f of [0.01, 0.1, 0.5, 0.9]) {
      const r = Math.max(1, Math.floor(replays * f));
      const row = await h.db.selectFrom("shows").select(["id", "ended_at"]).where("status", "=", "ended").where("recording", "=", "ready").where("ended_at", "is not", null).orderBy("ended_at", "desc").orderBy("id", "desc").offset(r - 1).limit(1).executeTakeFirst();
      if (!row) continue;
      out.vetrina.push(Buffer.from(JSON.stringify({ s: seg, k: Number(row.ended_at), i: row.id })).toString("base64url"));
      out.baseline.push(String(live + upcoming + r));
      out.depths.push(live + upcoming + r);
    }
    return out;
  } finally {
    await h.close();
  }
}

/**
 * What shoppers type: every English "adjective noun" and "material noun", every Italian "noun material"
 * and "noun colour" of the word lists (thousands of distinct queries, so a repeated full query is the
 * exception, as in real traffic), and single words.
 */
function queries(): string[] {
  const en = EN.adjectives.flatMap((a) => EN.nouns.map((n) => `${a} ${n}`));
  const enM = EN.materials.flatMap((m) => EN.nouns.map((n) => `${m} ${n}`));
  const it = IT.nouns.flatMap((n) => IT.materials.map((m) => `${n} ${m}`));
  const itC = IT.nouns.flatMap((n) => IT.colors.map((c) => `${n} ${c}`));
  return [...en, ...enM, ...it, ...itC, ...EN.nouns, ...IT.nouns].map((q) => q.replace(/[^\p{L}\p{N} ]+/gu, " ").replace(/\s+/g, " ").trim());
}

/* ---------------- servers ---------------- */

interface Server {
  name: string;
  baseUrl: string;
  child: ChildProcess;
}

async function startVetrina(dbUrl: string): Promise<Server> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-bench-feed-"));
  const s = await spawnServer({ PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DATA_DIR: dataDir, DATABASE_URL: dbUrl, DEMO_DATA: "false", NODE_ENV: "production", LOG_LEVEL: "error" });
  children.push(s.child);
  return { name: "Vetrina", baseUrl: s.baseUrl, child: s.child };
}

async function startBaseline(dbUrl: string): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "baseline-server.ts")], { env: { ...process.env, PORT: String(port), DATABASE_URL: dbUrl }, stdio: ["ignore", "inherit", "inherit"] });
  children.push(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error("the baseline server exited");
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error("the baseline server did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  return { name: "OFFSET + LIKE", baseUrl, child };
}

/* ---------------- load ---------------- */

interface LoadRun {
  mode: "think" | "closed";
  seconds: number;
  latencies: Record<string, number[]>;
  errors: Record<string, number>;
  samples: string[];
  completed: number;
}

async function load(server: Server, mode: "think" | "closed", ds: Dataset, starts: string[]): Promise<LoadRun> {
  const seconds = mode === "think" ? SECONDS : CLOSED_SECONDS;
  const warmup = mode === "think" ? WARMUP : Math.min(WARMUP, 5);
  const startAt = Date.now() + 3000;
  const windowStart = startAt + warmup * 1000;
  const windowEnd = windowStart + seconds * 1000;
  const per = Math.ceil(USERS / LOADGENS);
  const results = await Promise.all(
    Array.from({ length: LOADGENS }, (_, g) => {
      const job: LoadJob = {
        baseUrl: server.baseUrl,
        mode,
        users: Math.min(per, USERS - g * per),
        first: g * per,
        tokens: ds.tokens,
        signedIn: Math.floor(USERS / 2),
        startAt,
        windowStart,
        windowEnd,
        deepStarts: starts,
        queries: queries(),
        rare: ds.rare,
        pageSize: PAGE,
        seed: 7 + g,
      };
      const child = fork(path.join(here, "loadgen.ts"), { execArgv: ["--import", "tsx"], stdio: "inherit" });
      children.push(child);
      return new Promise<LoadResult>((resolve, reject) => {
        child.once("message", (m) => resolve(m as LoadResult));
        child.once("exit", (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
        child.send({ kind: "job", job });
      });
    }),
  );
  const latencies: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r.latencies)) (latencies[k] ??= []).push(...v);
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  for (const v of Object.values(latencies)) v.sort((a, b) => a - b);
  return { mode, seconds, latencies, errors, samples: results.flatMap((r) => r.samples).slice(0, 5), completed: results.reduce((n, r) => n + r.completed, 0) };
}

const LABELS = ["all", "feed.top", "feed.deep", "search.typeahead", "search.full", "search.rare"] as const;
function stats(run: LoadRun, label: string) {
  const lat = label === "all" ? Object.values(run.latencies).flat().sort((a, b) => a - b) : (run.latencies[label] ?? []);
  const errors = label === "all" ? Object.values(run.errors).reduce((a, b) => a + b, 0) : (run.errors[label] ?? 0);
  // req/s: successful answers only (a baseline failing fast would otherwise look fast)
  return { n: lat.length, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), rps: lat.length / run.seconds, errors };
}

/* ---------------- report ---------------- */

const ms = (v: number) => (Number.isFinite(v) ? (v < 10 ? v.toFixed(1) : v.toFixed(0)) : "–");
const ratio = (base: number, ours: number) => (Number.isFinite(base) && Number.isFinite(ours) && ours > 0 ? `${(base / ours).toFixed(1)}×` : "–");

function table(db: string, v: { think: LoadRun; closed: LoadRun } | null, b: { think: LoadRun; closed: LoadRun } | null): string {
  const lines: string[] = [];
  for (const mode of ["think", "closed"] as const) {
    const vr = v?.[mode];
    const br = b?.[mode];
    const title = mode === "think" ? `${USERS} users with think time (${SECONDS} s window)` : `closed loop, ${USERS} connections, no think time (${CLOSED_SECONDS} s window)`;
    lines.push(`**${db} — ${title}**`, "");
    lines.push("| requests | Vetrina p50 / p99 ms | Vetrina ok req/s | OFFSET+LIKE p50 / p99 ms | baseline ok req/s | p50 ratio (B ÷ V) | p99 ratio (B ÷ V) | req/s ratio (V ÷ B) | errors V / B |", "|---|---|---|---|---|---|---|---|---|");
    for (const label of LABELS) {
      const a = vr ? stats(vr, label) : null;
      const c = br ? stats(br, label) : null;
      if (!a?.n && !c?.n && !a?.errors && !c?.errors) continue;
      lines.push(`| ${label} | ${a ? `${ms(a.p50)} / ${ms(a.p99)}` : "–"} | ${a ? a.rps.toFixed(0) : "–"} | ${c ? `${ms(c.p50)} / ${ms(c.p99)}` : "–"} | ${c ? c.rps.toFixed(0) : "–"} | ${a && c ? ratio(c.p50, a.p50) : "–"} | ${a && c ? ratio(c.p99, a.p99) : "–"} | ${a && c ? ratio(a.rps, c.rps) : "–"} | ${a?.errors ?? "–"} / ${c?.errors ?? "–"} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

function swipeTable(s: SwipeReport): string {
  const row = (name: string, xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `| ${name} | ${xs.length} | ${ms(percentile(sorted, 0.5))} | ${ms(sorted.at(-1) ?? NaN)} |`;
  };
  return [
    `**Swipe to moving video** — Chromium ${s.browserVersion}, 390×844, ${s.rooms} live RTMP rooms (ffmpeg test pattern 640×360), HLS segments of ${s.segmentSeconds} s`,
    "",
    "| case | swipes | median ms | worst ms |",
    "|---|---|---|---|",
    row("swipe down to the preloaded next room (Vetrina's feed)", s.forward),
    row("swipe back up: that room's player was torn down (no preload)", s.backward),
    row("cold load: open the feed, first room moving", s.cold),
    "",
  ].join("\n");
}

/* ---------------- main ---------------- */

/**
 * PostgreSQL's memory decides what this bench measures: with the default shared_buffers (128 MB) the
 * 2.8 GB dataset is read from disk and the run is I/O-bound. Report the setting, warn when the database
 * does not fit, and load the database into shared buffers (pg_prewarm, where the extension can be
 * created) so that every run starts warm.
 */
async function postgresMemory(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const buffers = (await client.query("select setting::bigint * 8192 as bytes, current_setting('shared_buffers') as shown from pg_settings where name = 'shared_buffers'")).rows[0];
    const size = Number((await client.query("select pg_database_size(current_database()) as n")).rows[0].n);
    const gb = (n: number) => `${(n / 2 ** 30).toFixed(1)} GB`;
    let warm = "not pre-warmed (pg_prewarm unavailable)";
    try {
      await client.query("create extension if not exists pg_prewarm");
      const t = Date.now();
      await client.query("select sum(pg_prewarm(c.oid)) from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'i', 't', 'm') and n.nspname not in ('pg_catalog', 'information_schema')");
      warm = `pre-warmed with pg_prewarm in ${((Date.now() - t) / 1000).toFixed(0)} s`;
    } catch (err) {
      log(`PostgreSQL: pg_prewarm: ${(err as Error).message}`);
    }
    const socket = new URL(url).searchParams.get("host");
    const via = socket?.startsWith("/") ? `connected through the Unix socket in ${socket}` : `connected over TCP to ${new URL(url).host}`;
    const huge = (await client.query("select current_setting('huge_pages') as v")).rows[0].v;
    const note = `${via}, shared_buffers ${buffers.shown} (huge_pages ${huge}), database ${gb(size)}, ${warm}`;
    if (Number(buffers.bytes) < size) log(`PostgreSQL: WARNING shared_buffers (${buffers.shown}) is smaller than the database (${gb(size)}): this run measures the disk as much as Vetrina (docs/deployment.md, PostgreSQL memory)`);
    return note;
  } finally {
    await client.end();
  }
}

/**
 * The SQLite counterpart of pg_prewarm: read the database file (and its WAL) once, so that the runs start
 * with it in the OS page cache. On this bench's machines the cache does not keep a 1.8 GB file for long
 * (it was evicted between runs half an hour apart), and a cold file made the SQLite runs I/O-bound:
 * all requests' p99 1.7–25 s, against 31–53 ms warm (benchmarks/RESULTS.md, 2026-12-02 evening).
 */
async function sqliteWarm(file: string): Promise<string> {
  const t = Date.now();
  let bytes = 0;
  for (const f of [file, `${file}-wal`]) {
    if (!fs.existsSync(f)) continue;
    for await (const chunk of fs.createReadStream(f, { highWaterMark: 1 << 20 })) bytes += (chunk as Buffer).length;
  }
  return `file ${(bytes / 2 ** 30).toFixed(1)} GB, pre-warmed (read once) in ${((Date.now() - t) / 1000).toFixed(1)} s`;
}

async function main() {
  const machine = machineDescription();
  log(`bench:feed (${SIZE.name} dataset) on ${machine}`);
  const sections: string[] = [];
  const datasets: Dataset[] = [];
  let pgMemory: string | null = null;
  let sqliteMemory: string | null = null;
  for (const kind of DBS) {
    const target = defaultTarget(kind, SIZE);
    const ds = await ensureDataset(target, SIZE, log, flag("reseed"));
    datasets.push(ds);
    if (flag("seed-only") || flag("no-load")) continue;
    const dbUrl = target.kind === "sqlite" ? `sqlite:${target.file}` : target.url;
    const label = kind === "sqlite" ? "SQLite" : "PostgreSQL";
    if (target.kind === "postgres") {
      pgMemory = await postgresMemory(target.url);
      log(`PostgreSQL: ${pgMemory}`);
    } else {
      sqliteMemory = await sqliteWarm(target.file);
      log(`SQLite: ${sqliteMemory}`);
    }

    log(`${label}: starting Vetrina`);
    const v = await startVetrina(dbUrl);
    await setLiveAgain(target, ds.liveIds);
    const starts = await deepStarts(target);
    log(`${label}: deep starts at items ${starts.depths.join(", ")}`);
    const check = await (await fetch(`${v.baseUrl}/api/v1/feed?limit=${PAGE}&cursor=${starts.vetrina.at(-1)}`)).json();
    if (!check.items?.length) throw new Error(`Vetrina's deep page is empty: ${JSON.stringify(check).slice(0, 300)}`);
    const vt = await load(v, "think", ds, starts.vetrina);
    log(`${label}: Vetrina, think time: ${JSON.stringify(stats(vt, "all"))}${vt.samples.length ? ` errors e.g. ${vt.samples[0]}` : ""}`);
    const vc = await load(v, "closed", ds, starts.vetrina);
    log(`${label}: Vetrina, closed loop: ${JSON.stringify(stats(vc, "all"))}${vc.samples.length ? ` errors e.g. ${vc.samples[0]}` : ""}`);
    await stopGracefully(v.child);

    let base: { think: LoadRun; closed: LoadRun } | null = null;
    if (!flag("no-baseline")) {
      log(`${label}: starting the OFFSET + LIKE baseline`);
      const b = await startBaseline(dbUrl);
      const bt = await load(b, "think", ds, starts.baseline);
      log(`${label}: baseline, think time: ${JSON.stringify(stats(bt, "all"))}${bt.samples.length ? ` errors e.g. ${bt.samples[0]}` : ""}`);
      const bc = await load(b, "closed", ds, starts.baseline);
      log(`${label}: baseline, closed loop: ${JSON.stringify(stats(bc, "all"))}${bc.samples.length ? ` errors e.g. ${bc.samples[0]}` : ""}`);
      await stopGracefully(b.child);
      base = { think: bt, closed: bc };
    }
    const t = table(label, { think: vt, closed: vc }, base);
    console.log(`\n${t}`);
    sections.push(t);
  }
  let swipe: SwipeReport | null = null;
  if (!flag("no-swipe") && !flag("seed-only")) {
    log("swipe: starting rooms and Chromium");
    swipe = await measureSwipes({ swipes: SWIPES, log });
    console.log(`\n${swipeTable(swipe)}`);
  }
  const seeding = datasets
    .map((d) => `${d.target.kind === "sqlite" ? "SQLite" : "PostgreSQL"}: ${d.seededMs === null ? `cached (built in ${(d.builtMs / 1000).toFixed(0)} s)` : `seeded in ${(d.seededMs / 1000).toFixed(0)} s`}${d.migrated.length ? `, then migrated (${d.migrated.join(", ")})` : ""}`)
    .join("; ");
  log(`dataset: ${seeding}`);
  const memory = `${sqliteMemory ? ` SQLite: ${sqliteMemory}.` : ""}${pgMemory ? ` PostgreSQL: ${pgMemory}.` : ""}`;
  if (flag("seed-only") || flag("no-record")) return;
  const body = [
    `Dataset (${SIZE.name}): ${SIZE.shows.toLocaleString("en")} shows (${SIZE.live} live, ${SIZE.upcoming.toLocaleString("en")} scheduled, the rest ended, 95% with a replay), ${SIZE.videos.toLocaleString("en")} published short videos, ${SIZE.products.toLocaleString("en")} products (1–3 variants, English and Italian titles), ${SIZE.hosts.toLocaleString("en")} creators, ${SIZE.merchants} shops. ${seeding}.${memory}`,
    "",
    `Load: ${USERS} users over ${LOADGENS} load-generator processes (undici), half signed in (15 creators and 3 shops followed each). A user repeats: feed session (65%: from the top, or 55% of the time from deep in the replays at items ${"1%, 10%, 50%, 90%"} of them; 3–12 pages of ${PAGE} by cursor, 0.5–1 s between pages) or search session (35%: type-ahead at 2, 4, 6 letters 150–300 ms apart, six hits each as the web app asks for, then the full query, a page of 20; 20% a rare word); 1–2 s between sessions. Closed loop: the same with no think time. Warm-up ${WARMUP} s before each window. The baseline gets the same users, seeds and positions (as OFFSETs).`,
    "",
    ...sections,
    ...(swipe ? [swipeTable(swipe)] : []),
  ].join("\n");
  appendResults(`Feed and search at scale (\`npm run bench:feed\`${QUICK_RUN ? " --quick" : ""})`, body, machine);
  log("appended to benchmarks/RESULTS.md");
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
