import { sql, type Kysely, type Migration } from "kysely";

export const notificationsMigrations: Record<string, Migration> = {
  "0012_3_notifications": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("merchant_follows")
        .addColumn("merchant_id", "text", (c) => c.notNull().references("merchants.id").onDelete("cascade"))
        .addColumn("follower_user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("merchant_follows_pk", ["merchant_id", "follower_user_id"])
        .execute();
      await db.schema.createIndex("merchant_follows_follower_idx").on("merchant_follows").column("follower_user_id").execute();
      await db.schema
        .createTable("show_reminders")
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("show_reminders_pk", ["show_id", "user_id"])
        .execute();
      await db.schema.createIndex("show_reminders_user_idx").on("show_reminders").column("user_id").execute();
      await db.schema
        .createTable("notifications")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('show_scheduled', 'show_starting_soon', 'show_live')`))
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("read_at", "bigint")
        .execute();
      // Once per user, show and kind: the fan-out inserts with "on conflict do nothing".
      await db.schema.createIndex("notifications_once_idx").on("notifications").columns(["user_id", "show_id", "kind"]).unique().execute();
      // The list (newest first, keyset on created_at, id) and the unread count.
      await db.schema.createIndex("notifications_user_idx").on("notifications").columns(["user_id", "created_at", "id"]).execute();
      await db.schema.createIndex("notifications_unread_idx").on("notifications").columns(["user_id", "read_at"]).execute();
      await db.schema
        .createTable("notification_settings")
        .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
        .addColumn("email", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("locale", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("notification_dispatches")
        .addColumn("show_id", "text", (c) => c.notNull().references("shows.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("claimed_at", "bigint", (c) => c.notNull())
        .addColumn("done_at", "bigint")
        .addPrimaryKeyConstraint("notification_dispatches_pk", ["show_id", "kind"])
        .execute();
      await db.schema
        .createTable("email_outbox")
        .addColumn("id", "text", (c) => c.primaryKey())
        // One e-mail per notification, however often a fan-out is retried.
        .addColumn("notification_id", "text", (c) => c.notNull().unique().references("notifications.id").onDelete("cascade"))
        .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('pending', 'sent', 'failed', 'skipped')`))
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
        .addColumn("claimed_until", "bigint")
        .addColumn("last_error", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("sent_at", "bigint")
        .execute();
      await db.schema.createIndex("email_outbox_due_idx").on("email_outbox").columns(["status", "next_attempt_at"]).execute();
      await db.schema
        .createTable("notification_keys")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};
