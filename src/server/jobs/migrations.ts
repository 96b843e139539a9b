import { sql, type Kysely, type Migration } from "kysely";

export const jobsMigrations: Record<string, Migration> = {
  "0012_5_media_jobs": {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable("media_jobs")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("key", "text", (c) => c.notNull().unique())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull().check(sql`status in ('queued', 'running', 'done', 'failed')`))
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("max_attempts", "integer", (c) => c.notNull())
        .addColumn("progress", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("run_after", "bigint", (c) => c.notNull())
        .addColumn("lease_until", "bigint")
        .addColumn("worker", "text")
        .addColumn("error", "text")
        .addColumn("result", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // What a worker looks for: queued and due, or running with a lapsed lease.
      await db.schema.createIndex("media_jobs_claim_idx").on("media_jobs").columns(["status", "run_after"]).execute();
      await db.schema.createIndex("media_jobs_kind_idx").on("media_jobs").columns(["kind", "created_at"]).execute();
    },
  },
};
