import type { Kysely, Migration } from "kysely";

export const creatorsMigrations: Record<string, Migration> = {
  "0009_1_creators": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("creators")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().unique().references("users.id"))
        .addColumn("handle", "text", (c) => c.notNull())
        .addColumn("handle_key", "text", (c) => c.notNull().unique())
        .addColumn("display_name", "text", (c) => c.notNull())
        .addColumn("avatar_url", "text")
        .addColumn("bio", "text", (c) => c.notNull())
        .addColumn("categories", "text", (c) => c.notNull())
        .addColumn("links", "text", (c) => c.notNull())
        .addColumn("verified_at", "bigint")
        .addColumn("verified_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("creator_follows")
        .addColumn("creator_id", "text", (c) => c.notNull().references("creators.id").onDelete("cascade"))
        .addColumn("follower_user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("creator_follows_pk", ["creator_id", "follower_user_id"])
        .execute();
      await db.schema.createIndex("creator_follows_follower_idx").on("creator_follows").column("follower_user_id").execute();
    },
  },
};
