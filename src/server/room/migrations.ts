import type { Kysely, Migration } from "kysely";

export const roomMigrations: Record<string, Migration> = {
  "0004_room": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("chat_messages")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("author_name", "text", (c) => c.notNull())
        .addColumn("author_role", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("chat_show_idx").on("chat_messages").columns(["show_id", "created_at"]).execute();
      await db.schema
        .createTable("questions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("author_name", "text", (c) => c.notNull())
        .addColumn("product_id", "text")
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("answer", "text")
        .addColumn("answered_by", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("answered_at", "bigint")
        .execute();
      await db.schema.createIndex("questions_show_idx").on("questions").columns(["show_id", "status", "created_at"]).execute();
    },
  },
};
