import { type Kysely, type Migration } from "kysely";

export const sharingMigrations: Record<string, Migration> = {
  "0012_4_sharing": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("shares")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token", "text", (c) => c.notNull().unique())
        .addColumn("sharer_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("target_id", "text", (c) => c.notNull())
        .addColumn("visits", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("shares_sharer_target_key", ["sharer_user_id", "kind", "target_id"])
        .execute();
      await db.schema
        .createTable("share_joins")
        .addColumn("share_id", "text", (c) => c.notNull().references("shares.id"))
        .addColumn("viewer_key", "text", (c) => c.notNull())
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("viewer_user_id", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("share_joins_pkey", ["share_id", "viewer_key"])
        .execute();
      await db.schema.createIndex("share_joins_viewer_idx").on("share_joins").columns(["viewer_user_id", "show_id"]).execute();
      await db.schema
        .createTable("share_conversions")
        .addColumn("order_id", "text", (c) => c.primaryKey())
        .addColumn("share_id", "text", (c) => c.notNull().references("shares.id"))
        .addColumn("buyer_user_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("total", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("share_conversions_share_idx").on("share_conversions").column("share_id").execute();
    },
  },
};
