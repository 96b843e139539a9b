import { sql, type Kysely, type Migration } from "kysely";

export const agenciesMigrations: Record<string, Migration> = {
  "0011_1_agencies": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("agencies")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("handle", "text", (c) => c.notNull())
        .addColumn("handle_key", "text", (c) => c.notNull().unique())
        .addColumn("created_by", "text", (c) => c.notNull().references("users.id"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("agency_staff")
        .addColumn("agency_id", "text", (c) => c.notNull().references("agencies.id").onDelete("cascade"))
        // One agency per user: what `/me/agency` answers is never ambiguous.
        .addColumn("user_id", "text", (c) => c.notNull().unique().references("users.id"))
        .addColumn("role", "text", (c) => c.notNull().check(sql`role in ('owner', 'staff')`))
        .addColumn("added_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("agency_staff_pk", ["agency_id", "user_id"])
        .execute();
      await db.schema
        .createTable("agency_invitations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("agency_id", "text", (c) => c.notNull().references("agencies.id").onDelete("cascade"))
        .addColumn("creator_id", "text", (c) => c.notNull().references("creators.id"))
        .addColumn("share_bps", "integer", (c) => c.notNull().check(sql`share_bps between 0 and 5000`))
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'accepted', 'declined', 'revoked')`))
        .addColumn("invited_by", "text", (c) => c.notNull())
        .addColumn("invited_at", "bigint", (c) => c.notNull())
        .addColumn("responded_at", "bigint")
        .execute();
      await db.schema.createIndex("agency_invitations_creator_idx").on("agency_invitations").columns(["creator_id", "status"]).execute();
      // One pending invitation per agency and creator: inviting again updates it.
      await db.schema
        .createIndex("agency_invitations_pending_uq")
        .on("agency_invitations")
        .columns(["agency_id", "creator_id"])
        .unique()
        .where(sql.ref("status"), "=", "pending")
        .execute();
      await db.schema
        .createTable("agency_memberships")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("agency_id", "text", (c) => c.notNull().references("agencies.id"))
        .addColumn("creator_id", "text", (c) => c.notNull().references("creators.id"))
        .addColumn("invitation_id", "text")
        .addColumn("joined_at", "bigint", (c) => c.notNull())
        .addColumn("left_at", "bigint")
        .addColumn("left_reason", "text")
        .addCheckConstraint("agency_memberships_period_ck", sql`left_at is null or left_at >= joined_at`)
        .execute();
      await db.schema.createIndex("agency_memberships_agency_idx").on("agency_memberships").columns(["agency_id", "joined_at"]).execute();
      // A creator belongs to at most one agency at a time: one open stint per creator, enforced by the database.
      await db.schema.createIndex("agency_memberships_open_uq").on("agency_memberships").column("creator_id").unique().where(sql.ref("left_at"), "is", null).execute();
      await db.schema
        .createTable("agency_shares")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("membership_id", "text", (c) => c.notNull().references("agency_memberships.id"))
        .addColumn("share_bps", "integer", (c) => c.notNull().check(sql`share_bps between 0 and 5000`))
        .addColumn("valid_from", "bigint", (c) => c.notNull())
        .addColumn("valid_to", "bigint")
        .addColumn("set_by", "text", (c) => c.notNull())
        .addCheckConstraint("agency_shares_period_ck", sql`valid_to is null or valid_to >= valid_from`)
        .execute();
      await db.schema.createIndex("agency_shares_membership_idx").on("agency_shares").columns(["membership_id", "valid_from"]).execute();
      await db.schema.createIndex("agency_shares_open_uq").on("agency_shares").column("membership_id").unique().where(sql.ref("valid_to"), "is", null).execute();
    },
  },
};
