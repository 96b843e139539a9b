import type { Kysely, Migration } from "kysely";

export const analyticsMigrations: Record<string, Migration> = {
  "0010_analytics": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("analytics_show_minutes")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("minute", "bigint", (c) => c.notNull())
        .addColumn("viewers_max", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("viewers_last", "integer")
        .addColumn("joins", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("likes", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("chat_messages", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_show_minutes_pk", ["show_id", "minute"])
        .execute();
      await db.schema
        .createTable("analytics_product_minutes")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("minute", "bigint", (c) => c.notNull())
        .addColumn("cards_shown", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("cards_tapped", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("checkouts_started", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_product_minutes_pk", ["show_id", "product_id", "minute"])
        .execute();
      await db.schema.createIndex("analytics_product_minutes_product_idx").on("analytics_product_minutes").columns(["product_id", "minute"]).execute();
      await db.schema
        .createTable("analytics_sales_minutes")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("minute", "bigint", (c) => c.notNull())
        .addColumn("orders_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("units_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("gmv", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("units_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("refunded", "bigint", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_sales_minutes_pk", ["show_id", "product_id", "currency", "minute"])
        .execute();
      await db.schema.createIndex("analytics_sales_minutes_product_idx").on("analytics_sales_minutes").columns(["product_id", "minute"]).execute();
      await db.schema
        .createTable("analytics_shows")
        .addColumn("show_id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("host_user_id", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("analytics_shows_merchant_idx").on("analytics_shows").column("merchant_id").execute();
      await db.schema.createIndex("analytics_shows_host_idx").on("analytics_shows").column("host_user_id").execute();
      // Append-only, no primary key: the cheapest rows to write (a column store replaces this table).
      await db.schema
        .createTable("analytics_events")
        .addColumn("at", "bigint", (c) => c.notNull())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text")
        .addColumn("viewer_id", "text")
        .addColumn("order_id", "text")
        .addColumn("count", "integer", (c) => c.notNull())
        .addColumn("amount", "bigint")
        .addColumn("currency", "text")
        .execute();
      await db.schema.createIndex("analytics_events_show_at_idx").on("analytics_events").columns(["show_id", "at"]).execute();
    },
  },
};
