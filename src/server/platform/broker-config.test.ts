import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";

test("BROKER_URL and BROKER_PREFIX: unset is one process; a broker URL with a prefix; a wrong scheme names the setting", () => {
  assert.equal(loadConfig({ NODE_ENV: "test" }).broker, null, "no broker unless asked for");
  assert.deepEqual(loadConfig({ NODE_ENV: "test", BROKER_URL: "redis://127.0.0.1:6379" }).broker, { url: "redis://127.0.0.1:6379", prefix: "vetrina" });
  assert.deepEqual(loadConfig({ NODE_ENV: "test", BROKER_URL: "nats://127.0.0.1:4222", DATABASE_SCHEMA: "shop_eu" }).broker, { url: "nats://127.0.0.1:4222", prefix: "shop_eu" });
  assert.equal(loadConfig({ NODE_ENV: "test", BROKER_URL: "rediss://h:6380", BROKER_PREFIX: "prod-1" }).broker?.prefix, "prod-1");
  assert.throws(() => loadConfig({ NODE_ENV: "test", BROKER_URL: "amqp://127.0.0.1" }), (e: unknown) => e instanceof ConfigError && /BROKER_URL/.test(e.message));
  assert.throws(() => loadConfig({ NODE_ENV: "test", BROKER_URL: "redis://h", BROKER_PREFIX: "a:b" }), (e: unknown) => e instanceof ConfigError && /BROKER_PREFIX/.test(e.message));
});
