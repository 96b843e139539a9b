/**
 * The frame a showcase belongs on: a showcase at `at` (server clock, epoch ms) is applied on the first
 * presented frame whose program date (`pdt`, the stream's PROGRAM-DATE-TIME, same clock) is at or after
 * it. `pdt` null (the player has no such clock): do not wait. Pure, so that bench:latency's measuring
 * page applies the very same rule (it embeds this function's source).
 */
export function frameReached(pdt: number | null, at: number): boolean {
  return pdt === null || pdt >= at;
}
