import type { Generated } from "kysely";

export type ShortVideoKind = "clip" | "upload";
export type ShortVideoStatus = "processing" | "draft" | "published" | "discarded" | "failed";

/** (A type rather than an interface: `db.withTables<VideosTables>()` wants an indexable record.) */
export type VideosTables = {
  /**
   * Short videos: clips cut from a show's replay around a showcase (kind "clip"), later uploads. Made
   * by a media job (`job_id`), a draft until its host (or the merchant's staff) publishes or discards it.
   */
  short_videos: {
    id: string;
    kind: ShortVideoKind;
    show_id: string | null;
    product_id: string | null;
    /** the show's host (the creator whose video it is) */
    owner_user_id: string;
    merchant_id: string;
    status: ShortVideoStatus;
    /** storage keys (`videos/<id>.mp4`, `videos/<id>.jpg`), set once the job has stored them */
    media_key: string | null;
    poster_key: string | null;
    duration_ms: number | null;
    width: number | null;
    height: number | null;
    job_id: string | null;
    created_at: number;
    published_at: number | null;
    /** uploads: the creator's title and caption (clips take their product's title) */
    title: string | null;
    caption: string | null;
    /** 1: the creator asked to publish the upload as soon as it is transcoded */
    publish_when_ready: Generated<number>;
    /** why the last transcode failed for good (shown to the creator) */
    failure: string | null;
    /** 1 once the products were set explicitly (a clip's product_id is its tag until then) */
    tags_set: Generated<number>;
  };
  short_video_products: { video_id: string; product_id: string; position: number };
};
