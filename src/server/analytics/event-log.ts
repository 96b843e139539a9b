import type { Kysely } from "kysely";
import type { AnalyticsTables } from "./schema.ts";

/**
 * One raw analytics event. The aggregator turns these into per-minute rollups; the event log keeps
 * them (or not) for later analysis. Times are epoch ms; money is integer minor units.
 */
export type AnalyticsEvent =
  /** `viewers`: the room's connections right after the change */
  | { kind: "viewer.joined" | "viewer.left"; showId: string; at: number; viewerId: string | null; viewers: number }
  | { kind: "like"; showId: string; at: number; count: number }
  | { kind: "chat.message"; showId: string; at: number; viewerId: string }
  /** a product card reached `count` viewers (a showcase: everyone in the room; a join during it: one) */
  | { kind: "card.shown"; showId: string; productId: string; at: number; count: number; viewerId: string | null }
  | { kind: "card.tapped" | "checkout.started"; showId: string; productId: string; at: number; viewerId: string | null }
  /** one event per order; `lines` add up to the order's total */
  | { kind: "order.paid" | "order.refunded"; showId: string; at: number; orderId: string; viewerId: string | null; currency: string; lines: OrderLine[] };

export interface OrderLine {
  productId: string;
  units: number;
  /** minor units */
  amount: number;
}

export type AnalyticsEventKind = AnalyticsEvent["kind"];

/** Where raw events go. Appending must be cheap and never wait on storage: writes happen in `flush`. */
export interface EventLog {
  append(event: AnalyticsEvent): void;
  /** Writes what was appended since the last flush. */
  flush(): Promise<void>;
  /** Events lost because storage could not keep up (the buffer is bounded). */
  readonly dropped: number;
}

/** Kinds that already have a durable home or no value one by one: counted in rollups, not logged. */
export const UNLOGGED_KINDS: ReadonlySet<AnalyticsEventKind> = new Set(["like", "chat.message"]);

/**
 * The embedded event log: a bounded in-memory buffer, written to `analytics_events` in multi-row
 * batches at each flush. When storage falls behind, the oldest unwritten events are dropped (and
 * counted): raw events are for analysis, the rollups (written separately) are the figures.
 */
export class TableEventLog implements EventLog {
  private buffer: AnalyticsEvent[] = [];
  private lost = 0;

  constructor(
    private db: Kysely<AnalyticsTables>,
    private opts: { capacity?: number; batchRows?: number; skip?: ReadonlySet<AnalyticsEventKind> } = {},
  ) {}

  get dropped() {
    return this.lost;
  }

  append(event: AnalyticsEvent) {
    if ((this.opts.skip ?? UNLOGGED_KINDS).has(event.kind)) return;
    const capacity = this.opts.capacity ?? 100_000;
    if (this.buffer.length >= capacity) {
      // Drop the oldest tenth at once, so a backlog costs one splice per many events, not one each.
      const n = Math.max(1, Math.ceil(capacity / 10));
      this.buffer.splice(0, n);
      this.lost += n;
    }
    this.buffer.push(event);
  }

  async flush() {
    if (this.buffer.length === 0) return;
    const events = this.buffer;
    this.buffer = [];
    const rows = events.flatMap(toRows);
    const size = this.opts.batchRows ?? 500;
    try {
      await this.db.transaction().execute(async (tx) => {
        for (let i = 0; i < rows.length; i += size) await tx.insertInto("analytics_events").values(rows.slice(i, i + size)).execute();
      });
    } catch (err) {
      // Keep them for the next flush, within the bound.
      const room = (this.opts.capacity ?? 100_000) - this.buffer.length;
      const kept = events.slice(Math.max(0, events.length - room));
      this.lost += events.length - kept.length;
      this.buffer = [...kept, ...this.buffer];
      throw err;
    }
  }
}

type EventRow = AnalyticsTables["analytics_events"];

/** Flat rows, as a column store would want them: an order becomes one row per line. */
function toRows(e: AnalyticsEvent): EventRow[] {
  const base = { at: e.at, kind: e.kind, show_id: e.showId, product_id: null, viewer_id: null, order_id: null, count: 1, amount: null, currency: null };
  switch (e.kind) {
    case "viewer.joined":
    case "viewer.left":
      return [{ ...base, viewer_id: e.viewerId, count: e.viewers }];
    case "like":
      return [{ ...base, count: e.count }];
    case "chat.message":
      return [{ ...base, viewer_id: e.viewerId }];
    case "card.shown":
      return [{ ...base, product_id: e.productId, viewer_id: e.viewerId, count: e.count }];
    case "card.tapped":
    case "checkout.started":
      return [{ ...base, product_id: e.productId, viewer_id: e.viewerId }];
    case "order.paid":
    case "order.refunded":
      return e.lines.map((l) => ({ ...base, product_id: l.productId, viewer_id: e.viewerId, order_id: e.orderId, count: l.units, amount: l.amount, currency: e.currency }));
  }
}
