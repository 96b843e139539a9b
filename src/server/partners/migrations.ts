import { type Kysely, type Migration } from "kysely";

export const partnersMigrations: Record<string, Migration> = {
  "0011_2_partners": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("partner_settings")
        .addColumn("merchant_id", "text", (c) => c.primaryKey().references("merchants.id"))
        .addColumn("postback_secret", "text", (c) => c.notNull())
        .addColumn("secret_created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("partner_clicks")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id"))
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("campaign_id", "text")
        .addColumn("creator_id", "text")
        .addColumn("viewer_user_id", "text")
        .addColumn("ip_hash", "text")
        .addColumn("at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("partner_clicks_show_idx").on("partner_clicks").columns(["show_id", "at"]).execute();
      await db.schema
        .createTable("partner_conversions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("order_ref", "text", (c) => c.notNull())
        .addColumn("click_id", "text", (c) => c.notNull().references("partner_clicks.id"))
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("lines", "text", (c) => c.notNull())
        .addColumn("ordered_at", "bigint", (c) => c.notNull())
        .addColumn("attributed", "integer", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("ledger", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addUniqueConstraint("partner_conversions_order_ref_key", ["merchant_id", "order_ref"])
        .execute();
      await db.schema.createIndex("partner_conversions_ledger_idx").on("partner_conversions").column("ledger").execute();
      await db.schema
        .createTable("partner_deliveries")
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("delivery_id", "text", (c) => c.notNull())
        .addColumn("conversion_id", "text", (c) => c.notNull().references("partner_conversions.id"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("received_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("partner_deliveries_pkey", ["merchant_id", "delivery_id"])
        .execute();
    },
  },
};
