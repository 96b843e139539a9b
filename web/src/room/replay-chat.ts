import { replayChatCursor, type ReplayChatMessage, type ReplayChatPage } from "../../../src/shared/contracts/replays.ts";
import { frameReached } from "./frame-sync.ts";

/**
 * The part of a replay's chat the player holds: one run of consecutive messages (none missing between
 * the first and the last), and whether there are more before (`older`) and after (`newer`) it, as
 * the server's cursors. Pure, so that the paging rules are tested without a browser.
 */
export interface ChatBlock {
  items: (ReplayChatMessage & { atMs: number })[];
  older: string | null;
  newer: string | null;
}

/** messages shown up to the playhead */
export const SHOWN_MESSAGES = 60;
/** fetch the next page when the playhead is this close to the last message held */
const AHEAD_MS = 10_000;
/** a playhead this far past the block (a seek) starts a new block rather than paging on to it */
const JUMP_MS = 15_000;
/** the most messages held; past it the oldest, well behind the playhead, are let go */
const MAX_HELD = 1500;

const withAt = (items: ReplayChatMessage[]) => items.map((m) => ({ ...m, atMs: Date.parse(m.at) }));

/**
 * How many of the block's messages have been reached: by the frame on screen (`pdt`, the cards' rule:
 * a message posted at `at` appears on the first frame stamped at or after it), or without a frame
 * clock by the playhead (`playheadMs` ≥ the message's offset).
 */
export function reachedCount(items: ChatBlock["items"], pdt: number | null, playheadMs: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = items[mid]!;
    if (pdt !== null ? frameReached(pdt, m.atMs) : m.offsetMs <= playheadMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type ChatFetch = { kind: "reset"; at: number } | { kind: "newer"; cursor: string } | { kind: "older"; cursor: string };

/** What to fetch next for a playhead at `playheadMs`: nothing, a page either way, or a new block around it. */
export function nextFetch(block: ChatBlock | null, playheadMs: number): ChatFetch | null {
  if (!block) return { kind: "reset", at: playheadMs };
  const first = block.items[0];
  const last = block.items[block.items.length - 1];
  const lo = block.older && first ? first.offsetMs : -Infinity;
  const hi = block.newer && last ? last.offsetMs : Infinity;
  if (playheadMs < lo || playheadMs > hi + JUMP_MS) return { kind: "reset", at: playheadMs };
  if (block.newer && playheadMs >= hi - AHEAD_MS) return { kind: "newer", cursor: block.newer };
  if (block.older && reachedCount(block.items, null, playheadMs) < SHOWN_MESSAGES) return { kind: "older", cursor: block.older };
  return null;
}

/** The block around a playhead: the page before it and the page from it. */
export function blockOf(before: ReplayChatPage, from: ReplayChatPage): ChatBlock {
  return {
    items: withAt([...before.items, ...from.items]),
    older: before.items.length ? before.older : null,
    newer: from.items.length ? from.newer : null,
  };
}

/** The block with the page that follows it (a `newer` page), letting go of the oldest messages well behind the playhead. */
export function appendPage(block: ChatBlock, page: ReplayChatPage, playheadMs: number): ChatBlock {
  let items = [...block.items, ...withAt(page.items)];
  let older = block.older;
  if (items.length > MAX_HELD) {
    const drop = Math.min(items.length - MAX_HELD, reachedCount(items, null, playheadMs) - SHOWN_MESSAGES * 2);
    if (drop > 0) {
      items = items.slice(drop);
      older = replayChatCursor("before", items[0]!);
    }
  }
  return { items, older, newer: page.items.length ? page.newer : null };
}

/** The block with the page that precedes it (an `older` page). */
export function prependPage(block: ChatBlock, page: ReplayChatPage): ChatBlock {
  return { items: [...withAt(page.items), ...block.items], older: page.items.length ? page.older : null, newer: block.newer };
}
