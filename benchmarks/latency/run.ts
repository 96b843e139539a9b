/**
 * npm run bench:latency — glass-to-glass latency of a live show, Vetrina against ordinary HLS, in one
 * invocation, played by hls.js in headless Chromium.
 *
 * One camera (clock-source.ts: every frame carries the instant it was painted, as a barcode) is
 * encoded once by ffmpeg and, through ffmpeg's tee muxer, both published over RTMP to a Vetrina server
 * and packaged as ordinary HLS into two directories: the baselines get the very same frames from the
 * very same encoder. A page (player-page.ts) plays each stream and reads the barcode of every frame
 * it presents, so latency is measured on the screen, encoder, packaging, HTTP and player included.
 *
 * Scenarios (LATENCY_SCENARIOS, comma list; default all):
 *   ordinary      ordinary HLS, 2 s segments, hls.js defaults
 *   tuned         ordinary HLS, 1 s segments, hls.js liveSyncDurationCount: 1
 *   vetrina       Vetrina's stream (/hls/:showId/index.m3u8) with the player config of the web app
 *   tuned+proxy, vetrina+proxy   the same behind an HTTP proxy on loopback that delays every
 *                 response by 50 ± 25 ms (uniform), a network that is not perfect
 * Each scenario is joined LATENCY_JOINS times (default 3), at different points of a second (so of a
 * segment), and watched for LATENCY_SECONDS (default 30; the issue's stall count wants 120).
 * Reported per scenario: latency p50/p95 over all presented frames after the first 5 s of each join,
 * time to first frame (median and worst join), stalls and their total time (a `waiting` while the
 * player is not seeking), latency trims (the web app's playhead move, latency-trim.ts; Vetrina only)
 * with the waits during seeks counted apart, unreadable frames.
 *
 * Card-to-frame sync (Vetrina scenarios): during each join the bench, as the host, showcases a product
 * through the API (POST /api/v1/shows/:id/showcase, the host's session) every 2–3 s, alternating two of
 * the show's products. The page is a viewer of the show's room (WebSocket, behind the proxy in
 * vetrina+proxy) and applies each showcase as the web app does: on the first presented frame whose
 * program date reaches the showcase's `at` (web/src/room/frame-sync.ts). The host presents the product
 * on the frame being captured at `at`, and the barcode's clock is the server's (one machine), so the
 * error of one card = (barcode of the frame it appeared on) − `at`: negative = early. Showcases whose
 * `at` is not after the first frame the page presented are left out (that frame was never going to be
 * shown in this join). Reported: the number measured, the signed median, and p50/p95/max of |error|.
 * Printed and appended to benchmarks/RESULTS.md.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../test/support/harness.ts";
import { spawnServer, stopGracefully } from "../../test/support/child-server.ts";
import { ApiClient } from "../../test/support/client.ts";
import { launchBrowser } from "../../test/support/browser.ts";
import { appendResults, machineDescription, percentile } from "../support/report.ts";
import { startClockSource } from "./clock-source.ts";
import { playerPage } from "./player-page.ts";
import { LIVE_HLS_CONFIG } from "../../web/src/components/hls-config.ts";

const env = process.env;
const SECONDS = Number(env.LATENCY_SECONDS ?? 30);
const JOINS = Number(env.LATENCY_JOINS ?? 3);
const WARMUP_S = 5;
const ALL = ["ordinary", "tuned", "vetrina", "tuned+proxy", "vetrina+proxy"] as const;
type Scenario = (typeof ALL)[number];
const SCENARIOS = (env.LATENCY_SCENARIOS ? env.LATENCY_SCENARIOS.split(",").map((s) => s.trim()) : [...ALL]).filter((s): s is Scenario => (ALL as readonly string[]).includes(s));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The web app's player settings. */
const VETRINA_PLAYER = LIVE_HLS_CONFIG;

const cleanup: (() => Promise<void> | void)[] = [];
process.on("SIGINT", () => process.exit(130));

// ---- the Vetrina server, the camera, the baselines ----
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-latency-"));
const baseDir = path.join(dataDir, "baselines");
const dirs = { ordinary: path.join(baseDir, "ordinary"), tuned: path.join(baseDir, "tuned") };
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
const serverEnv = { PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DATA_DIR: dataDir, DEMO_DATA: "true", LOG_LEVEL: "warn" };
const server = await spawnServer(serverEnv);
cleanup.push(() => stopGracefully(server.child));
const host = new ApiClient(server.baseUrl);
await host.auth.signIn("host@vetrina.test", "vetrina-demo");
const show = (await host.shows.mine()).body.items[0]!;
const key = (await host.shows.studio(show.id)).body.streamKey;
// The two products the host alternates between (the demo show has four).
const showcaseProducts = (await host.shows.get(show.id)).body.products.slice(0, 2).map((p) => p.id);
if (showcaseProducts.length < 2) throw new Error("the demo show needs two products to showcase");
const camera = startClockSource({
  rtmpUrl: `rtmp://127.0.0.1:${serverEnv.RTMP_PORT}/live/${key}`,
  fps: 30,
  hls: [
    { dir: dirs.ordinary, segmentSeconds: 2 },
    { dir: dirs.tuned, segmentSeconds: 1 },
  ],
});
cleanup.unshift(() => camera.stop());
for (let i = 0; (await host.shows.get(show.id)).body.status !== "live"; i++) {
  if (i > 300) throw new Error("the show did not go live within 60 s");
  await sleep(200);
}

// ---- the page, hls.js and the baseline files, from one little static server ----
const hlsJs = fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/hls.js/dist/hls.min.js"));
const statics = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/player.html") return res.writeHead(200, { "content-type": "text/html" }).end(playerPage());
  if (url.pathname === "/hls.js") return res.writeHead(200, { "content-type": "text/javascript" }).end(hlsJs);
  const m = /^\/base\/(ordinary|tuned)\/([\w.]+)$/.exec(url.pathname);
  if (!m) return res.writeHead(404).end();
  fs.readFile(path.join(dirs[m[1] as keyof typeof dirs], m[2]!), (err, data) => {
    if (err) return res.writeHead(404).end();
    // CORS: behind the proxy the page (this origin) loads the stream from another port.
    res.writeHead(200, { "access-control-allow-origin": "*", "content-type": m[2]!.endsWith(".m3u8") ? "application/vnd.apple.mpegurl" : "video/mp2t", "cache-control": m[2]!.endsWith(".m3u8") ? "no-cache" : "max-age=3600" }).end(data);
  });
});
const staticPort = await freePort();
await new Promise<void>((r) => statics.listen(staticPort, "127.0.0.1", r));
cleanup.push(() => new Promise<void>((r) => statics.close(() => r())));

/**
 * An HTTP proxy that holds every response 50 ± 25 ms (uniform) before passing it on. WebSocket upgrades
 * (the show's room) pass through too, what the server sends held 50 ± 25 ms, in order.
 */
function delayingProxy(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const upgraded = new Set<net.Socket>();
  const proxy = http.createServer((req, res) => {
    const up = http.request({ host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers }, (upRes) => {
      const chunks: Buffer[] = [];
      upRes.on("data", (c: Buffer) => chunks.push(c));
      upRes.on("end", () => setTimeout(() => res.writeHead(upRes.statusCode ?? 502, upRes.headers).end(Buffer.concat(chunks)), 25 + Math.random() * 50));
    });
    up.on("error", () => res.writeHead(502).end());
    req.pipe(up);
  });
  proxy.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    upgraded.add(socket);
    const up = net.connect(target, "127.0.0.1");
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    up.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length) up.write(head);
    socket.pipe(up);
    const queue: { due: number; chunk: Buffer | null }[] = [];
    let timer: NodeJS.Timeout | null = null;
    let last = 0;
    const pump = () => {
      timer = null;
      while (queue.length && queue[0]!.due <= Date.now()) {
        const { chunk } = queue.shift()!;
        if (chunk) socket.write(chunk);
        else socket.end();
      }
      if (queue.length) timer = setTimeout(pump, queue[0]!.due - Date.now());
    };
    const hold = (chunk: Buffer | null) => {
      last = Math.max(last, Date.now() + 25 + Math.random() * 50);
      queue.push({ due: last, chunk });
      if (!timer) timer = setTimeout(pump, queue[0]!.due - Date.now());
    };
    up.on("data", (c: Buffer) => hold(c));
    up.on("end", () => hold(null));
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
    socket.on("close", () => {
      upgraded.delete(socket);
      if (timer) clearTimeout(timer);
      up.destroy();
    });
  });
  return freePort().then(
    (port) =>
      new Promise((resolve) =>
        proxy.listen(port, "127.0.0.1", () =>
          resolve({
            port,
            close: () => {
              for (const s of upgraded) s.destroy();
              return new Promise<void>((r) => proxy.close(() => r()));
            },
          }),
        ),
      ),
  );
}
const vetrinaPort = Number(serverEnv.PORT);
const proxyToVetrina = await delayingProxy(vetrinaPort);
const proxyToStatics = await delayingProxy(staticPort);
cleanup.push(() => proxyToVetrina.close(), () => proxyToStatics.close());

/** What the page plays, with which hls.js settings, and (Vetrina) the show's room it joins as a viewer. */
function scenarioSource(s: Scenario): { src: string; cfg: object; room?: string } {
  const vetrina = (port: number) => ({ src: `http://127.0.0.1:${port}/hls/${show.id}/index.m3u8`, room: `ws://127.0.0.1:${port}/api/v1/shows/${show.id}/room` });
  const base = (port: number, name: "ordinary" | "tuned") => `http://127.0.0.1:${port}/base/${name}/index.m3u8`;
  switch (s) {
    case "ordinary":
      return { src: base(staticPort, "ordinary"), cfg: {} };
    case "tuned":
      return { src: base(staticPort, "tuned"), cfg: { liveSyncDurationCount: 1 } };
    case "tuned+proxy":
      return { src: base(proxyToStatics.port, "tuned"), cfg: { liveSyncDurationCount: 1 } };
    case "vetrina":
      return { ...vetrina(vetrinaPort), cfg: VETRINA_PLAYER };
    case "vetrina+proxy":
      return { ...vetrina(proxyToVetrina.port), cfg: VETRINA_PLAYER };
  }
}

/** A showcase as the page applied it (see player-page.ts). */
interface Card {
  at: number;
  productId: string | null;
  /** the event came after the frame it belongs on had been presented */
  late: boolean;
  /** barcode (capture instant) of the frame the card appeared on; null: unreadable */
  frameMs: number | null;
  /** that frame's program date; null: the player had no clock (the card is shown at once) */
  pdt: number | null;
  /** program date of the first frame the page presented, null if none yet */
  firstPdt: number | null;
}

interface JoinResult {
  samples: number[];
  firstFrameMs: number | null;
  stalls: number;
  stallMs: number;
  trims: number;
  seekWaits: number;
  seekWaitMs: number;
  decodeFails: number;
  errors: string[];
  cards: Card[];
  /** showcases the bench made during the join, the page received, and replaced while waiting */
  showcasesSent: number;
  showcases: number;
  superseded: number;
}

/** Cards that count: their frame could be presented in this join (`at` after the first frame) and was read. */
function measuredCards(cards: Card[]): (Card & { frameMs: number })[] {
  return cards.filter((c): c is Card & { frameMs: number } => c.firstPdt !== null && c.at > c.firstPdt && c.frameMs !== null);
}

/** Card-to-frame sync error, ms: capture instant of the card's frame − `at` (negative: early). */
function syncStats(cards: Card[]) {
  const errs = measuredCards(cards).map((c) => c.frameMs - c.at);
  const signed = [...errs].sort((a, b) => a - b);
  const abs = errs.map(Math.abs).sort((a, b) => a - b);
  return { n: errs.length, signedMedian: percentile(signed, 0.5), absP50: percentile(abs, 0.5), absP95: percentile(abs, 0.95), absMax: abs.at(-1) ?? NaN };
}

/**
 * The host at work during a join: a showcase every 2–3 s, alternating two products, until `untilMs`
 * minus 3 s (so the last card's frame can still be played). Resolves to the number made.
 */
async function showcaseUntil(untilMs: number): Promise<number> {
  let n = 0;
  for (;;) {
    const wait = 2000 + Math.random() * 1000;
    if (Date.now() + wait > untilMs - 3000) return n;
    await sleep(wait);
    const res = await host.shows.showcase(show.id, showcaseProducts[n % 2]!);
    if (res.status !== 200) throw new Error(`showcase failed: ${res.status} ${JSON.stringify(res.body)}`);
    n++;
  }
}

// ---- measure ----
const { browser, close: closeBrowser } = await launchBrowser();
cleanup.unshift(() => closeBrowser());
await sleep(4000); // let the baselines' playlists fill a few segments
const rows: { scenario: Scenario; joins: JoinResult[] }[] = [];
for (const scenario of SCENARIOS) {
  const { src, cfg, room } = scenarioSource(scenario);
  const joins: JoinResult[] = [];
  for (let j = 0; j < JOINS; j++) {
    // Join at a different point of each second (and so of each segment).
    await sleep(((j * 1000) / JOINS + 1000 - (Date.now() % 1000)) % 1000);
    const page = await browser.newPage();
    const url = `http://127.0.0.1:${staticPort}/player.html?src=${encodeURIComponent(src)}&cfg=${encodeURIComponent(JSON.stringify(cfg))}${room ? `&room=${encodeURIComponent(room)}` : ""}`;
    await page.goto(url);
    const end = Date.now() + SECONDS * 1000;
    const showcasing = room ? showcaseUntil(end) : Promise.resolve(0);
    await sleep(SECONDS * 1000);
    const showcasesSent = await showcasing;
    const r = { ...((await page.evaluate("window.__r")) as Omit<JoinResult, "showcasesSent">), showcasesSent };
    await page.close();
    // The first seconds are the player settling (and catching up): latency counts from WARMUP_S on.
    const fps = 30;
    joins.push({ ...r, samples: r.samples.slice(WARMUP_S * fps) });
    const sorted = [...r.samples].sort((a, b) => a - b);
    console.log(`${scenario} join ${j + 1}: p50 ${fmt(percentile(sorted, 0.5))} ms, first frame ${fmt(r.firstFrameMs)} ms, ${r.stalls} stalls, ${r.trims} latency trims (${r.seekWaits} waits while seeking, ${fmt(r.seekWaitMs)} ms), ${r.decodeFails} unreadable, errors ${r.errors.join(",") || "none"}`);
    if (room) {
      const st = syncStats(r.cards);
      const measured = measuredCards(r.cards);
      const withClock = measured.filter((c): c is typeof c & { pdt: number } => c.pdt !== null);
      const stampMinusCapture = withClock.map((c) => c.pdt - c.frameMs).sort((a, b) => a - b);
      // The rule's own check: the card's frame is stamped at or after `at`, within a frame of it.
      const stampMinusAt = withClock.map((c) => c.pdt - c.at);
      console.log(
        `${scenario} join ${j + 1}: card sync over ${st.n} showcases: signed median ${fmt(st.signedMedian)} ms, |error| p50 ${fmt(st.absP50)} / p95 ${fmt(st.absP95)} / max ${fmt(st.absMax)} ms` +
          ` (errors ${measured.map((c) => c.frameMs - c.at).join(", ") || "none"}; frame stamp − capture median ${fmt(percentile(stampMinusCapture, 0.5))} ms; frame stamp − at ${fmt(Math.min(...stampMinusAt))}…${fmt(Math.max(...stampMinusAt))} ms;` +
          ` ${r.showcasesSent} made, ${r.showcases} received, ${r.cards.length} applied, ${r.cards.length - measured.length} left out, ${r.superseded} superseded,` +
          ` ${measured.filter((c) => c.late).length} measured came after their frame, ${measured.filter((c) => c.pdt === null).length} measured without a clock)`,
      );
    }
  }
  rows.push({ scenario, joins });
}

function fmt(x: number | null | undefined, digits = 0) {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}
const lines = [
  "| scenario | packaging / player | joins | frames measured | p50 ms | p95 ms | first frame ms (median / worst) | stalls (total s) | latency trims (waits while seeking, total ms) | unreadable frames | player errors | showcases measured | card sync signed median ms | card sync abs. error p50 / p95 / max ms |",
  "| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- | ---: | ---: | --- |",
];
const describe: Record<Scenario, string> = {
  ordinary: "ffmpeg HLS, 2 s segments; hls.js defaults",
  tuned: "ffmpeg HLS, 1 s segments; hls.js liveSyncDurationCount 1",
  vetrina: "Vetrina's origin; the web app's hls.js settings",
  "tuned+proxy": "tuned, behind a 50 ± 25 ms proxy",
  "vetrina+proxy": "Vetrina, behind a 50 ± 25 ms proxy",
};
for (const { scenario, joins } of rows) {
  const all = joins.flatMap((j) => j.samples).sort((a, b) => a - b);
  const firsts = joins.map((j) => j.firstFrameMs ?? Infinity).sort((a, b) => a - b);
  const stalls = joins.reduce((s, j) => s + j.stalls, 0);
  const stallS = joins.reduce((s, j) => s + j.stallMs, 0) / 1000;
  const sync = scenario.startsWith("vetrina") ? syncStats(joins.flatMap((j) => j.cards)) : null;
  lines.push(
    `| ${scenario} | ${describe[scenario]} | ${joins.length} | ${all.length} | ${fmt(percentile(all, 0.5))} | ${fmt(percentile(all, 0.95))} | ${fmt(percentile(firsts, 0.5))} / ${fmt(firsts.at(-1))} | ${stalls} (${stallS.toFixed(1)}) | ${joins.reduce((s, j) => s + j.trims, 0)} (${joins.reduce((s, j) => s + j.seekWaits, 0)}, ${fmt(joins.reduce((s, j) => s + j.seekWaitMs, 0))}) | ${joins.reduce((s, j) => s + j.decodeFails, 0)} | ${[...new Set(joins.flatMap((j) => j.errors))].join(", ") || "none"} | ${sync ? sync.n : "–"} | ${sync ? fmt(sync.signedMedian) : "–"} | ${sync ? `${fmt(sync.absP50)} / ${fmt(sync.absP95)} / ${fmt(sync.absMax)}` : "–"} |`,
  );
}
const table = lines.join("\n");
console.log(`\n${table}\n`);
appendResults(
  "Glass-to-glass latency: Vetrina vs ordinary HLS (`npm run bench:latency`)",
  `One camera (a 320×180, 30 fps frame with its painting instant as a barcode, x264 ultrafast/zerolatency, keyframe every second, AAC) encoded once and, through ffmpeg's tee muxer, published to Vetrina over RTMP and packaged as ordinary HLS (ffmpeg's hls muxer, MPEG-TS) for the baselines. Headless Chromium plays each stream with hls.js ${JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, "../../node_modules/hls.js/package.json"), "utf8")).version} and reads the barcode of every frame it presents (requestVideoFrameCallback's display instant minus the painting instant; one machine, one clock). ${JOINS} joins per scenario at different points of a second, ${SECONDS} s each; latency counted after the first ${WARMUP_S} s of each join. "First frame": from the page's first script to the first presented frame. The proxy holds every response 50 ± 25 ms (uniform), and what the server sends on a WebSocket through it. A stall is a "waiting" event while the player is not seeking; waits during a seek (hls.js's own start-up seek, or the web app's latency trim, which moves the playhead forward inside the buffer when hls.js settles more than 0.15 s behind its target: web/src/components/latency-trim.ts) are in the trims column. Card-to-frame sync (Vetrina scenarios): during each join the host showcases a product through the API every 2–3 s (alternating two); the page, a viewer of the show's room (WebSocket, through the proxy in vetrina+proxy), shows each card as the web app does, on the first presented frame whose program date (hls.js playingDate, requestVideoFrameCallback's mediaTime) is at or after the showcase's server instant \`at\` (web/src/room/frame-sync.ts). Error of one card for one viewer = capture instant of that frame (its barcode) − \`at\`, the instant of the frame the host presented it on (same machine, same clock; negative = early; a perfectly stamped stream gives 0 to +33 ms at 30 fps). Showcases whose \`at\` is not after the first frame the page presented are not counted. "abs. error": |error|.\n\n${table}`,
  machineDescription(),
);

for (const c of cleanup) await c();
fs.rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
