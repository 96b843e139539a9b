import { sql } from "kysely";
import type { AppConfig } from "../config.ts";
import type { DbHandle } from "./db.ts";
import { redactUrl } from "./broker.ts";

/** The database could not be reached at start-up: the message names DATABASE_URL. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatabaseUnavailableError";
  }
}

/**
 * Start-up: one round trip before anything else touches the database, so a wrong or unreachable
 * DATABASE_URL stops the start within seconds (the pool's connect timeout) with a message naming the
 * setting, instead of a stack trace from the first migration.
 */
export async function checkDatabase(handle: DbHandle, config: AppConfig["database"]): Promise<void> {
  if (config.kind !== "postgres") return;
  try {
    await sql`select 1`.execute(handle.db);
  } catch (err) {
    await handle.close().catch(() => {});
    const why = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
    throw new DatabaseUnavailableError(`DATABASE_URL: cannot use PostgreSQL at ${redactUrl(config.url)}${config.schema ? ` (schema ${config.schema})` : ""}: ${why}`);
  }
}

