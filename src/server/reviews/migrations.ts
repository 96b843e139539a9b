import type { Kysely, Migration } from "kysely";

export const reviewsMigrations: Record<string, Migration> = {
  "0014_2_reviews": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("reviews")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("author_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("rating", "integer", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("photos", "text", (c) => c.notNull())
        .addColumn("photo_count", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("hidden_reason", "text")
        .addColumn("hidden_by", "text")
        .addColumn("helpful_count", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("reply_text", "text")
        .addColumn("reply_by", "text")
        .addColumn("reply_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("edited_at", "bigint")
        // One review per buyer and product: a second POST is refused (review_exists), edits are PATCH.
        .addUniqueConstraint("reviews_author_product_uq", ["author_user_id", "product_id"])
        .execute();
      // The product page's three orders, keyset on (key, id).
      await db.schema.createIndex("reviews_product_recent_idx").on("reviews").columns(["product_id", "status", "created_at", "id"]).execute();
      await db.schema.createIndex("reviews_product_helpful_idx").on("reviews").columns(["product_id", "status", "helpful_count", "id"]).execute();
      await db.schema.createIndex("reviews_product_rating_idx").on("reviews").columns(["product_id", "status", "rating", "id"]).execute();
      // The feed's review segments (newest first) and re-verification when an order is cancelled.
      await db.schema.createIndex("reviews_feed_idx").on("reviews").columns(["status", "photo_count", "created_at", "id"]).execute();
      await db.schema.createIndex("reviews_order_idx").on("reviews").column("order_id").execute();
      await db.schema
        .createTable("review_summaries")
        .addColumn("product_id", "text", (c) => c.primaryKey())
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("rating_sum", "integer", (c) => c.notNull())
        .addColumn("stars1", "integer", (c) => c.notNull())
        .addColumn("stars2", "integer", (c) => c.notNull())
        .addColumn("stars3", "integer", (c) => c.notNull())
        .addColumn("stars4", "integer", (c) => c.notNull())
        .addColumn("stars5", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("review_votes")
        .addColumn("review_id", "text", (c) => c.notNull().references("reviews.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("review_votes_pk", ["review_id", "user_id"])
        .execute();
    },
  },
};
