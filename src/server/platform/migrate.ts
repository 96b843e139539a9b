import { Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from "kysely";
import type { Db } from "./db.ts";
import { accountsMigrations } from "../accounts/migrations.ts";
import { catalogMigrations } from "../catalog/migrations.ts";
import { showsMigrations } from "../shows/migrations.ts";
import { roomMigrations } from "../room/migrations.ts";
import { checkoutMigrations } from "../checkout/migrations.ts";
import { flashSalesMigrations } from "../flash-sales/migrations.ts";
import { moderationMigrations } from "../moderation/migrations.ts";
import { creatorsMigrations } from "../creators/migrations.ts";
import { campaignsMigrations } from "../campaigns/migrations.ts";
import { commissionsMigrations } from "../commissions/migrations.ts";
import { agenciesMigrations } from "../agencies/migrations.ts";
import { analyticsMigrations } from "../analytics/migrations.ts";
import { partnersMigrations } from "../partners/migrations.ts";
import { searchMigrations } from "../search/migrations.ts";
import { notificationsMigrations } from "../notifications/migrations.ts";
import { sharingMigrations } from "../sharing/migrations.ts";
import { feedMigrations } from "../feed/migrations.ts";
import { reviewsMigrations } from "../reviews/migrations.ts";
import { jobsMigrations } from "../jobs/migrations.ts";
import { videosMigrations } from "../videos/migrations.ts";
import { channelsMigrations } from "../channels/migrations.ts";

/**
 * Ordered migrations of every domain. Names carry a global sequence number so the order is
 * fixed across domains; never edit a released migration, add a new one.
 */
const all: Record<string, Migration> = {
  ...accountsMigrations,
  ...catalogMigrations,
  ...showsMigrations,
  ...roomMigrations,
  ...checkoutMigrations,
  ...flashSalesMigrations,
  ...moderationMigrations,
  ...creatorsMigrations,
  ...campaignsMigrations,
  ...commissionsMigrations,
  ...agenciesMigrations,
  ...analyticsMigrations,
  ...partnersMigrations,
  ...searchMigrations,
  ...jobsMigrations,
  ...videosMigrations,
  ...notificationsMigrations,
  ...sharingMigrations,
  ...feedMigrations,
  ...channelsMigrations,
  ...reviewsMigrations,
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return all;
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  // On PostgreSQL, Kysely looks for its own tables in every schema unless told which one: with several
  // instances in one database (a schema each), it would find another's and never create its own.
  const schema = db.getExecutor().adapter instanceof PostgresAdapter ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db, provider: new StaticProvider(), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
