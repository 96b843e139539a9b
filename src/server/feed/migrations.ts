import type { Kysely, Migration } from "kysely";

export const feedMigrations: Record<string, Migration> = {
  "0013_2_feed_indexes": {
    async up(db: Kysely<any>) {
      // Upcoming shows, soonest first, keyset on (scheduled_at, id).
      await db.schema.createIndex("shows_feed_upcoming_idx").on("shows").columns(["status", "scheduled_at", "id"]).execute();
      // Replays, newest first, keyset on (ended_at, id).
      await db.schema.createIndex("shows_feed_replay_idx").on("shows").columns(["status", "recording", "ended_at", "id"]).execute();
    },
  },
};
