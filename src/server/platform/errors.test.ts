import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import pino from "pino";
import { loadConfig, ConfigError } from "../config.ts";
import { startServer } from "../../../test/support/harness.ts";

test("an unexpected failure answers a generic 500 problem that leaks nothing, and is logged with the request id", async () => {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(chunk.toString()), cb()) });
  const server = await startServer({}, { logger: pino({ level: "error" }, sink) });
  await server.app.db.close(); // the database goes away under a running app
  const res = await server.client().request("GET", "/api/v1/shows");
  assert.equal(res.status, 500);
  assert.equal(res.problem?.code, "internal_error");
  assert.ok(res.problem?.requestId);
  assert.doesNotMatch(JSON.stringify(res.body), /sqlite|database|stack|Error:/i);
  const logged = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "unhandled error");
  assert.equal(logged?.reqId, res.problem?.requestId);
  assert.ok(logged?.err?.stack, "the log has what the response hides");
  const health = await server.client().request<{ status: string }>("GET", "/healthz");
  assert.equal(health.status, 503);
  await server.close().catch(() => {});
});

test("configuration is validated at start-up and names the bad setting", () => {
  assert.throws(() => loadConfig({ PORT: "eighty" }), (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message));
  assert.throws(() => loadConfig({ DATABASE_URL: "mysql://x" }), (e: unknown) => e instanceof ConfigError && /DATABASE_URL/.test(e.message));
  assert.throws(() => loadConfig({ NODE_ENV: "production", DEMO_DATA: "true" }), (e: unknown) => e instanceof ConfigError && /DEMO_DATA/.test(e.message));
  assert.throws(() => loadConfig({ WHIP_ICE_PORTS: "50000-40000" }), (e: unknown) => e instanceof ConfigError && /WHIP_ICE_PORTS/.test(e.message));
  assert.throws(() => loadConfig({ WHIP_ICE_ADDRESSES: "localhost" }), (e: unknown) => e instanceof ConfigError && /WHIP_ICE_ADDRESSES/.test(e.message));
  const w = loadConfig({ WHIP_ICE_ADDRESSES: "10.0.0.5, 127.0.0.1", WHIP_ICE_PORTS: "40000-40999", WHIP_ICE_SERVERS: "stun:stun.example.org:3478" }).whip;
  assert.deepEqual(w, { interfaceAddresses: ["10.0.0.5", "127.0.0.1"], announcedAddresses: undefined, portRange: [40000, 40999], iceServers: ["stun:stun.example.org:3478"] });
  const c = loadConfig({ PORT: "9000" });
  assert.equal(c.publicUrl, "http://localhost:9000");
  assert.equal(c.database.kind, "sqlite");
});
