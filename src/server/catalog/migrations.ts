import { sql, type Kysely, type Migration } from "kysely";

export const catalogMigrations: Record<string, Migration> = {
  "0002_catalog": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("products")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id"))
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("description", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("images", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("products_merchant_idx").on("products").columns(["merchant_id", "created_at"]).execute();
      await db.schema
        .createTable("variants")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("product_id", "text", (c) => c.notNull().references("products.id"))
        .addColumn("sku", "text")
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("options", "text", (c) => c.notNull())
        .addColumn("price", "bigint", (c) => c.notNull().check(sql`price >= 0`))
        .addColumn("stock", "integer", (c) => c.notNull().check(sql`stock >= 0`))
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("active", "integer", (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.createIndex("variants_product_idx").on("variants").column("product_id").execute();
    },
  },
  "0011_2_external_products": {
    async up(db: Kysely<any>) {
      // A partner store's product: sold there, shown here. Its stock is the partner's (kept at 0 here).
      await db.schema.alterTable("products").addColumn("kind", "text", (c) => c.notNull().defaultTo("own")).execute();
      await db.schema.alterTable("products").addColumn("external_url", "text").execute();
      await db.schema.alterTable("products").addColumn("store_name", "text").execute();
    },
  },
};
