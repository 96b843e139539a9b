import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { AppConfig } from "../../src/server/config.ts";
import { openDatabase, type DbHandle } from "../../src/server/platform/db.ts";
import { migrateToLatest } from "../../src/server/platform/migrate.ts";
import { sampleCpu, cpuBetween, type CpuSample } from "../fanout/proc.ts";

export type Dialect = "sqlite" | "postgres";

/** A fresh, migrated database of the dialect asked for: a SQLite file, or a PostgreSQL schema of its own. */
export async function freshDatabase(dialect: Dialect, pgUrl: string, label: string): Promise<{ handle: DbHandle; config: AppConfig["database"]; drop(): Promise<void> }> {
  if (dialect === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vetrina-${label}-`));
    const config = { kind: "sqlite" as const, file: path.join(dir, "vetrina.db") };
    const handle = openDatabase(config);
    await migrateToLatest(handle.db);
    return { handle, config, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const schema = `bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  await pgAdmin(pgUrl, `create schema ${schema}`);
  const config = { kind: "postgres" as const, url: pgUrl, schema };
  const handle = openDatabase(config);
  await migrateToLatest(handle.db);
  return { handle, config, drop: () => pgAdmin(pgUrl, `drop schema ${schema} cascade`) };
}

export async function pgAdmin(url: string, statement: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function pgReachable(url: string): Promise<boolean> {
  try {
    await pgAdmin(url, "select 1");
    return true;
  } catch {
    return false;
  }
}

/** The PostgreSQL server's process tree (postmaster and backends), when it runs on this machine. */
function postmasterPid(): number | null {
  try {
    return Number(execFileSync("pgrep", ["-o", "-x", "postgres"], { encoding: "utf8" }).trim()) || null;
  } catch {
    return null;
  }
}

/**
 * CPU seconds used by this process and, on PostgreSQL, by the database server too: a database that
 * does the work in another process must not look free.
 */
export function cpuMeter(dialect: Dialect) {
  const pgPid = dialect === "postgres" ? postmasterPid() : null;
  const self0 = process.cpuUsage();
  const pg0: CpuSample | null = pgPid ? sampleCpu(pgPid) : null;
  return () => {
    const d = process.cpuUsage(self0);
    const own = (d.user + d.system) / 1e6;
    const database = pgPid && pg0 ? cpuBetween(pg0, sampleCpu(pgPid)).total : 0;
    return { own, database, total: own + database };
  };
}
