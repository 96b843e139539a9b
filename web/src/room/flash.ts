import type { FlashOutcome, FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import { storage } from "../lib/storage.ts";

export type FlashPhase = FlashSale["phase"];

const RANK: Record<FlashPhase, number> = { countdown: 0, open: 1, ended: 2 };

/**
 * The phase at `now` (server time): from the sale's instants, so the countdown flips to "open" at
 * the same moment for everyone without waiting for a broadcast, and never behind what the server
 * last said.
 */
export function flashPhase(sale: Pick<FlashSale, "opensAt" | "endsAt" | "phase">, now: number): FlashPhase {
  const opens = Date.parse(sale.opensAt);
  const ends = Date.parse(sale.endsAt);
  const byClock: FlashPhase = now < opens ? "countdown" : now < ends ? "open" : "ended";
  return RANK[byClock] >= RANK[sale.phase] ? byClock : sale.phase;
}

/** Milliseconds until the next instant that matters: opening during the countdown, the end while open. */
export function flashRemaining(sale: Pick<FlashSale, "opensAt" | "endsAt">, phase: FlashPhase, now: number): number {
  if (phase === "countdown") return Date.parse(sale.opensAt) - now;
  if (phase === "open") return Date.parse(sale.endsAt) - now;
  return 0;
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
export function pickSale(sales: FlashSale[], now: number, hidden: ReadonlySet<string>, pinned: ReadonlySet<string> = new Set()): FlashSale | null {
  const pref: Record<FlashPhase, number> = { open: 0, countdown: 1, ended: 2 };
  const ranked = sales
    .filter((s) => pinned.has(s.id) || !hidden.has(s.id))
    .map((s) => ({ s, p: pinned.has(s.id) ? -1 : pref[flashPhase(s, now)] }))
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
