import type { Kysely, Migration } from "kysely";

export const checkoutMigrations: Record<string, Migration> = {
  "0005_checkout": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("checkout_attempts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("buyer_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("request_hash", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("variant_id", "text", (c) => c.notNull())
        .addColumn("quantity", "integer", (c) => c.notNull())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("shipping", "text", (c) => c.notNull())
        .addColumn("order_id", "text")
        .addColumn("error_code", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("checkout_attempts_key_uq", ["buyer_user_id", "idempotency_key"])
        .execute();
      await db.schema.createIndex("checkout_attempts_status_idx").on("checkout_attempts").column("status").execute();
      await db.schema
        .createTable("orders")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("number", "text", (c) => c.notNull().unique())
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("buyer_user_id", "text", (c) => c.notNull().references("users.id"))
        .addColumn("show_id", "text")
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("total", "bigint", (c) => c.notNull())
        .addColumn("shipping", "text", (c) => c.notNull())
        .addColumn("payment_id", "text", (c) => c.notNull())
        .addColumn("card_last4", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("orders_merchant_idx").on("orders").columns(["merchant_id", "created_at"]).execute();
      await db.schema.createIndex("orders_buyer_idx").on("orders").columns(["buyer_user_id", "created_at"]).execute();
      await db.schema.createIndex("orders_show_idx").on("orders").columns(["show_id"]).execute();
      await db.schema
        .createTable("order_items")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull().references("orders.id"))
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("variant_id", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("variant_title", "text", (c) => c.notNull())
        .addColumn("unit_price", "bigint", (c) => c.notNull())
        .addColumn("quantity", "integer", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("order_items_order_idx").on("order_items").column("order_id").execute();
      await db.schema
        .createTable("order_history")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("order_id", "text", (c) => c.notNull().references("orders.id"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("actor_user_id", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("order_history_order_idx").on("order_history").columns(["order_id", "at"]).execute();
      await db.schema
        .createTable("sandbox_charges")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("idempotency_key", "text", (c) => c.notNull().unique())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("decline_code", "text")
        .addColumn("card_last4", "text", (c) => c.notNull())
        .addColumn("refunded_amount", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};
