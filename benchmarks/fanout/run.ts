/**
 * npm run bench:fanout — realtime fan-out of one show's room, Vetrina against a plain Socket.IO 4
 * server (socketio-server.ts: `io.to(room).emit(…)` per chat message and per like), in one invocation.
 *
 * Each run starts its server and its load generators (loadgen.ts) as separate processes, opens N
 * viewer connections to ONE room (to several 127.0.0.x addresses, ≤ FANOUT_PER_LOADGEN sockets per
 * load-generator process), waits until every connection is in, measures the server's memory with N
 * idle connections, then drives chat (and likes) and, after a warm-up, measures for FANOUT_SECONDS:
 *   - delivered chat events/s: chat events received, summed over every viewer;
 *   - p50/p99 latency: the receiver's clock minus the server timestamp the event carries (`ts` when
 *     the event or the frame header has one, else Vetrina's `at`), every chat event of FANOUT_PROBES
 *     probe viewers; also "since posted", from the message's `at`, which includes Vetrina's tick;
 *   - server CPU seconds: utime+stime from /proc over the server process and ALL its descendants
 *     (Vetrina's room gateways and HLS packager, Socket.IO's cluster workers);
 *   - delivered events per server CPU-second (the headline ratio), unintended disconnects;
 *   - memory per idle connection: RSS of those processes with N connections idle for FANOUT_IDLE_SECONDS
 *     (so V8 has returned the join burst's garbage) minus before, ÷ N.
 *
 * Workloads:
 *   comparison  100 chat messages/s room-wide (100 senders at 1/s: Vetrina allows 2/s per user), for
 *               each N of FANOUT_SIZES, on both servers.
 *   festival    FANOUT_FESTIVAL_N viewers, 1,000 chat messages/s (1,000 senders at 1/s) and 10,000
 *               likes/s (1,000 viewers sending `like.send` count 10 once a second); Vetrina only unless
 *               FANOUT_FESTIVAL_SOCKETIO=1. Vetrina samples chat in big rooms, so fewer than 1,000/s
 *               reach each viewer: reported as is. Disconnects must be 0 (the exit code says so).
 * Tables are printed and appended to benchmarks/RESULTS.md. Exit code 1 when a Vetrina run failed or
 * had disconnects.
 *
 * Options (env):
 *   FANOUT_SIZES                 comparison room sizes, comma list (default "1000,5000,20000")
 *   FANOUT_SECONDS               measured seconds per run (default 20)
 *   FANOUT_WARMUP                seconds of traffic before the measurement starts (default 5)
 *   FANOUT_COMPARISON            "0" skips the comparison workload (default on)
 *   FANOUT_FESTIVAL              "0" skips the festival workload (default on, Vetrina only)
 *   FANOUT_FESTIVAL_N            festival room size (default 50000)
 *   FANOUT_FESTIVAL_SOCKETIO     "1" also runs the festival against Socket.IO (default off)
 *   FANOUT_SERVERS               which servers, comma list of vetrina,socketio (default both)
 *   FANOUT_ROOM_GATEWAYS         ROOM_GATEWAYS given to Vetrina in the comparison (default "auto")
 *   FANOUT_FESTIVAL_GATEWAYS     ROOM_GATEWAYS given to Vetrina in the festival (default "4")
 *   FANOUT_SOCKETIO_WORKERS      Socket.IO processes (default "auto": 1, or as many cluster workers as
 *                                the open-file limit needs for N, ~19,000 connections each)
 *   FANOUT_PROBES                latency probe viewers, spread over the room (default 200; N = all):
 *                                only probes parse frames; each records every chat event it gets
 *   FANOUT_PER_LOADGEN           sockets per load-generator process (default 12500)
 *   FANOUT_PER_ADDRESS           sockets per 127.0.0.x destination address (default 5000)
 *   FANOUT_CONNECT_CONCURRENCY   handshakes in flight per load generator while joining (default 200)
 *   FANOUT_IDLE_SECONDS          idle wait after the joins before memory is read (default 15)
 *   LOADGEN_NODE_ARGS, SERVER_NODE_ARGS   extra node flags for the load generators / the Vetrina server
 *   FANOUT_RECORD                "0" prints the tables without appending them to RESULTS.md (smoke runs)
 *
 * Multi-node (docs/deployment.md): the comparison workload against Vetrina set up as one node or as two
 * node processes sharing PostgreSQL and a broker. The viewers are spread evenly over the nodes; the chat
 * senders are all on the first node (where the show is streamed), so every message a viewer on the
 * second node gets has crossed the broker. Latency is measured on each node with the same histogram.
 *   FANOUT_MULTI_NODE            setups, comma list of 1-sqlite, 1-pg, 2-redis, 2-nats (default all four;
 *                                "0" skips the multi-node workload)
 *   FANOUT_MULTI_NODE_SIZES      room sizes (default FANOUT_SIZES)
 *   FANOUT_MULTI_NODE_GATEWAYS   ROOM_GATEWAYS of every node in these runs (default FANOUT_ROOM_GATEWAYS)
 *   FANOUT_DATABASE_URL          PostgreSQL (default postgres://postgres@127.0.0.1:5432/test; each run
 *                                has its own schema, dropped afterwards)
 *   FANOUT_REDIS_URL, FANOUT_NATS_URL   brokers (default redis://127.0.0.1:6379, nats://127.0.0.1:4222;
 *                                each run has its own BROKER_PREFIX, its Redis keys deleted afterwards)
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io as ioClient } from "socket.io-client";
import { Redis } from "ioredis";
import { freePort, pgAdmin } from "../../test/support/harness.ts";
import { spawnServer, killHard, stopGracefully } from "../../test/support/child-server.ts";
import { openDatabase } from "../../src/server/platform/db.ts";
import { seedBuyers } from "../flash-sale/seed-buyers.ts";
import { machineDescription, appendResults } from "../support/report.ts";
import { goLive } from "../support/live-show.ts";
import { socketsPerProcess } from "../../src/server/room/gateways.ts";
import { LatencyHistogram } from "./histogram.ts";
import { cpuBetween, rssGrowth, sampleCpu, treeRss, treeRssBytes } from "./proc.ts";
import type { ConnectedReport, FanoutJob, FanoutReport } from "./loadgen.ts";
import { addressAllocator, Loadgen } from "./loadgen-process.ts";

const env = process.env;
const SIZES = (env.FANOUT_SIZES ?? "1000,5000,20000").split(",").map((s) => Number(s.trim())).filter((n) => n > 0);
const SECONDS = Number(env.FANOUT_SECONDS ?? 20);
const WARMUP = Number(env.FANOUT_WARMUP ?? 5);
const COMPARISON = env.FANOUT_COMPARISON !== "0";
const FESTIVAL = env.FANOUT_FESTIVAL !== "0";
const FESTIVAL_N = Number(env.FANOUT_FESTIVAL_N ?? 50_000);
const FESTIVAL_SOCKETIO = env.FANOUT_FESTIVAL_SOCKETIO === "1";
const SERVERS = (env.FANOUT_SERVERS ?? "vetrina,socketio").split(",").map((s) => s.trim());
const ROOM_GATEWAYS = env.FANOUT_ROOM_GATEWAYS ?? "auto";
const FESTIVAL_GATEWAYS = env.FANOUT_FESTIVAL_GATEWAYS ?? "4";
const SOCKETIO_WORKERS = env.FANOUT_SOCKETIO_WORKERS ?? "auto";
const PROBES = Number(env.FANOUT_PROBES ?? 200);
const PER_LOADGEN = Number(env.FANOUT_PER_LOADGEN ?? 12_500);
const PER_ADDRESS = Number(env.FANOUT_PER_ADDRESS ?? 5_000);
const CONNECT_CONCURRENCY = Number(env.FANOUT_CONNECT_CONCURRENCY ?? 200);
const IDLE_SECONDS = Number(env.FANOUT_IDLE_SECONDS ?? 15);
const MULTI_NODE = (env.FANOUT_MULTI_NODE ?? "1-sqlite,1-pg,2-redis,2-nats").split(",").map((s) => s.trim()).filter((s) => s && s !== "0");
const MULTI_NODE_SIZES = (env.FANOUT_MULTI_NODE_SIZES ?? SIZES.join(",")).split(",").map((s) => Number(s.trim())).filter((n) => n > 0);
const MULTI_NODE_GATEWAYS = env.FANOUT_MULTI_NODE_GATEWAYS ?? ROOM_GATEWAYS;
const DATABASE_URL = env.FANOUT_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = env.FANOUT_REDIS_URL ?? "redis://127.0.0.1:6379";
const NATS_URL = env.FANOUT_NATS_URL ?? "nats://127.0.0.1:4222";
const RECORD = env.FANOUT_RECORD !== "0";
const here = import.meta.dirname;

type ServerKind = "vetrina" | "socketio";
const NAMES: Record<ServerKind, string> = { vetrina: "Vetrina", socketio: "Socket.IO" };

interface Workload {
  name: "comparison" | "festival";
  chatPerSec: number;
  senders: number;
  likers: number;
  likeCount: number;
  likesPerLikerPerSec: number;
}
const COMPARISON_LOAD: Workload = { name: "comparison", chatPerSec: 100, senders: 100, likers: 0, likeCount: 10, likesPerLikerPerSec: 1 };
const FESTIVAL_LOAD: Workload = { name: "festival", chatPerSec: 1000, senders: 1000, likers: 1000, likeCount: 10, likesPerLikerPerSec: 1 };

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL")));
process.on("SIGINT", () => process.exit(130));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = async (t: number) => {
  while (Date.now() < t) await sleep(Math.min(50, Math.max(1, t - Date.now())));
};

const nextAddress = addressAllocator();

/* ---------------- servers ---------------- */

interface ServerHandle {
  kind: ServerKind;
  /** every server process (Vetrina: its nodes; the first one streams the show and takes the chat senders) */
  nodes: { pid: number; port: number }[];
  roomPath: string;
  tokens: string[];
  /** how it ran: gateways or workers */
  processes: string;
  /** what the server printed (Vetrina: its log at LOG_LEVEL=error) */
  output(): string;
  stop(): Promise<void>;
}

/** Vetrina on its embedded default: one process, SQLite. */
function startVetrina(n: number, gateways: string): Promise<ServerHandle> {
  return startVetrinaSetup(n, gateways, parseSetup("1-sqlite"));
}

async function startSocketIo(n: number, workersOption: string): Promise<ServerHandle> {
  // "auto": one process, the usual setup, unless N would not fit under one process's open-file limit.
  const perProcess = socketsPerProcess();
  const workers = workersOption === "auto" ? Math.max(1, Math.ceil(n / perProcess)) : Math.max(1, Number(workersOption));
  const port = await freePort();
  const child = fork(path.join(here, "socketio-server.ts"), {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, PORT: String(port), SOCKETIO_WORKERS: String(workers) },
    stdio: "inherit",
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`socket.io server exited ${code}`)));
  });
  return {
    kind: "socketio",
    nodes: [{ pid: child.pid!, port }],
    roomPath: "",
    tokens: [],
    processes: workers === 1 ? "1 process" : `${workers} cluster workers`,
    output: () => "",
    async stop() {
      await stopGracefully(child);
    },
  };
}

/** A multi-node setup: "1-sqlite", "1-pg", "2-redis" or "2-nats". */
interface Setup {
  id: string;
  label: string;
  nodes: number;
  database: "sqlite" | "pg";
  broker: "redis" | "nats" | null;
}
function parseSetup(id: string): Setup {
  const setups: Record<string, Setup> = {
    "1-sqlite": { id, label: "1 node, SQLite", nodes: 1, database: "sqlite", broker: null },
    "1-pg": { id, label: "1 node, PostgreSQL", nodes: 1, database: "pg", broker: null },
    "2-redis": { id, label: "2 nodes, PostgreSQL + Redis", nodes: 2, database: "pg", broker: "redis" },
    "2-nats": { id, label: "2 nodes, PostgreSQL + NATS", nodes: 2, database: "pg", broker: "nats" },
  };
  const setup = setups[id];
  if (!setup) throw new Error(`FANOUT_MULTI_NODE: unknown setup "${id}" (one of ${Object.keys(setups).join(", ")})`);
  return setup;
}

/** Vetrina as `setup` says: its nodes share the database and the broker; the show is streamed through the first. */
async function startVetrinaSetup(n: number, gateways: string, setup: Setup): Promise<ServerHandle> {
  const tag = `bench_fanout_${process.pid}_${Date.now().toString(36)}`;
  const dataDirs: string[] = [];
  const nodes: Awaited<ReturnType<typeof spawnServer>>[] = [];
  const cleanup = async () => {
    for (const node of nodes) await stopGracefully(node.child);
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
    if (setup.database === "pg") await pgAdmin(DATABASE_URL, `drop schema if exists ${tag} cascade`).catch(() => {});
    if (setup.broker === "redis") await deleteRedisKeys(REDIS_URL, tag).catch(() => {});
  };
  try {
    if (setup.database === "pg") await pgAdmin(DATABASE_URL, `create schema ${tag}`);
    const rtmpPorts: string[] = [];
    for (let k = 0; k < setup.nodes; k++) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-fanout-"));
      dataDirs.push(dataDir);
      const serverEnv: Record<string, string> = {
        PORT: String(await freePort()),
        RTMP_PORT: String(await freePort()),
        DATA_DIR: dataDir,
        DEMO_DATA: "true",
        LOG_LEVEL: "error",
        HOST: "0.0.0.0",
        ROOM_GATEWAYS: gateways,
        ...(setup.database === "pg" ? { DATABASE_URL, DATABASE_SCHEMA: tag } : {}),
        ...(setup.broker ? { BROKER_URL: setup.broker === "redis" ? REDIS_URL : NATS_URL, BROKER_PREFIX: tag } : {}),
      };
      // One after the other: the first one migrates and seeds the shared database.
      const node = await spawnServer(serverEnv);
      children.push(node.child);
      nodes.push(node);
      rtmpPorts.push(serverEnv.RTMP_PORT!);
    }
    const { showId, pusher } = await goLive(nodes[0]!.baseUrl, rtmpPorts[0]!);
    children.push(pusher);
    const db = openDatabase(setup.database === "pg" ? { kind: "postgres", url: DATABASE_URL, schema: tag } : { kind: "sqlite", file: path.join(dataDirs[0]!, "vetrina.db") });
    const tokens = await seedBuyers(db.db, n, "fan");
    await db.close();
    return {
      kind: "vetrina",
      nodes: nodes.map((node) => ({ pid: node.child.pid!, port: Number(new URL(node.baseUrl).port) })),
      roomPath: `/api/v1/shows/${showId}/room`,
      tokens,
      processes: `${setup.nodes > 1 ? `${setup.nodes} × ` : ""}ROOM_GATEWAYS=${gateways}`,
      output: () => nodes.map((node) => node.output()).join("\n"),
      async stop() {
        pusher.kill("SIGKILL");
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Deletes this run's keys (BROKER_PREFIX) from the shared Redis. */
async function deleteRedisKeys(url: string, prefix: string) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/* ---------------- one measurement ---------------- */

interface Result {
  server: ServerKind;
  /** multi-node workload: the setup's label */
  setup?: string;
  /** per node, in order (the first streams the show and has the chat senders): viewers and latency */
  perNode: { connected: number; p50: number; p99: number; p50Posted: number; p99Posted: number; samples: number }[];
  workload: Workload["name"] | "multi-node";
  n: number;
  processes: string;
  connected: number;
  failures: Record<string, number>;
  /** join attempts that failed and were tried again */
  rejoined: number;
  chatSentPerSec: number;
  deliveredPerSec: number;
  /** delivered ÷ (sent × connected viewers) */
  delivery: number;
  perViewerPerSec: number;
  p50: number;
  p99: number;
  /** from the instant the message was posted (`at`), which a frame's `ts` leaves out */
  p50Posted: number;
  p99Posted: number;
  latencySamples: number;
  lateSends: number;
  cpuSeconds: number;
  cpuByCommand: string;
  eventsPerCpuSecond: number;
  disconnects: number;
  closeCodes: Record<string, number>;
  sendErrors: Record<string, number>;
  memKiBPerConn: number;
  likesSentPerSec: number;
  likeUpdatesPerViewerPerSec: number;
  /** the worst probe: share of all like taps sent that its updates accounted for */
  likesAccounted: number | null;
  loadgenCpuSeconds: number;
  loadgenLoopDelayMaxMs: number;
  witness?: string;
  error?: string;
}

function merge(into: Record<string, number>, from: Record<string, number>) {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const treeRssAll = (pids: number[]) => new Map(pids.flatMap((pid) => [...treeRss(pid)]));
const sumRss = (m: Map<number, { rss: number }>) => [...m.values()].reduce((sum, p) => sum + p.rss, 0);
const sampleCpuAll = (pids: number[]) => pids.map((pid) => sampleCpu(pid));
function cpuBetweenAll(a: ReturnType<typeof sampleCpuAll>, b: ReturnType<typeof sampleCpuAll>) {
  const parts = a.map((x, k) => cpuBetween(x, b[k]!));
  const byCommand = new Map<string, { processes: number; seconds: number }>();
  for (const p of parts)
    for (const [comm, e] of p.byCommand) {
      const into = byCommand.get(comm) ?? { processes: 0, seconds: 0 };
      into.processes += e.processes;
      into.seconds += e.seconds;
      byCommand.set(comm, into);
    }
  return { total: parts.reduce((t, p) => t + p.total, 0), byCommand, byProcess: parts.map((p) => p.byProcess).join(" | ") };
}

async function measure(server: ServerHandle, n: number, w: Workload): Promise<Result> {
  await sleep(1000);
  const pids = server.nodes.map((node) => node.pid);
  const rssBeforeByPid = treeRssAll(pids);
  const rssBefore = sumRss(rssBeforeByPid);

  // Split N evenly over the nodes, each node's share over load generators, and each generator's sockets
  // over fresh addresses. The chat senders (and likers) are all on the first node; with one node this is
  // exactly the single-server split.
  const gens: { gen: Loadgen; job: FanoutJob; node: number }[] = [];
  const senders = Math.min(w.senders, Math.ceil(n / server.nodes.length));
  const likers = Math.min(w.likers, Math.ceil(n / server.nodes.length));
  const chatPerSenderPerSec = w.chatPerSec / senders;
  if (chatPerSenderPerSec > 2) console.warn(`  ! ${chatPerSenderPerSec.toFixed(1)} chat/s per sender exceeds Vetrina's 2/s per user: it will refuse some`);
  let tokenAt = 0;
  server.nodes.forEach((node, t) => {
    const share = Math.floor(n / server.nodes.length) + (t < n % server.nodes.length ? 1 : 0);
    const count = Math.max(1, Math.ceil(share / PER_LOADGEN));
    for (let k = 0, first = 0; k < count; k++) {
      const size = Math.floor(share / count) + (k < share % count ? 1 : 0);
      const addresses = Array.from({ length: Math.ceil(size / PER_ADDRESS) }, nextAddress);
      const job: FanoutJob = {
        protocol: server.kind,
        port: node.port,
        roomPath: server.roomPath,
        tokens: server.tokens.slice(tokenAt, tokenAt + size),
        first,
        count: size,
        total: share,
        addresses,
        perAddress: PER_ADDRESS,
        senders: t === 0 ? senders : 0,
        chatPerSenderPerSec,
        likers: t === 0 ? likers : 0,
        likeCount: w.likeCount,
        likesPerLikerPerSec: w.likesPerLikerPerSec,
        probes: Math.min(Math.round((PROBES * share) / n), share),
        connectConcurrency: CONNECT_CONCURRENCY,
      };
      const gen = new Loadgen();
      children.push(gen.child);
      gens.push({ gen, job, node: t });
      first += size;
      tokenAt += size;
    }
  });
  try {
    const joinStart = Date.now();
    const joined = await Promise.all(gens.map(({ gen, job }) => gen.ask<ConnectedReport>({ kind: "job", job }, "connected")));
    const connected = joined.reduce((s, r) => s + r.connected, 0);
    const failures: Record<string, number> = {};
    const retries: Record<string, number> = {};
    for (const r of joined) {
      merge(failures, r.failures);
      merge(retries, r.retries);
    }
    if (Object.keys(retries).length) console.log(`  joins tried again (the client reconnects, as a real one does): ${JSON.stringify(retries)}`);
    if (connected < n && server.output()) console.log(`  server log (last lines):\n${server.output().trim().split("\n").slice(-5).map((l) => `    ${l.slice(0, 400)}`).join("\n")}`);
    console.log(`  ${connected.toLocaleString("en")}/${n.toLocaleString("en")} viewers in the room after ${((Date.now() - joinStart) / 1000).toFixed(1)} s${Object.keys(failures).length ? `; failed: ${JSON.stringify(failures)}` : ""}`);

    // Idle: let the joins settle and V8's memory reducer return the join burst's garbage (it runs
    // some seconds after allocation calms down), so the figure is what idle connections hold.
    await sleep(IDLE_SECONDS * 1000);
    const rssIdleByPid = treeRssAll(pids);
    const rssIdle = sumRss(rssIdleByPid);
    console.log(`  KiB per idle connection by process: ${rssGrowth(rssBeforeByPid, rssIdleByPid, connected)}`);

    // A real socket.io-client beside the load generators: checks their hand-rolled protocol.
    let witnessChat = 0;
    let witnessLikes = 0;
    let windowStart = Infinity;
    let windowEnd = -Infinity;
    const inWindow = () => Date.now() >= windowStart && Date.now() < windowEnd;
    const witness =
      server.kind === "socketio"
        ? ioClient(`http://127.0.0.1:${server.nodes[0]!.port}`, { transports: ["websocket"], forceNew: true, reconnection: false, auth: { name: "witness" } })
        : null;
    witness?.on("chat.message", () => inWindow() && witnessChat++);
    witness?.on("like", () => inWindow() && witnessLikes++);
    if (witness) await new Promise<void>((resolve) => witness.once("connect", () => resolve()));

    const sendAt = Date.now() + 500;
    windowStart = sendAt + WARMUP * 1000;
    windowEnd = windowStart + SECONDS * 1000;
    for (const { gen } of gens) gen.send({ kind: "start", sendAt, windowStart, windowEnd });
    await sleepUntil(windowStart);
    const cpu0 = sampleCpuAll(pids);
    await sleepUntil(windowEnd);
    const cpu1 = sampleCpuAll(pids);
    const rssLoaded = pids.reduce((sum, pid) => sum + treeRssBytes(pid), 0);
    await sleep(2500); // senders stopped at windowEnd; let the last updates arrive for the likes check
    witness?.close();

    const reports = await Promise.all(gens.map(({ gen }) => gen.ask<FanoutReport>({ kind: "report" }, "report")));
    const hist = new LatencyHistogram();
    const histPosted = new LatencyHistogram();
    const perNode = server.nodes.map(() => ({ hist: new LatencyHistogram(), posted: new LatencyHistogram(), connected: 0 }));
    reports.forEach((r, k) => {
      perNode[gens[k]!.node]!.hist.merge(r.latency);
      perNode[gens[k]!.node]!.posted.merge(r.latencyPosted);
      perNode[gens[k]!.node]!.connected += r.connected;
    });
    let lateSends = 0;
    const closeCodes: Record<string, number> = {};
    const sendErrors: Record<string, number> = {};
    let delivered = 0, likeUpdates = 0, chatSent = 0, likeMessages = 0, likesSentTotal = 0, disconnects = 0, loadgenCpu = 0, loopMax = 0;
    const probeLikes: number[] = [];
    for (const r of reports) {
      hist.merge(r.latency);
      histPosted.merge(r.latencyPosted);
      lateSends += r.lateSends;
      merge(closeCodes, r.closeCodes);
      merge(sendErrors, r.sendErrors);
      delivered += r.chatDelivered;
      likeUpdates += r.likeUpdates;
      chatSent += r.chatSent;
      likeMessages += r.likeMessagesSent;
      likesSentTotal += r.likesSentTotal;
      disconnects += r.disconnects;
      loadgenCpu += r.cpuSeconds;
      loopMax = Math.max(loopMax, r.loopDelayMaxMs || 0);
      probeLikes.push(...r.probeLikes);
    }
    const cpu = cpuBetweenAll(cpu0, cpu1);
    const perSec = (x: number) => x / SECONDS;
    const result: Result = {
      server: server.kind,
      perNode: perNode.map((p) => ({ connected: p.connected, p50: p.hist.percentile(0.5), p99: p.hist.percentile(0.99), p50Posted: p.posted.percentile(0.5), p99Posted: p.posted.percentile(0.99), samples: p.hist.total })),
      workload: w.name,
      n,
      processes: server.processes,
      connected,
      failures,
      rejoined: Object.values(retries).reduce((a, b) => a + b, 0),
      chatSentPerSec: perSec(chatSent),
      deliveredPerSec: perSec(delivered),
      delivery: chatSent && connected ? delivered / (chatSent * connected) : NaN,
      perViewerPerSec: connected ? perSec(delivered) / connected : NaN,
      p50: hist.percentile(0.5),
      p99: hist.percentile(0.99),
      p50Posted: histPosted.percentile(0.5),
      p99Posted: histPosted.percentile(0.99),
      latencySamples: hist.total,
      lateSends,
      cpuSeconds: cpu.total,
      cpuByCommand: [...cpu.byCommand].map(([comm, e]) => `${comm}×${e.processes} ${e.seconds.toFixed(2)} s`).join(", "),
      eventsPerCpuSecond: cpu.total > 0 ? delivered / cpu.total : NaN,
      disconnects,
      closeCodes,
      sendErrors,
      memKiBPerConn: connected ? (rssIdle - rssBefore) / connected / 1024 : NaN,
      likesSentPerSec: perSec(likeMessages * w.likeCount),
      likeUpdatesPerViewerPerSec: connected ? perSec(likeUpdates) / connected : NaN,
      likesAccounted: likesSentTotal && probeLikes.length ? Math.min(...probeLikes) / likesSentTotal : null,
      loadgenCpuSeconds: loadgenCpu,
      loadgenLoopDelayMaxMs: loopMax,
      ...(witness ? { witness: `socket.io-client witness: ${perSec(witnessChat).toFixed(1)} chat/s, ${perSec(witnessLikes).toFixed(1)} like packets/s; load-generator viewers: ${(perSec(delivered) / Math.max(1, connected)).toFixed(1)} chat/s, ${(perSec(likeUpdates) / Math.max(1, connected)).toFixed(1)} like packets/s each` } : {}),
    };
    console.log(`  server RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssIdle / 2 ** 20).toFixed(0)} MiB idle with the room, ${(rssLoaded / 2 ** 20).toFixed(0)} MiB at the end of the window`);
    console.log(`  server CPU s by process: ${cpu.byProcess}`);
    console.log(`  server CPU in the window: ${result.cpuByCommand}; load generators ${loadgenCpu.toFixed(2)} s (longest event-loop stall ${loopMax.toFixed(0)} ms)`);
    if (lateSends) console.log(`  ! ${lateSends} sends in the window went out more than 250 ms late: the load generators could not keep up`);
    if (Object.keys(sendErrors).length) console.log(`  errors answered to senders: ${JSON.stringify(sendErrors)}`);
    if (disconnects) console.log(`  unintended disconnects: ${disconnects} ${JSON.stringify(closeCodes)}`);
    if (result.witness) console.log(`  ${result.witness}`);
    return result;
  } finally {
    await Promise.all(gens.map(({ gen }) => (gen.child.connected ? gen.ask({ kind: "close" }, "closed").catch(() => {}) : Promise.resolve())));
    await Promise.all(gens.map(({ gen }) => killHard(gen.child)));
  }
}

async function run(kind: ServerKind, n: number, w: Workload, setup?: Setup): Promise<Result> {
  console.log(`\n▶ ${setup ? `multi-node: Vetrina, ${setup.label}` : `${w.name}: ${NAMES[kind]}`}, N = ${n.toLocaleString("en")}, ${w.chatPerSec} chat/s${w.likers ? `, ${w.likers * w.likeCount * w.likesPerLikerPerSec} likes/s` : ""}`);
  let server: ServerHandle | null = null;
  try {
    server = setup
      ? await startVetrinaSetup(n, MULTI_NODE_GATEWAYS, setup)
      : kind === "vetrina"
        ? await startVetrina(n, w.name === "festival" ? FESTIVAL_GATEWAYS : ROOM_GATEWAYS)
        : await startSocketIo(n, SOCKETIO_WORKERS);
    const r = { ...(await measure(server, n, w)), ...(setup ? { setup: setup.label, workload: "multi-node" as const } : {}) };
    if (r.perNode.length > 1) console.log(`  per node: ${r.perNode.map((p, k) => `node ${k + 1}: ${p.connected} viewers, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, since posted ${p.p50Posted.toFixed(1)} / ${p.p99Posted.toFixed(1)} ms (${p.samples} samples)`).join("; ")}`);
    console.log(
      `  ${r.deliveredPerSec.toLocaleString("en", { maximumFractionDigits: 0 })} chat events/s delivered (${r.perViewerPerSec.toFixed(1)} per viewer), p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms (since posted: ${r.p50Posted.toFixed(1)} / ${r.p99Posted.toFixed(1)} ms; ${r.latencySamples.toLocaleString("en")} samples), ` +
        `${r.cpuSeconds.toFixed(2)} server CPU s → ${fmtInt(r.eventsPerCpuSecond)} events per CPU-s, ${r.memKiBPerConn.toFixed(1)} KiB per idle connection`,
    );
    return r;
  } catch (err) {
    console.error(`  ✗ ${(err as Error).stack ?? err}`);
    return { ...emptyResult(kind, n, w), ...(setup ? { setup: setup.label, workload: "multi-node" as const } : {}), processes: server?.processes ?? "", error: (err as Error).message.split("\n")[0]!.slice(0, 120) };
  } finally {
    await server?.stop().catch(() => {});
  }
}

function emptyResult(kind: ServerKind, n: number, w: Workload): Result {
  return {
    server: kind, perNode: [], workload: w.name, n, processes: "", connected: 0, failures: {}, rejoined: 0, chatSentPerSec: NaN, deliveredPerSec: NaN, delivery: NaN, perViewerPerSec: NaN, p50: NaN, p99: NaN,
    p50Posted: NaN, p99Posted: NaN, latencySamples: 0, lateSends: 0, cpuSeconds: NaN, cpuByCommand: "", eventsPerCpuSecond: NaN, disconnects: 0, closeCodes: {}, sendErrors: {}, memKiBPerConn: NaN, likesSentPerSec: NaN,
    likeUpdatesPerViewerPerSec: NaN, likesAccounted: null, loadgenCpuSeconds: NaN, loadgenLoopDelayMaxMs: NaN,
  };
}

/* ---------------- tables ---------------- */

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "–");
const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const pct = (x: number | null) => (x !== null && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "–");
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `×${(a / b).toFixed(a / b >= 10 ? 0 : 2)}` : "–");
const connectedCell = (r: Result) =>
  r.error
    ? `failed: ${r.error.replace(/\|/g, "/")}`
    : `${fmtInt(r.connected)}${r.connected < r.n ? ` (${Object.entries(r.failures).map(([k, v]) => `${v} ${k}`).join(", ")})` : ""}${r.rejoined ? ` (${fmtInt(r.rejoined)} join retries)` : ""}`;

function comparisonTable(rows: Result[]): string {
  const lines = [
    "| N | server | processes | viewers connected | chat sent/s | delivered chat events/s | delivered ÷ (sent × viewers) | p50 ms | p99 ms | p99 ms since posted | server CPU s | delivered events per server CPU-s | disconnects | KiB per idle connection | load-gen CPU s |",
    "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const n of [...new Set(rows.map((r) => r.n))]) {
    const v = rows.find((r) => r.n === n && r.server === "vetrina");
    const s = rows.find((r) => r.n === n && r.server === "socketio");
    for (const r of [v, s]) {
      if (!r) continue;
      lines.push(
        `| ${fmtInt(n)} | ${NAMES[r.server]} | ${r.processes} | ${connectedCell(r)} | ${fmt(r.chatSentPerSec)} | ${fmtInt(r.deliveredPerSec)} | ${pct(r.delivery)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.p99Posted)} | ${fmt(r.cpuSeconds, 2)} | ${fmtInt(r.eventsPerCpuSecond)} | ${r.disconnects} | ${fmt(r.memKiBPerConn)} | ${fmt(r.loadgenCpuSeconds, 2)} |`,
      );
    }
    if (v && s)
      lines.push(
        `| ${fmtInt(n)} | **Vetrina ÷ Socket.IO** | | | | ${ratio(v.deliveredPerSec, s.deliveredPerSec)} | | ${ratio(v.p50, s.p50)} | ${ratio(v.p99, s.p99)} | ${ratio(v.p99Posted, s.p99Posted)} | ${ratio(v.cpuSeconds, s.cpuSeconds)} | **${ratio(v.eventsPerCpuSecond, s.eventsPerCpuSecond)}** | | ${ratio(v.memKiBPerConn, s.memKiBPerConn)} | |`,
      );
  }
  return lines.join("\n");
}

function festivalTable(rows: Result[]): string {
  const lines = [
    "| N | server | processes | viewers connected | chat sent/s | chat delivered per viewer/s | p99 ms | p99 ms since posted | likes sent/s | likes-total updates per viewer/s | likes accounted (worst probe) | server CPU s | disconnects | KiB per idle connection | load-gen CPU s |",
    "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows)
    lines.push(
      `| ${fmtInt(r.n)} | ${NAMES[r.server]} | ${r.processes} | ${connectedCell(r)} | ${fmt(r.chatSentPerSec)} | ${fmt(r.perViewerPerSec)} | ${fmt(r.p99)} | ${fmt(r.p99Posted)} | ${fmtInt(r.likesSentPerSec)} | ${fmt(r.likeUpdatesPerViewerPerSec)} | ${pct(r.likesAccounted)} | ${fmt(r.cpuSeconds, 2)} | ${r.disconnects} | ${fmt(r.memKiBPerConn)} | ${fmt(r.loadgenCpuSeconds, 2)} |`,
    );
  const v = rows.find((r) => r.server === "vetrina");
  const s = rows.find((r) => r.server === "socketio");
  if (v && s)
    lines.push(`| ${fmtInt(v.n)} | **Vetrina ÷ Socket.IO** | | | | ${ratio(v.perViewerPerSec, s.perViewerPerSec)} | ${ratio(v.p99, s.p99)} | ${ratio(v.p99Posted, s.p99Posted)} | | ${ratio(v.likeUpdatesPerViewerPerSec, s.likeUpdatesPerViewerPerSec)} | | ${ratio(v.cpuSeconds, s.cpuSeconds)} | | ${ratio(v.memKiBPerConn, s.memKiBPerConn)} | |`);
  return lines.join("\n");
}

function multiNodeTable(rows: Result[]): string {
  const lines = [
    "| N | Vetrina | processes | viewers connected (per node) | chat sent/s | delivered chat events/s | delivered ÷ (sent × viewers) | node 1 (senders, stream): p50 / p99 ms | node 1: since posted p50 / p99 ms | node 2 (across the broker): p50 / p99 ms | node 2: since posted p50 / p99 ms | server CPU s (all nodes) | delivered events per server CPU-s | disconnects |",
    "| ---: | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const pair = (p: Result["perNode"][number] | undefined) => (p ? `${fmt(p.p50)} / ${fmt(p.p99)}` : "–");
  const posted = (p: Result["perNode"][number] | undefined) => (p ? `${fmt(p.p50Posted)} / ${fmt(p.p99Posted)}` : "–");
  for (const r of rows)
    lines.push(
      `| ${fmtInt(r.n)} | ${r.setup} | ${r.processes} | ${r.error ? connectedCell(r) : `${fmtInt(r.connected)}${r.perNode.length > 1 ? ` (${r.perNode.map((p) => fmtInt(p.connected)).join(" + ")})` : ""}`} | ${fmt(r.chatSentPerSec)} | ${fmtInt(r.deliveredPerSec)} | ${pct(r.delivery)} | ${pair(r.perNode[0])} | ${posted(r.perNode[0])} | ${pair(r.perNode[1])} | ${posted(r.perNode[1])} | ${fmt(r.cpuSeconds, 2)} | ${fmtInt(r.eventsPerCpuSecond)} | ${r.disconnects} |`,
    );
  return lines.join("\n");
}

const common =
  `Latency: the receiver's clock minus the server timestamp the chat event carries: \`ts\` on the event, or on Vetrina's frame header (\`{type:"frame",ts}\`: when the tick's frame was made), else the message's \`at\` (ms); Socket.IO: \`ts\`, taken when the message is handled. "Since posted" measures from the message's \`at\` instead (when Vetrina stored it; Socket.IO: the same instant as \`ts\`), so it includes Vetrina's tick batching. Every chat event received by up to ${PROBES.toLocaleString("en")} probe viewers spread over the room, 0.1 ms histogram. ` +
  `Server CPU: utime+stime from /proc over the server process and all its descendants (Vetrina's include its HLS packager, ffmpeg -c copy; the test-pattern publisher is not the server's) during the ${SECONDS} s window, after a ${WARMUP} s warm-up with every connection open. ` +
  `Memory: RSS of those processes with N connections idle for ${IDLE_SECONDS} s (V8 returns the join burst's garbage some seconds after it) minus before connecting, ÷ N. ` +
  `Socket.IO 4 (socketio-server.ts): WebSocket transport only, no compression, \`io.to(room).emit\` per chat message and per like, no persistence, authentication or rate limiting; when N does not fit in one process's open-file limit it runs as node:cluster workers with @socket.io/cluster-adapter. ` +
  `Viewers are split over load-generator processes of ≤ ${PER_LOADGEN.toLocaleString("en")} sockets, ≤ ${PER_ADDRESS.toLocaleString("en")} per 127.0.0.x address; server, load generators and the live show's ffmpeg share the machine's cores. ` +
  `Ratios are Vetrina ÷ Socket.IO: above 1 is better for events/s and events per CPU-second, below 1 for latency, CPU and memory.`;

/* ---------------- main ---------------- */

const servers = (["vetrina", "socketio"] as const).filter((k) => SERVERS.includes(k));
const comparison: Result[] = [];
const festival: Result[] = [];
if (COMPARISON) for (const n of SIZES) for (const kind of servers) comparison.push(await run(kind, n, COMPARISON_LOAD));
if (FESTIVAL)
  for (const kind of servers) {
    if (kind === "socketio" && !FESTIVAL_SOCKETIO) continue;
    festival.push(await run(kind, FESTIVAL_N, FESTIVAL_LOAD));
  }
const multiNode: Result[] = [];
const setups = MULTI_NODE.map(parseSetup);
if (SERVERS.includes("vetrina")) for (const n of MULTI_NODE_SIZES) for (const setup of setups) multiNode.push(await run("vetrina", n, COMPARISON_LOAD, setup));

const machine = machineDescription();
if (comparison.length) {
  const table = comparisonTable(comparison);
  console.log(`\nComparison: ${COMPARISON_LOAD.chatPerSec} chat messages/s, every viewer receives every message\n\n${table}\n`);
  if (RECORD) appendResults(
    `Room fan-out: Vetrina vs Socket.IO, ${COMPARISON_LOAD.chatPerSec} chat/s, N = ${SIZES.map((n) => n.toLocaleString("en")).join(" / ")} (\`npm run bench:fanout\`)`,
    `One show's room, N signed-in viewers, ${COMPARISON_LOAD.chatPerSec} chat messages/s room-wide from ${COMPARISON_LOAD.senders} senders at 1/s; every viewer should receive every message. ${common}\n\n${table}`,
    machine,
  );
}
if (festival.length) {
  const table = festivalTable(festival);
  console.log(`\nFestival: ${FESTIVAL_LOAD.chatPerSec} chat/s and ${FESTIVAL_LOAD.likers * FESTIVAL_LOAD.likeCount} likes/s\n\n${table}\n`);
  if (RECORD) appendResults(
    `Room fan-out: festival, N = ${FESTIVAL_N.toLocaleString("en")}, ${FESTIVAL_LOAD.chatPerSec} chat/s + ${(FESTIVAL_LOAD.likers * FESTIVAL_LOAD.likeCount).toLocaleString("en")} likes/s (\`npm run bench:fanout\`)`,
    `One show's room, N signed-in viewers; ${FESTIVAL_LOAD.senders.toLocaleString("en")} senders chat at 1/s and ${FESTIVAL_LOAD.likers.toLocaleString("en")} viewers send \`like.send\` with count ${FESTIVAL_LOAD.likeCount} once a second. Vetrina runs with ROOM_GATEWAYS=${FESTIVAL_GATEWAYS} and samples chat in big rooms, so fewer messages than sent reach each viewer: the rate is reported as is. "Likes accounted": the like taps sent that the worst probe's updates add up to, 2.5 s after the last tap. ${common}\n\n${table}`,
    machine,
  );
}

if (multiNode.length) {
  const table = multiNodeTable(multiNode);
  console.log(`\nMulti-node: ${COMPARISON_LOAD.chatPerSec} chat messages/s, viewers spread over the nodes, senders on node 1\n\n${table}\n`);
  if (RECORD) appendResults(
    `Room fan-out across nodes: ${setups.map((s) => s.label).join(" / ")}, ${COMPARISON_LOAD.chatPerSec} chat/s, N = ${MULTI_NODE_SIZES.map((n) => n.toLocaleString("en")).join(" / ")} (\`npm run bench:fanout\`)`,
    `One show's room, N signed-in viewers spread evenly over the node processes (which share PostgreSQL, ${DATABASE_URL.replace(/\/\/[^@/]*@/, "//")}, and the broker; a schema and a broker prefix of the run's own), ${COMPARISON_LOAD.chatPerSec} chat messages/s from ${COMPARISON_LOAD.senders} senders at 1/s, all of them connected to node 1, which also streams the show: every message a viewer on node 2 receives has crossed the broker. Latency is measured per node with the same histogram and probes as above (the probes spread over the nodes like the viewers): "p50 / p99" from the frame's \`ts\`, stamped by the node that sent the frame (on node 2, after the broker hop), and "since posted" from the message's \`at\`, stamped by node 1 when it stored the message, so on node 2 it includes the broker hop (nodes on one machine share its clock). Every node runs ROOM_GATEWAYS=${MULTI_NODE_GATEWAYS}; server CPU and memory are summed over every node's process tree. The 1-node rows are the same workload in the same invocation. ${common}\n\n${table}`,
    machine,
  );
}

const problems = [...comparison, ...festival, ...multiNode].filter((r) => r.server === "vetrina" && (r.error || r.disconnects > 0));
for (const r of problems) console.error(`✗ Vetrina ${r.workload}${r.setup ? ` (${r.setup})` : ""} N=${r.n}: ${r.error ?? `${r.disconnects} unintended disconnects`}`);
process.exit(problems.length ? 1 : 0);
