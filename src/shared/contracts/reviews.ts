import { z } from "zod";
import { Cursor, Id, IsoInstant, Money } from "./common.ts";

export const REVIEW_TEXT_MAX = 2000;
export const REVIEW_PHOTOS_MAX = 6;
export const REVIEW_REPLY_MAX = 1000;

/**
 * A photo of a review: a URL the image upload endpoint (`POST /api/v1/uploads/images`) produced, and
 * only that: `/uploads/img_<id>.<png|jpg|webp|gif>`. The server also checks that the file exists.
 */
export const ReviewPhoto = z.string().regex(/^\/uploads\/img_[a-z0-9]{1,40}\.(png|jpg|webp|gif)$/, "must be an image uploaded with POST /api/v1/uploads/images");

export const Rating = z.number().int().min(1).max(5);

/** Writing or editing a review: every field, the whole review (an edit replaces it). */
export const ReviewInput = z.object({
  rating: Rating,
  /** trimmed; 1..2000 characters: a review is words, a star alone is only the summary's */
  text: z.string().trim().min(1, "write a few words").max(REVIEW_TEXT_MAX),
  photos: z
    .array(ReviewPhoto)
    .max(REVIEW_PHOTOS_MAX)
    .default([])
    .refine((p) => new Set(p).size === p.length, "the same photo twice"),
});
export type ReviewInput = z.input<typeof ReviewInput>;

export const ReviewReplyInput = z.object({ text: z.string().trim().min(1).max(REVIEW_REPLY_MAX) });
export const ReviewModerationInput = z.object({ hidden: z.boolean(), reason: z.string().trim().max(200).optional() });

export const Review = z.object({
  id: Id,
  productId: Id,
  rating: Rating,
  text: z.string(),
  photos: z.array(z.string()),
  /** the author's display name (never their e-mail) */
  authorName: z.string(),
  /** always true today: only buyers with a paid order can post; kept explicit for clients */
  verifiedBuyer: z.boolean(),
  helpfulCount: z.number().int().min(0),
  /** has the signed-in viewer marked it helpful */
  votedHelpful: z.boolean(),
  /** is it the signed-in viewer's own */
  mine: z.boolean(),
  /** hidden by moderation (only its author still sees it, in `mine`) */
  hidden: z.boolean(),
  reply: z.object({ text: z.string(), at: IsoInstant }).nullable(),
  createdAt: IsoInstant,
  /** when it was last edited; null when never */
  editedAt: IsoInstant.nullable(),
});
export type Review = z.infer<typeof Review>;

export const ReviewSort = z.enum(["recent", "helpful", "rating"]);
export type ReviewSort = z.infer<typeof ReviewSort>;
export const ReviewListQuery = z.object({
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(10),
  sort: ReviewSort.default("recent"),
});
export type ReviewListQuery = z.infer<typeof ReviewListQuery>;

export const ReviewPage = z.object({
  items: z.array(Review),
  nextCursor: z.string().nullable(),
  /** the signed-in viewer's own review of the product (also when hidden), on every page; null otherwise */
  mine: Review.nullable(),
});
export type ReviewPage = z.infer<typeof ReviewPage>;

export const ReviewSummary = z.object({
  productId: Id,
  count: z.number().int().min(0),
  /** mean rating, one decimal; null without reviews */
  average: z.number().min(1).max(5).nullable(),
  /** how many reviews gave 1, 2, 3, 4 and 5 stars (index 0 is one star) */
  histogram: z.array(z.number().int().min(0)).length(5),
});
export type ReviewSummary = z.infer<typeof ReviewSummary>;

/** A product the signed-in buyer paid for and has not reviewed yet. */
export const Reviewable = z.object({
  productId: Id,
  title: z.string(),
  imageUrl: z.string().nullable(),
  /** the (latest) paid order it was bought in */
  orderId: Id,
  purchasedAt: IsoInstant,
});
export type Reviewable = z.infer<typeof Reviewable>;
export const ReviewableQuery = z.object({ productId: Id.optional() });
export const ReviewableList = z.object({ items: z.array(Reviewable) });
export type ReviewableList = z.infer<typeof ReviewableList>;

/** A review as the feed shows it (kind "review"): its photos, stars, an excerpt and the product. */
export const FeedReviewCard = z.object({
  id: Id,
  rating: Rating,
  excerpt: z.string(),
  photos: z.array(z.string()).min(1),
  authorName: z.string(),
  verifiedBuyer: z.boolean(),
  createdAt: IsoInstant,
  product: z.object({ id: Id, title: z.string(), imageUrl: z.string().nullable(), price: Money.nullable() }),
});
export type FeedReviewCard = z.infer<typeof FeedReviewCard>;
