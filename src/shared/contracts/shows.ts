import { z } from "zod";
import { Id, IsoInstant } from "./common.ts";
import { Product } from "./catalog.ts";

export const ShowStatus = z.enum(["scheduled", "live", "ended"]);
export type ShowStatus = z.infer<typeof ShowStatus>;

export const ShowSummary = z.object({
  id: Id,
  merchantId: Id,
  merchantName: z.string(),
  hostId: Id,
  hostName: z.string(),
  title: z.string(),
  description: z.string(),
  coverUrl: z.string().nullable(),
  scheduledAt: z.string(),
  status: ShowStatus,
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  viewerCount: z.number().int(),
  likeCount: z.number().int(),
  /** set on a creator's campaign show (the brand is its merchant, the creator its host); null otherwise */
  campaignId: Id.nullable(),
  /** the host's creator handle, when the host has a creator profile */
  hostHandle: z.string().nullable(),
});
export type ShowSummary = z.infer<typeof ShowSummary>;

export const Show = ShowSummary.extend({
  products: z.array(Product),
  showcasedProductId: Id.nullable(),
  /** HLS playlist URL while live, null otherwise */
  playbackUrl: z.string().nullable(),
  /** VOD playlist URL of the recording once the show has ended and its replay is ready, null otherwise */
  replayUrl: z.string().nullable(),
});
export type Show = z.infer<typeof Show>;

/**
 * One showcase of the show's timeline: from `at` (epoch ms, the server's clock, the same clock as the
 * stream's EXT-X-PROGRAM-DATE-TIME) the product on screen is `productId` (null: none).
 */
export const ShowcaseEntry = z.object({
  at: z.number().int(),
  productId: Id.nullable(),
  /** once the show has a replay: where the replay reaches `at`, ms from its start (the first frame stamped at or after it) */
  offsetMs: z.number().int().nonnegative().optional(),
});
export type ShowcaseEntry = z.infer<typeof ShowcaseEntry>;
/** The show's showcases in the order they happened (by `at`). */
export const ShowTimeline = z.object({ items: z.array(ShowcaseEntry) });
export type ShowTimeline = z.infer<typeof ShowTimeline>;

export const ShowInput = z.object({
  title: z.string().trim().min(1).max(140),
  description: z.string().trim().max(5000).default(""),
  coverUrl: z.string().max(500).nullable().default(null),
  scheduledAt: IsoInstant,
  hostId: Id,
  productIds: z.array(Id).max(200).default([]),
});
export type ShowInput = z.infer<typeof ShowInput>;

export const StudioInfo = z.object({
  showId: Id,
  rtmpUrl: z.string(),
  /** WHIP endpoint (RFC 9725) for OBS 30+ and the studio's camera; the stream key is its Bearer token */
  whipUrl: z.string(),
  streamKey: z.string(),
  status: ShowStatus,
  previewUrl: z.string().nullable(),
});
export type StudioInfo = z.infer<typeof StudioInfo>;

export const ShowcaseBody = z.object({ productId: Id.nullable() });

export const ShowCounters = z.object({
  viewers: z.number().int(),
  likes: z.number().int(),
  orders: z.number().int(),
  /** revenue per currency in minor units */
  revenue: z.array(z.object({ currency: z.string(), amount: z.number().int() })),
});
export type ShowCounters = z.infer<typeof ShowCounters>;

export const HostOption = z.object({ id: Id, displayName: z.string(), role: z.string() });

export const QuestionStatus = z.enum(["open", "answered", "dismissed"]);
export const Question = z.object({
  id: Id,
  showId: Id,
  productId: Id.nullable(),
  author: z.object({ id: Id, name: z.string() }),
  text: z.string(),
  status: QuestionStatus,
  answer: z.string().nullable(),
  createdAt: z.string(),
  answeredAt: z.string().nullable(),
});
export type Question = z.infer<typeof Question>;
export const AnswerBody = z.object({ text: z.string().trim().min(1).max(500) });
