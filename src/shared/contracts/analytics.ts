import { z } from "zod";
import { Currency, Id, Money } from "./common.ts";

/**
 * Live analytics and reports. Counts are whole numbers; money is integer minor units per ISO currency
 * (a show may sell in more than one), never a float.
 */

/* ---------- ingest: funnel events only the browser sees ---------- */

/** The most events one ingest request may carry. */
export const MAX_INGEST_EVENTS = 50;

/**
 * What a client may report. Everything else (viewers, likes, chat, cards shown, payments, refunds)
 * the server observes itself, so a client can neither forge nor double it.
 */
export const ClientAnalyticsEvent = z.discriminatedUnion("kind", [
  /** the viewer tapped the showcased product's card (opened its sheet) */
  z.object({ kind: z.literal("card.tapped"), showId: Id, productId: Id }),
  /** the viewer pressed "buy" and the checkout sheet opened */
  z.object({ kind: z.literal("checkout.started"), showId: Id, productId: Id }),
]);
export type ClientAnalyticsEvent = z.infer<typeof ClientAnalyticsEvent>;

export const IngestBody = z.object({ events: z.array(ClientAnalyticsEvent).min(1).max(MAX_INGEST_EVENTS) });
export type IngestBody = z.infer<typeof IngestBody>;

/** `dropped`: events naming a show that does not exist or a product that is not in it. */
export const IngestResult = z.object({ accepted: z.number().int(), dropped: z.number().int() });
export type IngestResult = z.infer<typeof IngestResult>;

/* ---------- figures ---------- */

/** A signed amount: a period's refunds may exceed its sales (they are counted when they happen). */
export const SignedMoney = z.object({ amount: z.number().int(), currency: Currency });

/** The funnel and the money of a product, a show or a period. */
export const SalesFigures = z.object({
  /** viewer-impressions of product cards: viewers in the room when a card was showcased, plus those who joined while it was */
  cardsShown: z.number().int(),
  cardsTapped: z.number().int(),
  checkoutsStarted: z.number().int(),
  ordersPaid: z.number().int(),
  unitsPaid: z.number().int(),
  /** orders cancelled after payment (their money is refunded); counted when cancelled */
  ordersRefunded: z.number().int(),
  /** gross merchandise value of the orders paid, per currency */
  gmv: z.array(Money),
  refunded: z.array(Money),
  /** gmv − refunded */
  net: z.array(SignedMoney),
});
export type SalesFigures = z.infer<typeof SalesFigures>;

/** Room figures, only meaningful for a show (null in a report about a product). */
export const RoomFigures = z.object({
  peakViewers: z.number().int(),
  likes: z.number().int(),
  chatMessages: z.number().int(),
});
export type RoomFigures = z.infer<typeof RoomFigures>;

export const Figures = SalesFigures.extend({
  peakViewers: z.number().int().nullable(),
  likes: z.number().int().nullable(),
  chatMessages: z.number().int().nullable(),
});
export type Figures = z.infer<typeof Figures>;

/* ---------- live ---------- */

/** One minute of a show (UTC, the minute starting at `minute`). */
export const LiveMinute = SalesFigures.extend({
  minute: z.string(),
  /** connections in the room at the end of the minute (at the latest sample while it runs) */
  viewers: z.number().int(),
  /** the most connections at once during the minute */
  viewersMax: z.number().int(),
  /** connections opened during the minute (not people: a reconnect counts again) */
  joins: z.number().int(),
  likes: z.number().int(),
  /** chat messages posted during the minute: the chat rate per minute */
  chatMessages: z.number().int(),
});
export type LiveMinute = z.infer<typeof LiveMinute>;

export const ProductFigures = SalesFigures.extend({ productId: Id, title: z.string() });
export type ProductFigures = z.infer<typeof ProductFigures>;

export const LiveAnalytics = z.object({
  showId: Id,
  /** when these figures were computed (ISO instant) */
  at: z.string(),
  currentViewers: z.number().int(),
  totals: SalesFigures.extend(RoomFigures.shape),
  /** every minute from the first with data to the current one, gaps filled with zeros */
  minutes: z.array(LiveMinute),
  products: z.array(ProductFigures),
});
export type LiveAnalytics = z.infer<typeof LiveAnalytics>;

/* ---------- reports ---------- */

/** `from`/`to`: ISO instants, or dates (UTC): a date `to` includes that whole day. */
export const ReportQuery = z
  .object({
    from: z.string().max(40).optional(),
    to: z.string().max(40).optional(),
    showId: Id.optional(),
    productId: Id.optional(),
    /** a creator's shows (its creator profile id); combines with the other filters */
    creatorId: Id.optional(),
    /** the shows of a brand campaign; combines with the other filters */
    campaignId: Id.optional(),
    format: z.enum(["json", "csv"]).default("json"),
    /** which breakdown the CSV lists (JSON has all three) */
    by: z.enum(["day", "show", "product"]).default("day"),
  })
  .refine((q) => !(q.showId && q.productId), { message: "give showId or productId, not both", path: ["productId"] });
export type ReportQuery = z.input<typeof ReportQuery>;

export const AnalyticsReport = z.object({
  from: z.string(),
  to: z.string(),
  showId: Id.nullable(),
  productId: Id.nullable(),
  creatorId: Id.nullable(),
  campaignId: Id.nullable(),
  totals: Figures,
  /** per UTC day with data, oldest first */
  days: z.array(Figures.extend({ day: z.string() })),
  shows: z.array(Figures.extend({ showId: Id, title: z.string() })),
  products: z.array(Figures.extend({ productId: Id, title: z.string() })),
});
export type AnalyticsReport = z.infer<typeof AnalyticsReport>;
