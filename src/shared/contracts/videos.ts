import { z } from "zod";
import { Id } from "./common.ts";
import { FeedProduct } from "./feed.ts";

/** Short videos: clips cut from a replay around a showcase, and creators' uploads. See docs/media-jobs.md, "Clips", "Uploads", "Transcodes". */
export const ShortVideoKind = z.enum(["clip", "upload"]);
export const ShortVideoStatus = z.enum(["processing", "draft", "published", "discarded", "failed"]);
export type ShortVideoStatus = z.infer<typeof ShortVideoStatus>;

/** The product a clip was cut for (kept for older readers; `products` lists every tag). */
export const ShortVideoProduct = z.object({ id: z.string(), title: z.string(), imageUrl: z.string().nullable() });

/** How to play it: a clip is one MP4 (byte ranges), an upload an fMP4 HLS VOD playlist. */
export const ShortVideoPlayback = z.object({ kind: z.enum(["mp4", "hls"]), url: z.string() });
export type ShortVideoPlayback = z.infer<typeof ShortVideoPlayback>;

/** At most this many products tagged on one video. */
export const MAX_VIDEO_PRODUCTS = 10;

/** A short video as the feed and its page show it. */
export const ShortVideo = z.object({
  id: z.string(),
  kind: ShortVideoKind,
  /** an upload's own title; a clip's product's title */
  title: z.string(),
  caption: z.string().nullable(),
  posterUrl: z.string().nullable(),
  /** the playback URL (`playback.url`): an MP4 for clips, an HLS playlist for uploads */
  mediaUrl: z.string().nullable(),
  playback: ShortVideoPlayback.nullable(),
  durationMs: z.number().int().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  product: ShortVideoProduct.nullable(),
  /** the tagged products, in order, with their lowest price (a clip's own product until tags are set) */
  products: z.array(FeedProduct),
  showId: z.string().nullable(),
  creator: z.object({ userId: z.string(), displayName: z.string(), handle: z.string().nullable() }),
  merchant: z.object({ id: z.string(), name: z.string() }),
  publishedAt: z.string().nullable(),
});
export type ShortVideo = z.infer<typeof ShortVideo>;

/** A video as its creator (and the merchant's staff) see it in the studio: any status, with its job's progress. */
export const StudioClip = ShortVideo.extend({
  status: ShortVideoStatus,
  /** 0..1, the clip's or transcode's job */
  progress: z.number(),
  /** why it failed, if it did */
  error: z.string().nullable(),
  /** clips: where the showcase is in the replay, ms */
  showcaseOffsetMs: z.number().int().nullable(),
  /** uploads: publish as soon as the transcode is done */
  publishWhenReady: z.boolean(),
  createdAt: z.string(),
});
export type StudioClip = z.infer<typeof StudioClip>;
/** the same shape, for uploads */
export const StudioVideo = StudioClip;
export type StudioVideo = StudioClip;

export const ShortVideoPage = z.object({ items: z.array(ShortVideo), nextCursor: z.string().nullable() });
export type ShortVideoPage = z.infer<typeof ShortVideoPage>;

export const VideoProductsInput = z.object({ productIds: z.array(Id).max(MAX_VIDEO_PRODUCTS) });
export type VideoProductsInput = z.infer<typeof VideoProductsInput>;

/**
 * What the tus client sends as Upload-Metadata (each value base64 by the protocol): the merchant the
 * video sells for, its title and caption, product ids (comma-separated), and `publish` ("1": publish
 * as soon as it is transcoded). `filename` and `filetype` (sent by tus-js-client) are ignored: the
 * file is judged by its content.
 */
export const UploadMetadata = z.object({
  merchantId: Id,
  title: z.string().trim().min(1).max(120),
  caption: z.string().trim().max(1000).optional(),
  products: z
    .string()
    .max(2000)
    .optional()
    .transform((v) => (v ? [...new Set(v.split(",").map((s) => s.trim()).filter(Boolean))] : []))
    .pipe(z.array(Id).max(MAX_VIDEO_PRODUCTS)),
  publish: z.enum(["0", "1"]).optional(),
});
export type UploadMetadata = z.infer<typeof UploadMetadata>;

/** A merchant a user may upload for, with its products to tag. */
export const UploadMerchant = z.object({ id: Id, name: z.string() });
export const UploadOptions = z.object({ merchants: z.array(UploadMerchant), maxBytes: z.number().int(), maxSeconds: z.number() });
export type UploadOptions = z.infer<typeof UploadOptions>;
