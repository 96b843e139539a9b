/**
 * Load generator, run as its own process by run.ts. Two transports:
 *  - ws:   every buyer is a viewer with an open room connection (its own session cookie); the attempt
 *          rides that connection as a `flash.buy` frame. Buyers join in waves (a process holds at most
 *          ~20,000 sockets); each wave's attempts are fired once every buyer of the wave is in the room.
 *  - http: one HTTP request per attempt over a pool of keep-alive connections (undici), for the naive
 *          baseline and for our own HTTP endpoint.
 * Reports, per attempt: send instant, answer instant (epoch ms, sub-ms precision) and outcome.
 */
import fs from "node:fs";
import { performance } from "node:perf_hooks";

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
import WebSocket from "ws";
import { Pool } from "undici";

export interface LoadgenJob {
  mode: "ws" | "http";
  baseUrl: string;
  /** several nodes of one cluster: buyer i goes to baseUrls[i % n] (default: [baseUrl]) */
  baseUrls?: string[];
  /** ws: room path; http: attempt path */
  path: string;
  saleId: string;
  /** session tokens (ws, http with cookies) or buyer ids (naive http) */
  buyers: string[];
  cookies: boolean;
  waveSize: number;
  concurrency: number;
  /** ws: at most this many attempts awaiting an answer at once (closed loop, like a connection pool) */
  inflight?: number;
  /** epoch ms at which to fire the first attempt (the sale's opening) */
  fireAt: number;
  /**
   * ws: wave i connects to 127.0.0.<sourceBase + i> (the server listens on all addresses), so each
   * wave has its own ephemeral-port space and never waits on the last wave's TIME_WAIT sockets.
   */
  sourceBase: number;
  /** the server's pid, to report its CPU use during the timed windows */
  serverPid?: number;
}

export interface LoadgenReport {
  sent: number[];
  done: number[];
  outcomes: string[];
  /** ws: sum of the timed windows (first send → last answer) of every wave, ms */
  busyMs: number;
  /** the timed windows [start, end] (epoch ms): one per wave for ws, one for http */
  windows: [number, number][];
  errors: number;
  joinMs: number;
  /** CPU the server and the load generator used during the timed windows (ws only) */
  serverCpuMs?: number;
  loadgenCpuMs?: number;
}

const now = () => performance.timeOrigin + performance.now();
const sleepUntil = async (t: number) => {
  while (now() < t) await new Promise((r) => setTimeout(r, Math.min(50, Math.max(0, t - now()))));
};

async function runWs(job: LoadgenJob): Promise<LoadgenReport> {
  const n = job.buyers.length;
  const sent = new Array<number>(n).fill(0);
  const done = new Array<number>(n).fill(0);
  const outcomes = new Array<string>(n).fill("");
  let busyMs = 0;
  let errors = 0;
  let joinMs = 0;
  const windows: [number, number][] = [];
  let serverCpuMs = 0;
  let loadgenCpuMs = 0;
  const ports = (job.baseUrls ?? [job.baseUrl]).map((u) => new URL(u).port);
  for (let start = 0, wave = 0; start < n; start += job.waveSize, wave++) {
    const end = Math.min(n, start + job.waveSize);
    const wsUrl = (idx: number) => `ws://127.0.0.${job.sourceBase + wave}:${ports[idx % ports.length]}${job.path}`;
    const sockets: WebSocket[] = [];
    const joinStart = now();
    let pendingResults = end - start;
    let onAnswer = () => {};
    let resolveWave!: () => void;
    const waveDone = new Promise<void>((r) => (resolveWave = r));
    // Join: open the wave's connections, a few hundred at a time, and wait for each snapshot.
    for (let i = start; i < end; i += 500) {
      await Promise.all(
        job.buyers.slice(i, Math.min(end, i + 500)).map(
          (token, j) =>
            new Promise<void>((resolve) => {
              const idx = i + j;
              const ws = new WebSocket(wsUrl(idx), { headers: { cookie: `vetrina_session=${token}` }, perMessageDeflate: false });
              sockets[idx - start] = ws;
              let joined = false;
              ws.on("message", (data: Buffer) => {
                if (!joined) {
                  joined = true;
                  return resolve();
                }
                // Cheap filter: only this connection's answer carries "flash.result".
                if (outcomes[idx] || data.indexOf("flash.result") < 0) return;
                const events = JSON.parse(data.toString()) as { type: string; result?: { outcome: string }; code?: string }[];
                for (const e of events) {
                  if (e.type === "flash.result" && e.result) {
                    done[idx] = now();
                    outcomes[idx] = e.result.outcome;
                    if (--pendingResults === 0) resolveWave();
                    else onAnswer();
                  }
                }
              });
              ws.on("error", () => {
                errors++;
                resolve();
              });
              ws.on("close", () => {
                if (!outcomes[idx] && sent[idx]) {
                  outcomes[idx] = "disconnected";
                  errors++;
                  if (--pendingResults === 0) resolveWave();
                  else onAnswer();
                }
              });
            }),
        ),
      );
    }
    joinMs += now() - joinStart;
    if (wave === 0) await sleepUntil(job.fireAt);
    const waveStart = now();
    const cpu0 = job.serverPid ? cpuSeconds(job.serverPid) : NaN;
    const self0 = process.cpuUsage();
    // Closed loop: keep `inflight` attempts outstanding; each answer releases the next buyer's attempt.
    let next = start;
    const fire = () => {
      while (next < end) {
        const idx = next++;
        const ws = sockets[idx - start]!;
        if (ws.readyState !== ws.OPEN) {
          outcomes[idx] = "not_connected";
          errors++;
          if (--pendingResults === 0) resolveWave();
          continue;
        }
        sent[idx] = now();
        ws.send(`{"type":"flash.buy","saleId":"${job.saleId}","key":"bench-key-${idx}"}`);
        return;
      }
    };
    onAnswer = fire;
    for (let k = 0; k < (job.inflight ?? 1000); k++) fire();
    await waveDone;
    busyMs += now() - waveStart;
    windows.push([waveStart, now()]);
    serverCpuMs += (cpuSeconds(job.serverPid ?? 0) - cpu0) * 1000;
    const su = process.cpuUsage(self0);
    loadgenCpuMs += (su.user + su.system) / 1000;
    if (process.env.BENCH_DEBUG) {
      const buckets = new Map<number, number>();
      for (let i = start; i < end; i++) if (done[i]) buckets.set(Math.floor((done[i]! - waveStart) / 100), (buckets.get(Math.floor((done[i]! - waveStart) / 100)) ?? 0) + 1);
      console.error(`wave ${wave}: ${end - start} attempts in ${Math.round(now() - waveStart)} ms; answers per 100 ms:`, [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(" "));
    }
    for (const ws of sockets) ws.terminate();
    await new Promise((r) => setTimeout(r, 500));
  }
  return { sent, done, outcomes, busyMs, windows, errors, joinMs, serverCpuMs, loadgenCpuMs };
}

async function runHttp(job: LoadgenJob): Promise<LoadgenReport> {
  const n = job.buyers.length;
  const sent = new Array<number>(n).fill(0);
  const done = new Array<number>(n).fill(0);
  const outcomes = new Array<string>(n).fill("");
  let errors = 0;
  const urls = job.baseUrls ?? [job.baseUrl];
  const pools = urls.map((u) => new Pool(u, { connections: Math.ceil(job.concurrency / urls.length), pipelining: 1, keepAliveTimeout: 60_000 }));
  await sleepUntil(job.fireAt);
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (;;) {
        const idx = next++;
        if (idx >= n) return;
        const buyer = job.buyers[idx]!;
        const body = job.cookies ? `{"key":"bench-key-${idx}"}` : `{"buyer":"${buyer}","key":"bench-key-${idx}"}`;
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (job.cookies) headers.cookie = `vetrina_session=${buyer}`;
        sent[idx] = now();
        try {
          const res = await pools[idx % pools.length]!.request({ method: "POST", path: job.path, headers, body });
          const json = (await res.body.json()) as { outcome?: string; code?: string };
          done[idx] = now();
          outcomes[idx] = json.outcome ?? `error:${json.code ?? res.statusCode}`;
          if (!json.outcome) errors++;
        } catch {
          done[idx] = now();
          outcomes[idx] = "error";
          errors++;
        }
      }
    }),
  );
  const busyMs = now() - start;
  await Promise.all(pools.map((p) => p.close()));
  return { sent, done, outcomes, busyMs, windows: [[start, start + busyMs]], errors, joinMs: 0 };
}

process.on("message", async (job: LoadgenJob) => {
  const report = job.mode === "ws" ? await runWs(job) : await runHttp(job);
  process.send!(report, () => process.exit(0));
});
