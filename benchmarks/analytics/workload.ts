/**
 * Synthetic analytics events of live shows, deterministic (a seeded PRNG), for the analytics benchmark.
 * The mix is what a show's room and shoppers produce: mostly likes and chat, joins and leaves, card
 * taps, checkouts started and, rarely, orders of one to three lines.
 */
import type { AnalyticsEvent } from "../../src/server/analytics/event-log.ts";

import { prng } from "../support/prng.ts";

export { prng };

export interface RoomWorkload {
  showIds: string[];
  productIds: string[];
  /** first event time, epoch ms; events are `spacingMs` apart */
  start: number;
  spacingMs: number;
  viewers: number;
  seed?: number;
}

/** `n` events of rooms with `viewers` people each, in time order. */
export function roomEvents(w: RoomWorkload, n: number): AnalyticsEvent[] {
  const rand = prng(w.seed ?? 1);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const events: AnalyticsEvent[] = [];
  let orders = 0;
  for (let i = 0; i < n; i++) {
    const at = w.start + Math.floor(i * w.spacingMs);
    const showId = pick(w.showIds);
    const viewerId = `usr_v${Math.floor(rand() * w.viewers)}`;
    const r = rand();
    if (r < 0.4) events.push({ kind: "like", showId, at, count: 1 + Math.floor(rand() * 5) });
    else if (r < 0.7) events.push({ kind: "chat.message", showId, at, viewerId });
    else if (r < 0.79) events.push({ kind: rand() < 0.55 ? "viewer.joined" : "viewer.left", showId, at, viewerId, viewers: w.viewers });
    else if (r < 0.8) events.push({ kind: "card.shown", showId, productId: pick(w.productIds), at, count: w.viewers, viewerId: null });
    else if (r < 0.92) events.push({ kind: "card.tapped", showId, productId: pick(w.productIds), at, viewerId });
    else if (r < 0.98) events.push({ kind: "checkout.started", showId, productId: pick(w.productIds), at, viewerId });
    else {
      const lines = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
        const units = 1 + Math.floor(rand() * 2);
        return { productId: pick(w.productIds), units, amount: units * (990 + Math.floor(rand() * 9000)) };
      });
      events.push({ kind: "order.paid", showId, at, orderId: `ord_b${orders++}`, viewerId, currency: "EUR", lines });
    }
  }
  return events;
}
