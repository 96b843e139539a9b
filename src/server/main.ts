import pino from "pino";
import { ConfigError, loadConfig } from "./config.ts";
import { buildApp } from "./app.ts";
import { StorageError } from "./media/storage.ts";
import { BrokerUnavailableError } from "./platform/broker.ts";
import { DatabaseUnavailableError } from "./platform/db-check.ts";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const log = pino({ level: config.logLevel });
  let app;
  try {
    app = await buildApp(config, { logger: log });
  } catch (err) {
    // STORAGE=s3 and the bucket cannot be used: say what to check, as for a bad setting.
    // Likewise a database or broker that cannot be reached (the message names DATABASE_URL or BROKER_URL).
    if ((err instanceof StorageError && err.op === "verify") || err instanceof DatabaseUnavailableError || err instanceof BrokerUnavailableError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  await app.listen();

  const lines = [
    "",
    `  Vetrina is running: ${config.publicUrl}`,
    `  RTMP ingest (OBS server): ${config.rtmp.publicUrl}`,
    `  API docs (OpenAPI): ${config.publicUrl}/api/v1/openapi.json`,
  ];
  if (app.demoAccounts.length) {
    lines.push("", "  Demo accounts:");
    for (const a of app.demoAccounts) lines.push(`    ${a.email.padEnd(24)} ${a.password}   ${a.role} (${a.note})`);
    lines.push("", "  Go live without OBS: npm run demo:push", "");
  }
  console.log(lines.join("\n"));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
