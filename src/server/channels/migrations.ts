import { sql, type Kysely, type Migration } from "kysely";

export const channelsMigrations: Record<string, Migration> = {
  "0014_3_channels": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("channels")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("cover_url", "text")
        .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
        .addColumn("schedule_version", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("schedule", "text")
        .addColumn("compile_job_id", "text")
        .addColumn("epoch", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("seq_base", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("disc_base", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("takeover_show_id", "text")
        .addColumn("takeover_started_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("channels_merchant_idx").on("channels").columns(["merchant_id", "created_at"]).execute();
      await db.schema
        .createTable("channel_items")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id").onDelete("cascade"))
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('replay', 'video')`))
        .addColumn("ref_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("channel_items_pk", ["channel_id", "position"])
        .execute();
      await db.schema
        .createTable("channel_takeover_shows")
        .addColumn("channel_id", "text", (c) => c.notNull().references("channels.id").onDelete("cascade"))
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addPrimaryKeyConstraint("channel_takeover_shows_pk", ["channel_id", "show_id"])
        .execute();
      await db.schema.createIndex("channel_takeover_shows_show_idx").on("channel_takeover_shows").column("show_id").execute();
    },
  },
};
