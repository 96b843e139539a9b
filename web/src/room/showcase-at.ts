import type { ShowcaseEntry } from "../../../src/shared/contracts/shows.ts";
import { frameReached } from "./frame-sync.ts";

/**
 * Which showcase is in effect on a presented frame of a replay: the latest entry of the show's
 * timeline whose instant the frame has reached (program date `pdt` >= `at`, the live rule of
 * `frameReached`), so the card is the one the host had chosen when that frame was captured, wherever
 * the viewer seeks. `timeline` is in order (by `at`; of equal instants the later one wins).
 * Returns its index, or -1 before the first showcase (or without a clock, `pdt` null).
 */
export function showcaseIndexAt(timeline: readonly ShowcaseEntry[], pdt: number | null): number {
  if (pdt === null) return -1;
  // Binary search for the last entry with at <= pdt: called for every frame.
  let lo = 0;
  let hi = timeline.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frameReached(pdt, timeline[mid]!.at)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The product on screen at `pdt` (null: none, or a showcase that cleared the card). */
export function productAt(timeline: readonly ShowcaseEntry[], pdt: number | null): string | null {
  const i = showcaseIndexAt(timeline, pdt);
  return i < 0 ? null : timeline[i]!.productId;
}

/** The timeline as the player needs it: in order of `at`, equal instants in the order given. */
export function sortedTimeline(entries: readonly ShowcaseEntry[]): ShowcaseEntry[] {
  return entries.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map((x) => x.e);
}
