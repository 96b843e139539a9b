import type { Kysely, Migration } from "kysely";

export const flashSalesMigrations: Record<string, Migration> = {
  "0006_flash_sales": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("flash_sales")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id"))
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("variant_id", "text", (c) => c.notNull())
        .addColumn("regular_price", "bigint", (c) => c.notNull())
        .addColumn("sale_price", "bigint", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("quantity", "integer", (c) => c.notNull())
        .addColumn("per_buyer_limit", "integer", (c) => c.notNull())
        .addColumn("opens_at", "bigint", (c) => c.notNull())
        .addColumn("ends_at", "bigint", (c) => c.notNull())
        .addColumn("hold_ms", "integer", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("flash_sales_show_idx").on("flash_sales").columns(["show_id", "status"]).execute();
      await db.schema
        .createTable("flash_attempts")
        .addColumn("sale_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("buyer_user_id", "text", (c) => c.notNull())
        .addColumn("idempotency_key", "text", (c) => c.notNull())
        .addColumn("outcome", "text", (c) => c.notNull())
        .addColumn("hold_id", "text")
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("flash_attempts_pk", ["sale_id", "seq"])
        .addUniqueConstraint("flash_attempts_key_uq", ["sale_id", "buyer_user_id", "idempotency_key"])
        .execute();
      await db.schema
        .createTable("flash_holds")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("sale_id", "text", (c) => c.notNull())
        .addColumn("buyer_user_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("order_id", "text")
        .addColumn("payment_attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("shipping", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("flash_holds_sale_idx").on("flash_holds").columns(["sale_id", "status"]).execute();
    },
  },
};
