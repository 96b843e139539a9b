import type { Kysely, Migration } from "kysely";

export const moderationMigrations: Record<string, Migration> = {
  "0007_moderation": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("show_moderators")
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("added_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("show_moderators_pk", ["show_id", "user_id"])
        .execute();
      await db.schema
        .createTable("room_settings")
        .addColumn("show_id", "text", (c) => c.primaryKey().references("shows.id").onDelete("cascade"))
        .addColumn("slow_mode_seconds", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("banned_words", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("updated_by", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("room_sanctions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("until", "bigint")
        .addColumn("reason", "text")
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("lifted_at", "bigint")
        .addColumn("lifted_by", "text")
        .execute();
      await db.schema.createIndex("room_sanctions_show_user_idx").on("room_sanctions").columns(["show_id", "user_id", "kind"]).execute();
      // SQLite adds one column per ALTER TABLE statement.
      await db.schema.alterTable("chat_messages").addColumn("deleted_at", "bigint").execute();
      await db.schema.alterTable("chat_messages").addColumn("deleted_by", "text").execute();
    },
  },
};
