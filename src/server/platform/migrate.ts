import { Migrator, type Migration, type MigrationProvider } from "kysely";
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
import { analyticsMigrations } from "../analytics/migrations.ts";

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
  ...analyticsMigrations,
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return all;
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
