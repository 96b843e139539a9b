import { PostgresAdapter, sql, type Kysely, type Migration } from "kysely";

export const commissionsMigrations: Record<string, Migration> = {
  "0009_4_commissions": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("commission_entries")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("idempotency_key", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('accrual', 'reversal')`))
        .addColumn("beneficiary_type", "text", (c) => c.notNull())
        .addColumn("beneficiary_id", "text", (c) => c.notNull())
        .addColumn("creator_id", "text", (c) => c.notNull())
        .addColumn("campaign_id", "text", (c) => c.notNull())
        .addColumn("merchant_id", "text", (c) => c.notNull())
        .addColumn("show_id", "text", (c) => c.notNull())
        .addColumn("order_id", "text", (c) => c.notNull())
        .addColumn("order_number", "text", (c) => c.notNull())
        .addColumn("line_key", "text", (c) => c.notNull())
        .addColumn("product_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("line_total", "bigint", (c) => c.notNull())
        .addColumn("rate_bps", "integer", (c) => c.notNull())
        .addColumn("amount", "bigint", (c) => c.notNull())
        .addColumn("earned_at", "bigint", (c) => c.notNull())
        .addColumn("reverses_id", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addCheckConstraint("commission_entries_sign_ck", sql`(kind = 'accrual' and amount >= 0) or (kind = 'reversal' and amount <= 0)`)
        .execute();
      await db.schema.createIndex("commission_entries_beneficiary_idx").on("commission_entries").columns(["beneficiary_type", "beneficiary_id", "created_at"]).execute();
      await db.schema.createIndex("commission_entries_order_idx").on("commission_entries").columns(["order_id", "kind"]).execute();
      await db.schema.createIndex("commission_entries_campaign_idx").on("commission_entries").columns(["campaign_id", "created_at"]).execute();
      // Append-only, enforced by the database itself.
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        await sql`create function commission_entries_append_only() returns trigger language plpgsql as $$ begin raise exception 'commission_entries is append-only'; end $$`.execute(db);
        await sql`create trigger commission_entries_append_only before update or delete on commission_entries for each row execute function commission_entries_append_only()`.execute(db);
      } else {
        await sql`create trigger commission_entries_no_update before update on commission_entries begin select raise(abort, 'commission_entries is append-only'); end`.execute(db);
        await sql`create trigger commission_entries_no_delete before delete on commission_entries begin select raise(abort, 'commission_entries is append-only'); end`.execute(db);
      }
    },
  },
  "0011_0_commission_shares": {
    async up(db: Kysely<any>) {
      await db.schema.alterTable("commission_entries").addColumn("share_bps", "integer").execute();
    },
  },
  "0011_7_commission_payouts": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("commission_payouts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("idempotency_key", "text", (c) => c.notNull().unique())
        .addColumn("beneficiary_type", "text", (c) => c.notNull())
        .addColumn("beneficiary_id", "text", (c) => c.notNull())
        .addColumn("currency", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("amount", "bigint", (c) => c.notNull().check(sql`amount > 0`))
        .addColumn("reference", "text", (c) => c.notNull())
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        // The n-th payout of a beneficiary in a currency: two payouts decided on the same balance collide here.
        .addUniqueConstraint("commission_payouts_seq_uq", ["beneficiary_type", "beneficiary_id", "currency", "seq"])
        .execute();
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        await sql`create trigger commission_payouts_append_only before update or delete on commission_payouts for each row execute function commission_entries_append_only()`.execute(db);
      } else {
        await sql`create trigger commission_payouts_no_update before update on commission_payouts begin select raise(abort, 'commission_payouts is append-only'); end`.execute(db);
        await sql`create trigger commission_payouts_no_delete before delete on commission_payouts begin select raise(abort, 'commission_payouts is append-only'); end`.execute(db);
      }
    },
  },
};
