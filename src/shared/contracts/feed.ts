import { z } from "zod";
import { Cursor, Id, Money } from "./common.ts";
import { ShowSummary } from "./shows.ts";
import { FeedReviewCard } from "./reviews.ts";

export const FeedQuery = z.object({
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(30).default(10),
});
export type FeedQuery = z.infer<typeof FeedQuery>;

/** A product on a feed item's strip: its first image and lowest active price. */
export const FeedProduct = z.object({
  id: Id,
  title: z.string(),
  imageUrl: z.string().nullable(),
  /** the lowest price of its variants; null when it has none */
  price: Money.nullable(),
  /** its reviews' summary (average to one decimal, count) when it has any; set by the feed */
  rating: z.object({ average: z.number().min(1).max(5), count: z.number().int().min(1) }).optional(),
});
export type FeedProduct = z.infer<typeof FeedProduct>;

const showItem = {
  show: ShowSummary,
  /** the host's creator name (the host's display name when it has no creator profile) */
  creatorName: z.string(),
  /** the first three products of the show */
  products: z.array(FeedProduct),
  /** is the item from an account (creator or shop) the signed-in viewer follows */
  followed: z.boolean(),
};

export const FeedLive = z.object({ kind: z.literal("live"), ...showItem, playbackUrl: z.string().nullable() });
export const FeedUpcoming = z.object({ kind: z.literal("upcoming"), ...showItem, reminded: z.boolean() });
export const FeedReplay = z.object({ kind: z.literal("replay"), ...showItem, replayUrl: z.string() });

/** A short video (the videos domain's): what the feed needs to show it. */
export const FeedVideoCard = z.object({
  id: Id,
  title: z.string(),
  posterUrl: z.string().nullable(),
  playbackUrl: z.string().nullable(),
  creatorName: z.string(),
  creatorHandle: z.string().nullable(),
  merchantName: z.string().nullable(),
  createdAt: z.string(),
});
export type FeedVideoCard = z.infer<typeof FeedVideoCard>;
export const FeedVideo = z.object({ kind: z.literal("video"), video: FeedVideoCard, products: z.array(FeedProduct), followed: z.boolean() });

/** A buyer's review with photos (the reviews domain's); `products` is its product, as on every item. */
export const FeedReview = z.object({ kind: z.literal("review"), review: FeedReviewCard, products: z.array(FeedProduct), followed: z.boolean() });

export const FeedItem = z.discriminatedUnion("kind", [FeedLive, FeedUpcoming, FeedReplay, FeedVideo, FeedReview]);
export type FeedItem = z.infer<typeof FeedItem>;
export type FeedShowItem = Exclude<FeedItem, { kind: "video" | "review" }>;

export const FeedPage = z.object({ items: z.array(FeedItem), nextCursor: z.string().nullable() });
export type FeedPage = z.infer<typeof FeedPage>;
