/**
 * What a 24-hour channel needs to know of a short video (src/server/channels/): whose it is, whether
 * it is published, and where its media is — for a clip, the replay window it was cut from (the
 * channel plays the replay's own segments: no new file, no encode); for an upload, its HLS rendition
 * under `videos/<id>/hls/`. The videos domain owns the rows; the channels domain calls these.
 */
import type { Kysely } from "kysely";
import type { Db } from "../platform/db.ts";
import type { JobsTables } from "../jobs/schema.ts";
import type { ShortVideoKind, ShortVideoStatus, VideosTables } from "./schema.ts";
import { videoHlsPrefix, type ClipPayload } from "./service.ts";

export interface VideoChannelSource {
  id: string;
  kind: ShortVideoKind;
  merchantId: string;
  status: ShortVideoStatus;
  title: string;
  posterUrl: string | null;
  durationMs: number | null;
  productId: string | null;
  showId: string | null;
  /** a clip's window of its show's replay, ms (whole segments) */
  clip: { showId: string; fromMs: number; toMs: number } | null;
  /** an upload's HLS rendition (index.m3u8 + init + segments), storage prefix ending with `/` */
  hlsPrefix: string;
}

export { videoHlsPrefix };

export function videoChannelSources(dbIn: Db) {
  const db = dbIn.withTables<VideosTables & JobsTables>() as unknown as Kysely<VideosTables & JobsTables & { products: { id: string; title: string } }>;
  const query = () =>
    db
      .selectFrom("short_videos as v")
      .leftJoin("media_jobs as j", "j.id", "v.job_id")
      .leftJoin("products as p", "p.id", "v.product_id")
      .select(["v.id", "v.kind", "v.merchant_id", "v.status", "v.duration_ms", "v.product_id", "v.show_id", "v.poster_key", "v.title as video_title", "j.payload", "p.title"]);
  type Row = Awaited<ReturnType<ReturnType<typeof query>["executeTakeFirstOrThrow"]>>;
  const toSource = (r: Row): VideoChannelSource => {
    let clip: VideoChannelSource["clip"] = null;
    if (r.kind === "clip" && r.payload) {
      try {
        const p = JSON.parse(r.payload) as ClipPayload;
        clip = { showId: p.showId, fromMs: p.fromMs, toMs: p.toMs };
      } catch {
        clip = null;
      }
    }
    return {
      id: r.id,
      kind: r.kind,
      merchantId: r.merchant_id,
      status: r.status,
      // an upload's own title; a clip's product's
      title: r.video_title ?? r.title ?? "",
      posterUrl: r.poster_key ? `/media/videos/${r.id}.jpg` : null,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      productId: r.product_id,
      showId: r.show_id,
      clip,
      hlsPrefix: videoHlsPrefix(r.id),
    };
  };
  return {
    async get(videoId: string): Promise<VideoChannelSource | null> {
      const r = await query().where("v.id", "=", videoId).executeTakeFirst();
      return r ? toSource(r) : null;
    },
    /** the merchant's published videos, newest first */
    async publishedOf(merchantId: string, limit = 100): Promise<VideoChannelSource[]> {
      const rows = await query().where("v.merchant_id", "=", merchantId).where("v.status", "=", "published").orderBy("v.published_at", "desc").limit(limit).execute();
      return rows.map(toSource);
    },
  };
}

export type VideoChannelSources = ReturnType<typeof videoChannelSources>;
