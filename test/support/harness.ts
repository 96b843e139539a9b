import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import pg from "pg";
import { loadConfig, type AppConfig } from "../../src/server/config.ts";
import { buildApp, type App } from "../../src/server/app.ts";
import { ApiClient } from "./client.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface TestServer {
  app: App;
  baseUrl: string;
  rtmpUrl: string;
  config: AppConfig;
  client(): ApiClient;
  /** A signed-in client for one of the demo accounts. */
  as(who: "merchant" | "host" | "viewer" | "admin"): Promise<ApiClient>;
  close(): Promise<void>;
}

/**
 * Builds and starts a complete app in this process on free ports, with its own data directory.
 * SQLite in a temporary directory by default; with TEST_DATABASE_URL=postgres://… the same app runs on
 * PostgreSQL in a schema of its own, dropped at close.
 */
export async function startServer(env: Record<string, string> = {}, opts: { logger?: pino.Logger; clock?: () => number } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-test-"));
  const pgUrl = process.env.TEST_DATABASE_URL;
  const schema = pgUrl ? `t_${path.basename(dataDir).replace(/[^a-z0-9]/gi, "").toLowerCase()}` : undefined;
  if (pgUrl) await pgAdmin(pgUrl, `create schema ${schema}`);
  const [port, rtmpPort] = [await freePort(), await freePort()];
  const config = loadConfig({
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: String(port),
    RTMP_PORT: String(rtmpPort),
    DATA_DIR: dataDir,
    DEMO_DATA: "true",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    MEDIA_STALL_TIMEOUT_MS: "4000",
    HLS_SEGMENT_SECONDS: "1",
    ...(pgUrl ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema! } : {}),
    ...env,
  });
  const app = await buildApp(config, { logger: opts.logger ?? pino({ level: config.logLevel }), clock: opts.clock });
  const baseUrl = await app.listen();
  const server: TestServer = {
    app,
    baseUrl,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
    config,
    client: () => new ApiClient(baseUrl),
    async as(who) {
      const c = new ApiClient(baseUrl);
      await c.auth.signIn(`${who}@vetrina.test`, "vetrina-demo");
      return c;
    },
    async close() {
      await app.close();
      if (pgUrl) await pgAdmin(pgUrl, `drop schema ${schema} cascade`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
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
