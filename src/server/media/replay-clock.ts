/**
 * The replay's clock: where in a replay (its playlist time, what the player's `currentTime` says) an
 * instant of the show (epoch ms on the server's clock: a showcase's `at`, a chat message's
 * `created_at`) is reached. It is read from the replay's own VOD playlist, so it is the clock the
 * player uses: every segment's EXT-X-PROGRAM-DATE-TIME and EXTINF, gap segments included.
 *
 * The rule is the cards' (`frameReached` in the browser): an instant belongs to the first frame
 * stamped at or after it. So an instant inside a segment is `segment start + (instant − its PDT)`;
 * an instant before the recording's first frame is at 0; one between two runs (a publisher that came
 * back) is at the start of the next run; one after the last frame is at the end. See docs/media.md,
 * "Shoppable replays".
 */
import type { MediaStorage } from "./storage.ts";
import { replayPrefix } from "./recorder.ts";
import { REPLAY_PLAYLIST } from "./vod-playlist.ts";

export interface ReplayClock {
  /** the replay's length, ms */
  readonly durationMs: number;
  /** Where the replay reaches the instant `at` (epoch ms): ms from its start, 0 ≤ offset ≤ durationMs. Non-decreasing in `at`. */
  offsetOf(at: number): number;
  /**
   * The smallest instant (epoch ms, an integer) whose offset is at least `offsetMs`: `offsetOf(t) >= offsetMs`
   * exactly when `t >= instantFrom(offsetMs)`. -Infinity for an offset ≤ 0, +Infinity past the end.
   */
  instantFrom(offsetMs: number): number;
}

interface Entry {
  /** PROGRAM-DATE-TIME, epoch ms */
  pdt: number;
  /** where the segment starts in the replay, ms (rounded: all offsets are whole milliseconds) */
  start: number;
  /** its length, ms (the next entry's start minus this one's) */
  length: number;
}

/** The clock of a VOD playlist (as `vodPlaylist` writes it); null when it lists no segment with a program date. */
export function replayClockOf(playlist: string): ReplayClock | null {
  const entries: Entry[] = [];
  let pdt = NaN;
  let duration = NaN;
  let total = 0;
  for (const raw of playlist.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = Date.parse(line.slice(25));
    else if (line.startsWith("#EXTINF:")) duration = Number(line.slice(8).split(",")[0]);
    else if (line && !line.startsWith("#")) {
      const start = Math.round(total * 1000);
      total += Number.isFinite(duration) && duration > 0 ? duration : 0;
      const end = Math.round(total * 1000);
      // A segment without a program date continues the one before it.
      const prev = entries[entries.length - 1];
      const p = Number.isFinite(pdt) ? pdt : prev ? prev.pdt + prev.length : NaN;
      if (Number.isFinite(p) && end > start) entries.push({ pdt: Math.round(p), start, length: end - start });
      pdt = NaN;
      duration = NaN;
    }
  }
  if (entries.length === 0) return null;
  const last = entries[entries.length - 1]!;
  const durationMs = last.start + last.length;

  /** the last entry whose `key` is ≤ v, or -1 */
  const lastAtOrBefore = (v: number, key: (e: Entry) => number): number => {
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (key(entries[mid]!) <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  };

  return {
    durationMs,
    offsetOf(at) {
      const i = lastAtOrBefore(at, (e) => e.pdt);
      if (i < 0) return 0;
      const e = entries[i]!;
      if (at - e.pdt < e.length) return e.start + (at - e.pdt);
      return i + 1 < entries.length ? entries[i + 1]!.start : durationMs;
    },
    instantFrom(offsetMs) {
      if (offsetMs <= 0) return -Infinity;
      if (offsetMs > durationMs) return Infinity;
      if (offsetMs === durationMs) return last.pdt + last.length;
      const off = Math.ceil(offsetMs);
      const i = lastAtOrBefore(off, (e) => e.start);
      const e = entries[i]!;
      if (off > e.start || i === 0) return e.pdt + (off - e.start);
      // At a segment's very start: instants after the previous segment's end (a pause between runs) are there too.
      const prev = entries[i - 1]!;
      return Math.min(e.pdt, prev.pdt + prev.length);
    },
  };
}

/**
 * The clocks of replays, read from storage (the playlist is written once, when the recording is
 * finalized) and kept for the most recently asked `max` shows. Null while a show has no replay.
 */
export function replayClocks(storage: MediaStorage, max = 200): (showId: string) => Promise<ReplayClock | null> {
  const cache = new Map<string, ReplayClock>();
  return async (showId) => {
    const hit = cache.get(showId);
    if (hit) {
      cache.delete(showId);
      cache.set(showId, hit);
      return hit;
    }
    const body = await storage.read(replayPrefix(showId) + REPLAY_PLAYLIST);
    const clock = body ? replayClockOf(body.toString("utf8")) : null;
    if (clock) {
      cache.set(showId, clock);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return clock;
  };
}
