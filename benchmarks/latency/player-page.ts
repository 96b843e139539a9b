import { BITS_PER_ROW, BLOCK, CHECK_BITS, CHECK_MODULUS, TIME_BITS } from "./clock-source.ts";

/**
 * The measuring player: a page that plays `src` with hls.js (config `cfg`, or the browser's own HLS
 * with `native`), reads the barcode off every frame it presents (requestVideoFrameCallback, the
 * instant the frame is shown) and records, in `window.__r`:
 *   samples       glass-to-glass latency of each presented frame, ms (shown instant − painted instant;
 *                 one machine, one clock)
 *   firstFrameMs  from the page's first script to the first presented frame (opening a show)
 *   stalls        `waiting` events after playback started, and their total duration
 *   decodeFails   frames whose barcode did not pass its check (should stay ~0)
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
const r = (window.__r = { samples: [], firstFrameMs: null, stalls: 0, stallMs: 0, decodeFails: 0, errors: [], t0: performance.now() });
const v = document.getElementById("v");
const ctx = document.getElementById("c").getContext("2d", { willReadFrequently: true });
let playing = false, waitingSince = null;
v.addEventListener("waiting", () => { if (playing && waitingSince === null) { waitingSince = performance.now(); r.stalls++; } });
v.addEventListener("playing", () => { playing = true; if (waitingSince !== null) { r.stallMs += performance.now() - waitingSince; waitingSince = null; } });
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
  const h = new Hls(cfg);
  h.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) r.errors.push(d.details); });
  h.loadSource(src);
  h.attachMedia(v);
}
v.play().catch(() => {});
</script>`;
}
