import { sql, type Kysely, type Migration } from "kysely";

export const videosMigrations: Record<string, Migration> = {
  "0013_1_short_videos": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("short_videos")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('clip', 'upload')`))
        .addColumn("show_id", "text", (c) => c.references("shows.id").onDelete("cascade"))
        .addColumn("product_id", "text", (c) => c.references("products.id"))
        .addColumn("owner_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('processing', 'draft', 'published', 'discarded', 'failed')`))
        .addColumn("media_key", "text")
        .addColumn("poster_key", "text")
        .addColumn("duration_ms", "integer")
        .addColumn("width", "integer")
        .addColumn("height", "integer")
        .addColumn("job_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("published_at", "bigint")
        .execute();
      await db.schema.createIndex("short_videos_show_idx").on("short_videos").columns(["show_id", "created_at"]).execute();
      // The feed: published videos, newest first (keyset on published_at, id).
      await db.schema.createIndex("short_videos_published_idx").on("short_videos").columns(["status", "published_at", "id"]).execute();
    },
  },
  // Uploaded videos: their own title and caption, whether to publish once transcoded, why a transcode
  // failed; and the products a video is tagged with (a clip's product_id counts until tags are set).
  "0014_1_uploaded_videos": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("short_videos").addColumn("title", "text").execute();
      await db.schema.alterTable("short_videos").addColumn("caption", "text").execute();
      await db.schema.alterTable("short_videos").addColumn("publish_when_ready", "integer", (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable("short_videos").addColumn("failure", "text").execute();
      await db.schema.alterTable("short_videos").addColumn("tags_set", "integer", (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex("short_videos_owner_idx").on("short_videos").columns(["owner_user_id", "created_at"]).execute();
      await db.schema
        .createTable("short_video_products")
        .addColumn("video_id", "text", (c) => c.notNull().references("short_videos.id").onDelete("cascade"))
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("position", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("short_video_products_pk", ["video_id", "product_id"])
        .execute();
    },
  },
};
