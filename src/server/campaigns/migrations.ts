import { sql, type Kysely, type Migration } from "kysely";

export const campaignsMigrations: Record<string, Migration> = {
  "0009_2_campaigns": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("campaigns")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("commission_bps", "integer", (c) => c.notNull().check(sql`commission_bps between 100 and 8000`))
        .addColumn("audience", "text", (c) => c.notNull())
        .addColumn("starts_at", "bigint", (c) => c.notNull())
        .addColumn("ends_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addCheckConstraint("campaigns_period_ck", sql`ends_at > starts_at`)
        .execute();
      await db.schema.createIndex("campaigns_merchant_idx").on("campaigns").columns(["merchant_id", "created_at"]).execute();
      await db.schema.createIndex("campaigns_audience_idx").on("campaigns").columns(["audience", "ends_at"]).execute();
      await db.schema
        .createTable("campaign_products")
        .addColumn("campaign_id", "text", (c) => c.notNull().references("campaigns.id").onDelete("cascade"))
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("commission_bps", "integer", (c) => c.check(sql`commission_bps between 100 and 8000`))
        .addColumn("position", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("campaign_products_pk", ["campaign_id", "product_id"])
        .execute();
      await db.schema
        .createTable("campaign_creators")
        .addColumn("campaign_id", "text", (c) => c.notNull().references("campaigns.id").onDelete("cascade"))
        .addColumn("creator_id", "text", (c) => c.notNull().references("creators.id"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("invited_at", "bigint")
        .addColumn("responded_at", "bigint")
        .addPrimaryKeyConstraint("campaign_creators_pk", ["campaign_id", "creator_id"])
        .execute();
      await db.schema.createIndex("campaign_creators_creator_idx").on("campaign_creators").column("creator_id").execute();
    },
  },
};
