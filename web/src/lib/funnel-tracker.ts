import { FunnelBatcher, type FunnelEvent } from "./funnel-batch.ts";

/**
 * Sends the viewer's funnel events to the analytics ingest endpoint: queued, then sent every 2 s
 * (≤ 50 a request, one request at a time, so well within the server's 2-a-second rate limit), and
 * what is left when the page goes away goes with navigator.sendBeacon.
 */
const URL_INGEST = "/api/v1/analytics/events";
const EVERY_MS = 2000;

const batcher = new FunnelBatcher();
let timer: ReturnType<typeof setInterval> | null = null;
let listening = false;

export function trackFunnel(event: FunnelEvent): void {
  if (typeof window === "undefined") return;
  batcher.add(event);
  listen();
  if (!timer) timer = setInterval(tick, EVERY_MS);
}

function tick() {
  const batch = batcher.take(Date.now());
  if (!batch) {
    if (batcher.size === 0 && !batcher.busy && timer) {
      clearInterval(timer);
      timer = null;
    }
    return;
  }
  fetch(URL_INGEST, { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify({ events: batch }) }).then(
    (res) => batcher.settle({ status: res.status, retryAfterS: Number(res.headers.get("retry-after")) || null }, Date.now()),
    () => batcher.settle({ status: 0 }, Date.now()),
  );
}

/** The page is going away (or to the background, where a phone may kill it): send what is queued without waiting for answers. */
function sendNow() {
  for (const events of batcher.drain()) {
    const body = JSON.stringify({ events });
    const sent = typeof navigator.sendBeacon === "function" && navigator.sendBeacon(URL_INGEST, new Blob([body], { type: "application/json" }));
    if (!sent) void fetch(URL_INGEST, { method: "POST", credentials: "same-origin", keepalive: true, headers: { "content-type": "application/json" }, body }).catch(() => undefined);
  }
}

function listen() {
  if (listening) return;
  listening = true;
  window.addEventListener("pagehide", sendNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") sendNow();
  });
}
