/**
 * npm run bench:flash-sale — 100,000 distinct buyers try to buy 10,000 units.
 *
 * Runs, in one invocation, each as separate server and load-generator processes:
 *   naive-sqlite        one HTTP request and one SQLite transaction per attempt (the baseline)
 *   vetrina-ws          Vetrina (SQLite, embedded default); attempts ride the buyers' room connections
 *   vetrina-http        Vetrina (SQLite); one HTTP request per attempt, each with its own session
 * and, with BENCH_PG_URL=postgres://…, naive-postgres and vetrina-ws-pg on PostgreSQL.
 *
 * `--multi-node` runs the cluster comparison instead, all on PostgreSQL (BENCH_PG_URL, default: its own
 * database vetrina_bench_flash on postgres://postgres@127.0.0.1:5432, created if missing):
 *   naive-postgres        the row-lock baseline: one HTTP request, one `UPDATE … stock > 0` transaction per attempt
 *   vetrina-ws-pg         one Vetrina process on PostgreSQL
 *   vetrina-2node-redis   two Vetrina processes + PostgreSQL + Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379)
 *   vetrina-2node-nats    the same with NATS (BENCH_NATS_URL, default nats://127.0.0.1:4222)
 * Buyers are spread over both nodes (buyer i joins node i % 2); the sale is owned by one of them and
 * the other forwards attempts to it through the broker (docs/multi-node.md#flash-sales-across-nodes).
 * Prints decided attempts/s, p50/p99 decision latency, time to sell out and the oversold count, and
 * appends the table to benchmarks/RESULTS.md.
 *
 * Both transports are closed loops with the same concurrency: 256 HTTP connections, or 256 room
 * connections with an attempt awaiting its answer (the next buyer fires when one is answered).
 *
 * Options (env): BENCH_BUYERS (100000), BENCH_UNITS (10000), BENCH_WAVE (2000), BENCH_HTTP_CONNECTIONS (256), BENCH_WS_INFLIGHT (256),
 * BENCH_ONLY (comma list of scenario names); or as arguments: --buyers=N --units=N --only=a,b, and
 * --no-record to leave benchmarks/RESULTS.md alone (trial runs).
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { ApiClient } from "../../test/support/client.ts";
import { freePort } from "../../test/support/harness.ts";
import { spawnServer, killHard, stopGracefully } from "../../test/support/child-server.ts";
import { openDatabase } from "../../src/server/platform/db.ts";
import { goLive } from "../support/live-show.ts";
import { seedBuyers } from "./seed-buyers.ts";
import type { LoadgenJob, LoadgenReport } from "./loadgen.ts";
import { machineDescription, appendResults, percentile } from "../support/report.ts";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const MULTI_NODE = process.argv.includes("--multi-node");
const BUYERS = Number(arg("buyers") ?? process.env.BENCH_BUYERS ?? 100_000);
const UNITS = Number(arg("units") ?? process.env.BENCH_UNITS ?? 10_000);
// A load generator holding 15,000 room sockets spends its core decoding the room's broadcasts to
// them, and then measures itself; 2,000 at a time keeps the generator from being the bottleneck.
const WAVE = Number(process.env.BENCH_WAVE ?? 2_000);
const HTTP_CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 256);
const WS_INFLIGHT = Number(process.env.BENCH_WS_INFLIGHT ?? 256);
const PG_URL = process.env.BENCH_PG_URL ?? (MULTI_NODE ? await benchDatabase("postgres://postgres@127.0.0.1:5432/postgres", "vetrina_bench_flash") : undefined);
const ONLY = (arg("only") ?? process.env.BENCH_ONLY)?.split(",");
const BROKERS = { redis: process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379", nats: process.env.BENCH_NATS_URL ?? "nats://127.0.0.1:4222" };

/** The URL of a database of the benchmark's own on the server of `adminUrl`, created when missing. */
async function benchDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  const exists = await c.query("select 1 from pg_database where datname = $1", [name]);
  if (!exists.rowCount) await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
const here = import.meta.dirname;

interface Row {
  scenario: string;
  transport: string;
  database: string;
  attempts: number;
  decidedPerSec: number;
  p50: number;
  p99: number;
  sellOutMs: number | null;
  won: number;
  oversold: number;
  errors: number;
}

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

function runLoadgen(job: LoadgenJob): Promise<LoadgenReport> {
  const extra = process.env.LOADGEN_NODE_ARGS ? process.env.LOADGEN_NODE_ARGS.split(" ") : [];
  const child = fork(path.join(here, "loadgen.ts"), { execArgv: [...extra, "--import", "tsx"], stdio: "inherit" });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once("message", (r) => resolve(r as LoadgenReport));
    child.once("exit", (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
    child.send(job);
  });
}

function summarize(scenario: string, transport: string, database: string, r: LoadgenReport, oversold: number): Row {
  const decided = r.outcomes.map((o, i) => ({ o, lat: r.done[i]! - r.sent[i]!, done: r.done[i]! })).filter((x) => ["won", "sold_out", "limit_reached", "not_open", "ended"].includes(x.o));
  const lats = decided.map((d) => d.lat).sort((a, b) => a - b);
  const wins = decided.filter((d) => d.o === "won").map((d) => d.done).sort((a, b) => a - b);
  // Time to sell out counts timed windows only (joining between waves is not part of the sale).
  const timedUntil = (t: number) => r.windows.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, t) - a), 0);
  return {
    scenario,
    transport,
    database,
    attempts: r.outcomes.length,
    decidedPerSec: Math.round(decided.length / (r.busyMs / 1000)),
    p50: percentile(lats, 0.5),
    p99: percentile(lats, 0.99),
    sellOutMs: wins.length >= UNITS ? Math.round(timedUntil(wins[UNITS - 1]!)) : null,
    won: wins.length,
    oversold,
    errors: r.errors,
  };
}

async function naive(database: "sqlite" | "postgres"): Promise<Row> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-naive-"));
  const port = await freePort();
  const child = fork(path.join(here, "naive-server.ts"), {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, PORT: String(port), QUANTITY: String(UNITS), NAIVE_DB: path.join(dir, "naive.db"), ...(database === "postgres" ? { NAIVE_PG_URL: PG_URL } : {}) },
    stdio: "inherit",
  });
  children.push(child);
  await new Promise((r) => child.once("message", r));
  const buyers = Array.from({ length: BUYERS }, (_, i) => `buyer-${i}`);
  const report = await runLoadgen({ mode: "http", baseUrl: `http://127.0.0.1:${port}`, path: "/buy", saleId: "sku", buyers, cookies: false, waveSize: BUYERS, concurrency: HTTP_CONNECTIONS, fireAt: Date.now() + 500, sourceBase: 2 });
  const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { available: number; sold: number };
  await killHard(child);
  fs.rmSync(dir, { recursive: true, force: true });
  return summarize(`naive-${database}`, "HTTP, 1 txn/attempt", database, report, Math.max(0, stats.sold - UNITS) + Math.max(0, -stats.available));
}

function printCpu(r: LoadgenReport) {
  if (r.serverCpuMs !== undefined)
    console.log(`  timed ${Math.round(r.busyMs)} ms: server CPU ${Math.round(r.serverCpuMs)} ms, load generator CPU ${Math.round(r.loadgenCpuMs ?? 0)} ms`);
}

/** The yardstick: a bare ws server answering at once (see ceiling-server.ts). */
async function ceiling(): Promise<Row> {
  const port = await freePort();
  const child = fork(path.join(here, "ceiling-server.ts"), { execArgv: ["--import", "tsx"], env: { ...process.env, PORT: String(port), QUANTITY: String(UNITS) }, stdio: "inherit" });
  children.push(child);
  await new Promise((r) => child.once("message", r));
  const buyers = Array.from({ length: BUYERS }, (_, i) => `buyer-${i}`);
  const report = await runLoadgen({ mode: "ws", baseUrl: `http://127.0.0.1:${port}`, path: "/", saleId: "sku", buyers, cookies: true, waveSize: WAVE, concurrency: 0, inflight: WS_INFLIGHT, fireAt: Date.now() + 500, sourceBase: 60, serverPid: child.pid });
  printCpu(report);
  await killHard(child);
  return summarize("ceiling-ws", "bare ws echo (yardstick)", "none", report, 0);
}

async function vetrina(transport: "ws" | "http", database: "sqlite" | "postgres", cluster?: "redis" | "nats"): Promise<Row> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-bench-"));
  const schema = database === "postgres" ? `bench_${Date.now()}` : undefined;
  if (schema) await pgExec(PG_URL!, `create schema ${schema}`);
  const env: Record<string, string> = {
    PORT: String(await freePort()),
    RTMP_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    DEMO_DATA: "true",
    FLASH_HOLD_SECONDS: "1200",
    LOG_LEVEL: "error",
    HOST: "0.0.0.0",
    ...(schema ? { DATABASE_URL: PG_URL!, DATABASE_SCHEMA: schema } : {}),
    ...(cluster ? { BROKER_URL: BROKERS[cluster], BROKER_PREFIX: schema! } : {}),
  };
  const server = await spawnServer(env);
  children.push(server.child);
  // Cluster: a second node on the same database and broker (started once the first has migrated and seeded).
  const secondDir = cluster ? fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-bench-b-")) : null;
  const second = secondDir ? await spawnServer({ ...env, PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DATA_DIR: secondDir }) : null;
  if (second) children.push(second.child);
  const baseUrls = second ? [server.baseUrl, second.baseUrl] : undefined;
  const { host, showId, pusher } = await goLive(server.baseUrl, env.RTMP_PORT!);
  children.push(pusher);
  const variant = (await host.shows.get(showId)).body.products[0]!.variants[0]!;
  const merchant = new ApiClient(server.baseUrl);
  await merchant.auth.signIn("merchant@vetrina.test", "vetrina-demo");
  await merchant.request("PUT", `/api/v1/merchant/variants/${variant.id}/stock`, { stock: UNITS });

  const db = openDatabase(schema ? { kind: "postgres", url: PG_URL!, schema } : { kind: "sqlite", file: path.join(dataDir, "vetrina.db") });
  const tokens = await seedBuyers(db.db, BUYERS);
  await db.close();

  const sale = await host.request<{ id: string; opensAt: string }>("POST", `/api/v1/shows/${showId}/flash-sales`, {
    variantId: variant.id,
    salePrice: 990,
    quantity: UNITS,
    perBuyerLimit: 1,
    countdownSeconds: transport === "ws" ? 60 : 10,
    durationSeconds: 1200,
  });
  if (sale.status !== 201) throw new Error(`sale: ${JSON.stringify(sale.body)}`);
  const job: LoadgenJob =
    transport === "ws"
      ? { mode: "ws", baseUrl: server.baseUrl, baseUrls, path: `/api/v1/shows/${showId}/room`, saleId: sale.body.id, buyers: tokens, cookies: true, waveSize: WAVE, concurrency: 0, inflight: WS_INFLIGHT, fireAt: Date.parse(sale.body.opensAt) + 50, sourceBase: 10, serverPid: server.child.pid }
      : { mode: "http", baseUrl: server.baseUrl, baseUrls, path: `/api/v1/flash-sales/${sale.body.id}/attempts`, saleId: sale.body.id, buyers: tokens, cookies: true, waveSize: BUYERS, concurrency: HTTP_CONNECTIONS, fireAt: Date.parse(sale.body.opensAt) + 50, sourceBase: 30 };
  const report = await runLoadgen(job);
  printCpu(report);

  // Oversold: units promised (holds held or paid) beyond the quantity, straight from the database.
  const check = openDatabase(schema ? { kind: "postgres", url: PG_URL!, schema } : { kind: "sqlite", file: path.join(dataDir, "vetrina.db") });
  const promised = await check.db.selectFrom("flash_holds").select((eb) => eb.fn.countAll<number>().as("n")).where("sale_id", "=", sale.body.id).where("status", "in", ["held", "paid"]).executeTakeFirstOrThrow();
  await check.close();
  pusher.kill("SIGKILL");
  if (second) await stopGracefully(second.child);
  await stopGracefully(server.child);
  if (schema) await pgExec(PG_URL!, `drop schema ${schema} cascade`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (secondDir) fs.rmSync(secondDir, { recursive: true, force: true });
  const name = cluster ? `vetrina-2node-${cluster}` : `vetrina-${transport}${database === "postgres" ? "-pg" : ""}`;
  const transportName = (transport === "ws" ? "WebSocket (room connection)" : "HTTP, per-request session") + (cluster ? `, 2 nodes + ${cluster}` : "");
  return summarize(name, transportName, database, report, Math.max(0, Number(promised.n) - UNITS));
}

async function pgExec(url: string, statement: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(statement);
  await c.end();
}

const scenarios: [string, () => Promise<Row>][] = MULTI_NODE
  ? [
      ["naive-postgres", () => naive("postgres")],
      ["vetrina-ws-pg", () => vetrina("ws", "postgres")],
      ["vetrina-2node-redis", () => vetrina("ws", "postgres", "redis")],
      ["vetrina-2node-nats", () => vetrina("ws", "postgres", "nats")],
    ]
  : [
  ["naive-sqlite", () => naive("sqlite")],
  ["ceiling-ws", () => ceiling()],
  ["vetrina-ws", () => vetrina("ws", "sqlite")],
  ["vetrina-http", () => vetrina("http", "sqlite")],
  ...(PG_URL ? ([["naive-postgres", () => naive("postgres")], ["vetrina-ws-pg", () => vetrina("ws", "postgres")]] as [string, () => Promise<Row>][]) : []),
    ];

const rows: Row[] = [];
for (const [name, run] of scenarios) {
  if (ONLY && !ONLY.includes(name)) continue;
  console.log(`\n▶ ${name}: ${BUYERS} buyers, ${UNITS} units`);
  const row = await run();
  rows.push(row);
  console.log(row);
}

const base = rows.find((r) => r.scenario === (MULTI_NODE ? "naive-postgres" : "naive-sqlite"));
const table = [
  `| scenario | transport | database | decided attempts/s | × naive ${MULTI_NODE ? "PostgreSQL" : "SQLite"} | p50 ms | p99 ms | sell-out ms | won | oversold | errors |`,
  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...rows.map(
    (r) =>
      `| ${r.scenario} | ${r.transport} | ${r.database} | ${r.decidedPerSec.toLocaleString("en")} | ${base ? (r.decidedPerSec / base.decidedPerSec).toFixed(1) : "–"} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.sellOutMs ?? "–"} | ${r.won} | ${r.oversold} | ${r.errors} |`,
  ),
].join("\n");
console.log(`\n${table}\n`);
// --no-record: a trial run (e.g. a small size) that leaves benchmarks/RESULTS.md alone.
if (!process.argv.includes("--no-record"))
  appendResults(`Flash sale${MULTI_NODE ? ", multi-node" : ""}: ${BUYERS.toLocaleString("en")} buyers, ${UNITS.toLocaleString("en")} units (\`npm run bench:flash-sale\`)`, `${BUYERS.toLocaleString("en")} buyers, ${UNITS.toLocaleString("en")} units, per-buyer limit 1. Closed loops: ${HTTP_CONNECTIONS} HTTP connections; ${WS_INFLIGHT} room connections awaiting an answer at a time (buyers join the room in waves of ${WAVE.toLocaleString("en")}; joining is not timed). Server, load generator and the live show's ffmpeg share the 2 cores.\n\n${table}`, machineDescription());
process.exit(rows.some((r) => r.oversold > 0) ? 1 : 0);
