import { sql, type Kysely, type Migration } from "kysely";

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
  "0011_5_analytics_campaigns": {
    async up(db: Kysely<any>) {
      // Reports by campaign: which campaign a show sells for, kept with the show's other scoping facts.
      await db.schema.alterTable("analytics_shows").addColumn("campaign_id", "text").execute();
      await db.schema.createIndex("analytics_shows_campaign_idx").on("analytics_shows").column("campaign_id").execute();
      // Shows counted before this migration: a one-off backfill from the shows table (from then on,
      // each flush writes the campaign with the show's other facts).
      await sql`update analytics_shows set campaign_id = (select s.campaign_id from shows s where s.id = analytics_shows.show_id)`.execute(db);
    },
  },
  "0011_6_analytics_days": {
    async up(db: Kysely<any>) {
      const day = (col: string) => sql`(${sql.ref(col)} / 86400000) * 86400000`;
      await db.schema
        .createTable("analytics_show_days")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("day", "bigint", (c) => c.notNull())
        .addColumn("viewers_max", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("joins", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("likes", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("chat_messages", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_show_days_pk", ["show_id", "day"])
        .execute();
      await db.schema.createIndex("analytics_show_days_day_idx").on("analytics_show_days").column("day").execute();
      await db.schema
        .createTable("analytics_product_days")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("day", "bigint", (c) => c.notNull())
        .addColumn("cards_shown", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("cards_tapped", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("checkouts_started", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_product_days_pk", ["show_id", "product_id", "day"])
        .execute();
      await db.schema.createIndex("analytics_product_days_day_idx").on("analytics_product_days").column("day").execute();
      await db.schema.createIndex("analytics_product_days_product_idx").on("analytics_product_days").columns(["product_id", "day"]).execute();
      await db.schema
        .createTable("analytics_sales_days")
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("day", "bigint", (c) => c.notNull())
        .addColumn("orders_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("units_paid", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("gmv", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("orders_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("units_refunded", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("refunded", "bigint", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("analytics_sales_days_pk", ["show_id", "product_id", "currency", "day"])
        .execute();
      await db.schema.createIndex("analytics_sales_days_day_idx").on("analytics_sales_days").column("day").execute();
      await db.schema.createIndex("analytics_sales_days_product_idx").on("analytics_sales_days").columns(["product_id", "day"]).execute();
      // Days of what was counted before this migration, summed once from the minutes.
      await sql`insert into analytics_show_days (show_id, day, viewers_max, joins, likes, chat_messages, orders_paid, orders_refunded)
        select show_id, ${day("minute")}, max(viewers_max), sum(joins), sum(likes), sum(chat_messages), sum(orders_paid), sum(orders_refunded)
        from analytics_show_minutes group by show_id, ${day("minute")}`.execute(db);
      await sql`insert into analytics_product_days (show_id, product_id, day, cards_shown, cards_tapped, checkouts_started)
        select show_id, product_id, ${day("minute")}, sum(cards_shown), sum(cards_tapped), sum(checkouts_started)
        from analytics_product_minutes group by show_id, product_id, ${day("minute")}`.execute(db);
      await sql`insert into analytics_sales_days (show_id, product_id, currency, day, orders_paid, units_paid, gmv, orders_refunded, units_refunded, refunded)
        select show_id, product_id, currency, ${day("minute")}, sum(orders_paid), sum(units_paid), sum(gmv), sum(orders_refunded), sum(units_refunded), sum(refunded)
        from analytics_sales_minutes group by show_id, product_id, currency, ${day("minute")}`.execute(db);
    },
  },
};
