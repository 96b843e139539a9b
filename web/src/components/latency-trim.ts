/**
 * Bringing a low-latency player back to its target distance from the live edge.
 *
 * hls.js (1.6) speeds playback up to catch up only while more than one second is buffered ahead
 * (latency-controller: `forwardBufferLength > 1`). At LL-HLS distances that rule settles the player
 * where the buffer ahead is about one second: measured with our origin, hls.js reported a latency of
 * ~1.18 s against a target (PART-HOLD-BACK) of 0.69 s, with 1.0–1.1 s buffered and the rate flipping
 * between 1 and 1.2. So while live, the player checks once a second and, when it is more than
 * `MIN_BEHIND_S` behind its target and the buffer covers the jump with `KEEP_AHEAD_S` to spare,
 * moves the playhead forward inside what is already buffered (no request, one short decoder catch-up).
 *
 * Pure and self-contained (no imports, no closures): the latency bench embeds its source in the
 * measuring page, so the bench and the app apply the same rule.
 *
 * Returns how far to move the playhead (seconds), or 0.
 */
export function latencyTrim(latency: number, targetLatency: number | null, currentTime: number, bufferedEnd: number | null): number {
  const MIN_BEHIND_S = 0.15;
  const KEEP_AHEAD_S = 0.4;
  const AIM_ABOVE_TARGET_S = 0.05;
  if (targetLatency === null || bufferedEnd === null || !(latency > 0)) return 0;
  const behind = latency - targetLatency;
  if (behind < MIN_BEHIND_S) return 0;
  const jump = Math.min(behind - AIM_ABOVE_TARGET_S, bufferedEnd - currentTime - KEEP_AHEAD_S);
  return jump >= 0.1 ? Math.round(jump * 1000) / 1000 : 0;
}

/** How often a live player checks its distance (ms). */
export const LATENCY_TRIM_INTERVAL_MS = 1000;
