import type { Kysely, Migration } from "kysely";

export const showsMigrations: Record<string, Migration> = {
  "0003_shows": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("shows")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("host_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("cover_url", "text")
        .addColumn("scheduled_at", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("started_at", "bigint")
        .addColumn("ended_at", "bigint")
        .addColumn("stream_key", "text", (c) => c.notNull().unique())
        .addColumn("showcased_product_id", "text")
        .addColumn("like_count", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("peak_viewers", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("shows_status_idx").on("shows").columns(["status", "scheduled_at"]).execute();
      await db.schema.createIndex("shows_merchant_idx").on("shows").columns(["merchant_id", "scheduled_at"]).execute();
      await db.schema.createIndex("shows_host_idx").on("shows").columns(["host_user_id", "scheduled_at"]).execute();
      await db.schema
        .createTable("show_products")
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("position", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("show_products_pk", ["show_id", "product_id"])
        .execute();
      // The showcase timeline: replays (and frame-exact cards) are built from it.
      await db.schema
        .createTable("show_showcases")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("product_id", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("show_showcases_show_idx").on("show_showcases").columns(["show_id", "at"]).execute();
    },
  },
  "0008_show_recordings": {
    async up(db: Kysely<any>) {
      // null: never recorded; "recording": segments are (or were, before a crash) being stored; "ready": the replay's playlist is written.
      await db.schema.alterTable("shows").addColumn("recording", "text").execute();
    },
  },
  "0009_3_show_campaigns": {
    async up(db: Kysely<any>) {
      // The campaign a creator's show sells for (see ShowsTables); no foreign key: campaigns are another domain's.
      await db.schema.alterTable("shows").addColumn("campaign_id", "text").execute();
      await db.schema.createIndex("shows_campaign_idx").on("shows").column("campaign_id").execute();
    },
  },
  "0015_4_show_ingest_lease": {
    async up(db: Kysely<any>) {
      // Multi-node: the node ingesting a live show renews this every few seconds; a show whose lease ran
      // out (its node died) is ended by another node (shows/ingest-lease.ts). Null on a single process.
      await db.schema.alterTable("shows").addColumn("ingest_node", "text").execute();
      await db.schema.alterTable("shows").addColumn("ingest_heartbeat_at", "bigint").execute();
    },
  },
};
