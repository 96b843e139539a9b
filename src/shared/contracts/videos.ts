import { z } from "zod";

/** Short videos: clips cut from a replay around a showcase (later, uploads). See docs/media-jobs.md, "Clips". */
export const ShortVideoKind = z.enum(["clip", "upload"]);
export const ShortVideoStatus = z.enum(["processing", "draft", "published", "discarded", "failed"]);
export type ShortVideoStatus = z.infer<typeof ShortVideoStatus>;

/** The product a short video sells. */
export const ShortVideoProduct = z.object({ id: z.string(), title: z.string(), imageUrl: z.string().nullable() });

/** A short video as the feed shows it. */
export const ShortVideo = z.object({
  id: z.string(),
  kind: ShortVideoKind,
  /** the product's title (a clip is about one product) */
  title: z.string(),
  posterUrl: z.string().nullable(),
  mediaUrl: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  product: ShortVideoProduct.nullable(),
  showId: z.string().nullable(),
  creator: z.object({ userId: z.string(), displayName: z.string(), handle: z.string().nullable() }),
  merchant: z.object({ id: z.string(), name: z.string() }),
  publishedAt: z.string().nullable(),
});
export type ShortVideo = z.infer<typeof ShortVideo>;

/** A clip as its show's host sees it in the studio: any status, with its job's progress. */
export const StudioClip = ShortVideo.extend({
  status: ShortVideoStatus,
  /** 0..1, the clip job's */
  progress: z.number(),
  /** the job's last failure, if any */
  error: z.string().nullable(),
  /** where the showcase is in the replay, ms */
  showcaseOffsetMs: z.number().int().nullable(),
  createdAt: z.string(),
});
export type StudioClip = z.infer<typeof StudioClip>;

export const ShortVideoPage = z.object({ items: z.array(ShortVideo), nextCursor: z.string().nullable() });
export type ShortVideoPage = z.infer<typeof ShortVideoPage>;
