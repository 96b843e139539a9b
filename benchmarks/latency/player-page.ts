import { BITS_PER_ROW, BLOCK, CHECK_BITS, CHECK_MODULUS, TIME_BITS } from "./clock-source.ts";
import { frameReached } from "../../web/src/room/frame-sync.ts";
import { LATENCY_TRIM_INTERVAL_MS, latencyTrim } from "../../web/src/components/latency-trim.ts";

/**
 * The measuring player: a page that plays `src` with hls.js (config `cfg`, or the browser's own HLS
 * with `native`), reads the barcode off every frame it presents (requestVideoFrameCallback, the
 * instant the frame is shown) and records, in `window.__r`:
 *   samples       glass-to-glass latency of each presented frame, ms (shown instant − painted instant;
 *                 one machine, one clock)
 *   firstFrameMs  from the page's first script to the first presented frame (opening a show)
 *   stalls        `waiting` events after playback started, and their total duration; a `waiting` while
 *                 the player seeks (hls.js's own start-up seek, or a latency trim) is counted apart:
 *   trims         playhead moves by the latency trim (web/src/components/latency-trim.ts), and
 *   seekWaits     `waiting` events during a seek, and their total duration (seekWaitMs)
 *   decodeFails   frames whose barcode did not pass its check (should stay ~0)
 * With `room` (a show's room WebSocket URL), the page is also a viewer of the room and applies each
 * `product.showcased` with `at` as the web app does (web/src/room/use-room.ts, timed.ts): held until its
 * frame. The app queues every held event; here a newer showcase replaces a waiting one (counted as
 * `superseded`; with showcases 2–3 s apart and latency under 1.3 s it has not happened), applied on the first presented frame that `frameReached` (the app's own
 * function, embedded here) says reaches `at`, the frame's program date computed as
 * web/src/components/hls-video.tsx does (hls.js `playingDate` + requestVideoFrameCallback's mediaTime −
 * currentTime). Recorded in `window.__r`:
 *   cards         one per applied showcase: `at`, the barcode of the frame it was applied on
 *                 (`frameMs`, null if unreadable), that frame's program date (`pdt`, null: no clock),
 *                 the program date of the first frame this page presented (`firstPdt`), and `late`:
 *                 the event came after the frame it belongs on had been presented
 *   showcases     showcases received (with `at`); superseded: replaced while waiting (never shown)
 */
export function playerPage(): string {
  return `<!doctype html><meta charset="utf-8"><title>latency probe</title>
<video id="v" muted playsinline autoplay width="320" height="180"></video>
<canvas id="c" width="320" height="${3 * BLOCK}"></canvas>
<script src="/hls.js"></script>
<script>
const q = new URLSearchParams(location.search);
const src = q.get("src");
const cfg = JSON.parse(q.get("cfg") || "{}");
const room = q.get("room");
const r = (window.__r = { samples: [], firstFrameMs: null, stalls: 0, stallMs: 0, trims: 0, seekWaits: 0, seekWaitMs: 0, decodeFails: 0, errors: [], t0: performance.now(), cards: [], showcases: 0, superseded: 0 });
const frameReached = ${frameReached.toString()};
const latencyTrim = ${latencyTrim.toString()};
let h = null, pending = null, firstPdt = null, lastPdt = null;
// The presented frame's program date, as web/src/components/hls-video.tsx computes it.
function pdtOf(mediaTime) {
  const playing = h && h.playingDate;
  if (playing) return playing.getTime() + (mediaTime - v.currentTime) * 1000;
  const start = v.getStartDate ? v.getStartDate().getTime() : undefined;
  return start !== undefined && Number.isFinite(start) ? start + mediaTime * 1000 : null;
}
if (room) {
  const ws = new WebSocket(room);
  ws.onmessage = (m) => {
    for (const e of JSON.parse(m.data)) {
      if (e.type === "room.snapshot") pending = null;
      else if (e.type === "product.showcased" && e.at !== undefined) {
        r.showcases++;
        if (pending) r.superseded++;
        // late: the frame it belongs on had already been presented when the event came
        pending = { at: e.at, productId: e.product ? e.product.id : null, late: lastPdt !== null && lastPdt >= e.at };
      }
    }
  };
  ws.onclose = () => r.errors.push("room closed");
}
const v = document.getElementById("v");
const ctx = document.getElementById("c").getContext("2d", { willReadFrequently: true });
let playing = false, waitingSince = null, waitingForSeek = false;
v.addEventListener("waiting", () => {
  if (!playing || waitingSince !== null) return;
  waitingSince = performance.now();
  waitingForSeek = v.seeking;
  if (waitingForSeek) r.seekWaits++; else r.stalls++;
});
v.addEventListener("playing", () => {
  playing = true;
  if (waitingSince === null) return;
  if (waitingForSeek) r.seekWaitMs += performance.now() - waitingSince; else r.stallMs += performance.now() - waitingSince;
  waitingSince = null;
});
function read() {
  ctx.drawImage(v, 0, 0, 320, ${3 * BLOCK}, 0, 0, 320, ${3 * BLOCK});
  const d = ctx.getImageData(0, 0, 320, ${3 * BLOCK}).data;
  const bits = [];
  for (let k = 0; k < ${TIME_BITS + CHECK_BITS}; k++) {
    const x = (k % ${BITS_PER_ROW}) * ${BLOCK} + ${BLOCK / 2}, y = Math.floor(k / ${BITS_PER_ROW}) * ${BLOCK} + ${BLOCK / 2};
    bits.push(d[(y * 320 + x) * 4] > 128 ? 1 : 0);
  }
  let ms = 0; for (let i = 0; i < ${TIME_BITS}; i++) ms = ms * 2 + bits[i];
  let check = 0; for (let i = ${TIME_BITS}; i < ${TIME_BITS + CHECK_BITS}; i++) check = check * 2 + bits[i];
  return ms % ${CHECK_MODULUS} === check ? ms : null;
}
function onFrame(_now, meta) {
  const ms = read();
  const pdt = pdtOf(meta.mediaTime);
  if (pending && frameReached(pdt, pending.at)) {
    r.cards.push({ at: pending.at, productId: pending.productId, late: pending.late, frameMs: ms, pdt, firstPdt });
    pending = null;
  }
  if (firstPdt === null && pdt !== null) firstPdt = pdt;
  if (pdt !== null) lastPdt = pdt;
  if (ms === null) r.decodeFails++;
  else {
    if (r.firstFrameMs === null) r.firstFrameMs = meta.expectedDisplayTime - r.t0;
    r.samples.push(performance.timeOrigin + meta.expectedDisplayTime - ms);
  }
  v.requestVideoFrameCallback(onFrame);
}
v.requestVideoFrameCallback(onFrame);
if (cfg.native) v.src = src;
else {
  h = new Hls(cfg);
  h.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) r.errors.push(d.details); });
  h.loadSource(src);
  h.attachMedia(v);
  // As web/src/components/hls-video.tsx does for live streams in low-latency mode.
  if (cfg.lowLatencyMode) setInterval(() => {
    if (v.paused || v.seeking || !(h.latestLevelDetails && h.latestLevelDetails.live)) return;
    const b = v.buffered;
    const jump = latencyTrim(h.latency, h.targetLatency, v.currentTime, b.length ? b.end(b.length - 1) : null);
    if (jump > 0) { v.currentTime += jump; r.trims++; }
  }, ${LATENCY_TRIM_INTERVAL_MS});
}
v.play().catch(() => {});
</script>`;
}
