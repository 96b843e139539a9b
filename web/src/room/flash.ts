import type { FlashOutcome, FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import { storage } from "../lib/storage.ts";

export type FlashPhase = FlashSale["phase"];

const RANK: Record<FlashPhase, number> = { countdown: 0, open: 1, ended: 2 };

/**
 * Which clock a sale runs on in this screen: the server's (the studio, or a viewer without a frame
 * clock), or the video's (a viewer whose player reports each frame's program date, which is the
 * server's clock as the host's camera saw it, about a second late).
 */
export type SaleClock = "server" | "video";

/**
 * The video's clock is used for a sale only while it is this close to the server's: a stream a few
 * seconds behind is normal; a clock much further off is a stream stamped on another clock (or a server
 * clock moved by a test), and the server's clock is then better than waiting on it.
 */
export const VIDEO_CLOCK_MAX_SKEW_MS = 15_000;

/** The clock a viewer's sale runs on: the video's "now" when there is one close enough to the server's, else the server's. */
export function saleClock(serverNow: number, videoNow: number | null): { now: number; clock: SaleClock } {
  if (videoNow !== null && Math.abs(serverNow - videoNow) <= VIDEO_CLOCK_MAX_SKEW_MS) return { now: videoNow, clock: "video" };
  return { now: serverNow, clock: "server" };
}

function phaseAt(sale: Pick<FlashSale, "opensAt" | "endsAt">, t: number): FlashPhase {
  return t < Date.parse(sale.opensAt) ? "countdown" : t < Date.parse(sale.endsAt) ? "open" : "ended";
}

/**
 * The phase at `now`, from the sale's instants, so the countdown flips to "open" at the same moment
 * for everyone without waiting for a broadcast.
 *
 * On the server's clock (`now` is our estimate of the server's time), never behind what the server
 * last said: our estimate may run a little behind. On the video's clock (`now` is the program date of
 * the frame on screen), the server is ahead by the stream's delay, so its phase counts only when the
 * instants cannot explain it (a phase the instants did not reach at the server's own `serverTime`: a
 * sale ended early); otherwise the banner would open before the frame on which the sale opened.
 */
export function flashPhase(sale: Pick<FlashSale, "opensAt" | "endsAt" | "phase" | "serverTime">, now: number, clock: SaleClock = "server"): FlashPhase {
  const byClock = phaseAt(sale, now);
  const binding = clock === "server" || RANK[sale.phase] > RANK[phaseAt(sale, Date.parse(sale.serverTime))];
  return binding && RANK[sale.phase] > RANK[byClock] ? sale.phase : byClock;
}

/** Milliseconds until the next instant that matters: opening during the countdown, the end while open. */
export function flashRemaining(sale: Pick<FlashSale, "opensAt" | "endsAt">, phase: FlashPhase, now: number): number {
  if (phase === "countdown") return Date.parse(sale.opensAt) - now;
  if (phase === "open") return Date.parse(sale.endsAt) - now;
  return 0;
}

/**
 * The first instant after `after` at which one of these sales changes on screen: the next second of
 * its countdown (the text shows whole seconds, rounded up), its opening, the next second of its time
 * left, its end. Infinity when none will.
 */
export function nextFlashInstant(sales: Iterable<Pick<FlashSale, "opensAt" | "endsAt">>, after: number): number {
  let next = Infinity;
  for (const s of sales) {
    const opens = Date.parse(s.opensAt);
    const ends = Date.parse(s.endsAt);
    const target = after < opens ? opens : after < ends ? ends : null;
    if (target === null) continue;
    next = Math.min(next, target - (Math.ceil((target - after) / 1000) - 1) * 1000);
  }
  return next;
}

/** Whole percent off the regular price ("−66%"), or null when it is not a discount. */
export function discountPercent(regular: number, sale: number): number | null {
  if (regular <= 0 || sale >= regular) return null;
  return Math.round(((regular - sale) / regular) * 100);
}

/**
 * Picks the sale to show in the player: one the buyer holds a unit of (they must be able to pay),
 * then an open one, then the next to open, then the latest ended.
 */
export function pickSale(sales: FlashSale[], now: number, hidden: ReadonlySet<string>, pinned: ReadonlySet<string> = new Set(), clock: SaleClock = "server"): FlashSale | null {
  const pref: Record<FlashPhase, number> = { open: 0, countdown: 1, ended: 2 };
  const ranked = sales
    .filter((s) => pinned.has(s.id) || !hidden.has(s.id))
    .map((s) => ({ s, p: pinned.has(s.id) ? -1 : pref[flashPhase(s, now, clock)] }))
    .sort((a, b) => a.p - b.p || (a.p === 2 ? b.s.endsAt.localeCompare(a.s.endsAt) : a.s.opensAt.localeCompare(b.s.opensAt)));
  return ranked[0]?.s ?? null;
}

/* ---------- what this buyer has done in a sale, kept across reloads ---------- */

export interface FlashHold {
  holdId: string;
  expiresAt: string;
  paid?: boolean;
  /** the order number, when the payment's answer reached us */
  orderNumber?: string;
  expired?: boolean;
}

export interface FlashMine {
  /** an attempt sent without an answer yet: a retry must reuse this key */
  pendingKey: string | null;
  holds: FlashHold[];
  /** the latest answer (or "expired" when a won hold ran out) */
  last: FlashOutcome | "expired" | "paid" | null;
}

export const emptyMine = (): FlashMine => ({ pendingKey: null, holds: [], last: null });

const mineKey = (userId: string, saleId: string) => `vetrina.flash.${userId}.${saleId}`;

export function loadMine(userId: string, saleId: string): FlashMine {
  const raw = storage.get(mineKey(userId, saleId));
  if (!raw) return emptyMine();
  try {
    const v = JSON.parse(raw) as Partial<FlashMine>;
    return { pendingKey: typeof v.pendingKey === "string" ? v.pendingKey : null, holds: Array.isArray(v.holds) ? v.holds.filter((h) => h && typeof h.holdId === "string") : [], last: v.last ?? null };
  } catch {
    return emptyMine();
  }
}

export function saveMine(userId: string, saleId: string, mine: FlashMine): void {
  storage.set(mineKey(userId, saleId), JSON.stringify(mine));
}

/** The hold to pay now: won, not paid, not expired at `now` (server time). */
export function openHold(mine: FlashMine, now: number): FlashHold | null {
  return mine.holds.find((h) => !h.paid && !h.expired && Date.parse(h.expiresAt) > now) ?? null;
}
