import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { startServer } from "../../../test/support/harness.ts";
import { until } from "../../../test/support/until.ts";

/**
 * A TCP relay between the app and PostgreSQL that can be cut and restored: the database "goes away"
 * for a running app (every connection dropped, new ones refused) and comes back on the same address.
 */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target.port, target.host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = null;
      // close() waits for the open connections: drop them, as a database that went away would.
      for (const s of sockets) s.destroy();
      await closing;
    },
    async restore() {
      if (!server) await open();
    },
  };
}

test("PostgreSQL going away under a running app is reported by /healthz and the log, and the app recovers when it returns", { skip: !process.env.TEST_DATABASE_URL && "PostgreSQL only (TEST_DATABASE_URL)" }, async () => {
  const pgUrl = new URL(process.env.TEST_DATABASE_URL!);
  const link = await relay({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const viaRelay = new URL(pgUrl);
  viaRelay.hostname = "127.0.0.1";
  viaRelay.port = String(link.port);
  const logged: string[] = [];
  const pino = (await import("pino")).default;
  const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(line) });
  const server = await startServer({ DATABASE_URL: viaRelay.toString() }, { logger });
  try {
    const client = server.client();
    const health = async () => {
      const r = await fetch(`${server.baseUrl}/healthz`);
      return { status: r.status, body: (await r.json()) as { status: string; database: string } };
    };
    assert.deepEqual((await health()).status, 200);
    assert.equal((await client.request("GET", "/api/v1/feed?limit=5")).status, 200);

    await link.cut();
    await until("healthz reports the database unreachable", async () => {
      const h = await health();
      return h.status === 503 && h.body.status === "unavailable" && h.body.database === "unreachable";
    });
    assert.ok(logged.some((l) => l.includes("database unreachable")), "the outage is logged");
    // Other page sizes than before: the feed keeps a signed-out visitor's page for two seconds.
    const during = await client.request<{ code: string }>("GET", "/api/v1/feed?limit=6");
    assert.equal(during.status, 500, "a request that needs the database fails clearly meanwhile");
    assert.equal(during.body.code, "internal_error");

    await link.restore();
    await until("healthz is ok again", async () => (await health()).status === 200);
    assert.equal((await client.request("GET", "/api/v1/feed?limit=7")).status, 200, "requests work again without a restart");
  } finally {
    await link.restore();
    await server.close();
    await link.cut();
  }
});
