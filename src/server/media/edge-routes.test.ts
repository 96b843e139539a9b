import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { ConfigError, loadConfig } from "../config.ts";
import { createHttp, type Http } from "../platform/http.ts";
import { until } from "../../../test/support/until.ts";
import { freePort } from "../../../test/support/harness.ts";
import { EDGE_CALLBACK_PREFIX, edgeIngestRoutes } from "./edge-routes.ts";
import { createIngest, type Ingest } from "./ingest.ts";

// INGEST=external without an edge: the callbacks as nginx-rtmp sends them, and what the ingest does
// when the stream it should pull is not there. The real edge is in test/e2e/edge-nginx.test.ts.
const keys: Record<string, string> = { "key-a": "shw_a", "key-b": "shw_b" };
const SECRET = "a-secret-of-some-length";

test("INGEST=external needs INGEST_PULL_URL, with {key}; a short secret is refused", () => {
  const err = (env: Record<string, string>) => {
    try {
      loadConfig({ NODE_ENV: "test", DEMO_DATA: "false", ...env });
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.message;
    }
    return "";
  };
  assert.match(err({ INGEST: "external" }), /INGEST_PULL_URL: required/);
  assert.match(err({ INGEST: "external", INGEST_PULL_URL: "rtmp://edge:1935/live" }), /INGEST_PULL_URL: an rtmp:\/\/ URL containing \{key\}/);
  assert.match(err({ INGEST: "external", INGEST_PULL_URL: "rtmp://edge:1935/live/{key}", INGEST_CALLBACK_SECRET: "short" }), /INGEST_CALLBACK_SECRET: at least 16/);
  assert.match(err({ INGEST: "sideways" }), /INGEST/);
  const ok = loadConfig({ NODE_ENV: "test", DEMO_DATA: "false", INGEST: "external", INGEST_PULL_URL: "rtmp://edge:1935/live/{key}" });
  assert.deepEqual(ok.ingest, { kind: "external", pullUrl: "rtmp://edge:1935/live/{key}", callbackSecret: null });
  assert.deepEqual(loadConfig({ NODE_ENV: "test", DEMO_DATA: "false" }).ingest, { kind: "embedded" });
});

describe("edge ingest callbacks (nginx-rtmp's on_publish, on_publish_done, on_update)", () => {
  let dataDir: string;
  let ingest: Ingest;
  let http: Http;
  let deadPort: number;
  const authorized: string[] = [];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-edge-"));
    deadPort = await freePort(); // nothing listens there: every pull fails
    const config = loadConfig({
      NODE_ENV: "test",
      DATA_DIR: dataDir,
      DEMO_DATA: "false",
      INGEST: "external",
      INGEST_PULL_URL: `rtmp://127.0.0.1:${deadPort}/live/{key}`,
      INGEST_CALLBACK_SECRET: SECRET,
      MEDIA_STALL_TIMEOUT_MS: "3000",
    });
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    ingest = createIngest(
      config,
      {
        authorizePublish: async (key) => {
          authorized.push(key);
          return keys[key] ? { showId: keys[key] } : null;
        },
        onLive: () => assert.fail("nothing can go live without a stream to pull"),
        onEnded: () => assert.fail("a session that never went live ends nothing"),
      },
      logger,
      { host: "127.0.0.1" },
    );
    await ingest.start();
    http = createHttp(logger);
    edgeIngestRoutes(http, { ingest, secret: SECRET, log: logger });
    await http.ready();
  });

  after(async () => {
    await ingest?.stop();
    await http?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** A callback as nginx-rtmp 1.2 sends it: its fields, then the publisher's own query arguments. */
  const call = (what: "on_publish" | "on_publish_done" | "on_update", body: string, secret: string | null = SECRET) =>
    http.inject({
      method: "POST",
      url: `${EDGE_CALLBACK_PREFIX}/${what}${secret === null ? "" : `?secret=${encodeURIComponent(secret)}`}`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: body,
    });
  const fields = (call: string, name: string, clientid: string, extra = "") =>
    `app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:1935/live&pageurl=&addr=127.0.0.1&clientid=${clientid}&call=${call}&name=${name}&type=live${extra}`;

  test("the secret is required, and the publisher's own arguments cannot replace the stream key", async () => {
    for (const secret of [null, "wrong-secret-wrong-secret"]) {
      const res = await call("on_publish", fields("publish", "key-a", "1"), secret);
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().code, "forbidden");
      assert.equal(res.headers["cache-control"], "no-store");
    }
    assert.deepEqual(authorized, [], "nothing was asked without the secret");
    // "rtmp://edge/live/nope?name=key-a": nginx sends name=nope first, then the publisher's name=key-a.
    const sneaky = await call("on_publish", fields("publish", "nope", "2", "&name=key-a"));
    assert.equal(sneaky.statusCode, 401);
    assert.equal(sneaky.json().code, "invalid_stream_key");
    assert.deepEqual(authorized, ["nope"]);
    const bad = await call("on_publish", "call=publish&app=live");
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, "validation_failed");
  });

  test("an accepted publish whose stream cannot be pulled is retried, then given up: the edge is told to drop it", async () => {
    const res = await call("on_publish", fields("publish", "key-a", "7"));
    assert.equal(res.statusCode, 204);
    // The same show cannot take a second publisher meanwhile, even between two pulls.
    const second = await call("on_publish", fields("publish", "key-a", "8"));
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().code, "show_already_live");
    assert.equal((await call("on_update", fields("update_publish", "key-a", "7"))).statusCode, 204, "wanted while pulls are retried");
    // Another connection's update or done is not about this publish.
    assert.equal((await call("on_update", fields("update_publish", "key-a", "8"))).statusCode, 401);
    await until("the pulls are given up", async () => (await call("on_update", fields("update_publish", "key-a", "7"))).statusCode === 401, 20_000, 250);
    assert.deepEqual(ingest.liveShowIds(), []);
    assert.equal(ingest.stream("shw_a"), null);
    assert.equal((await call("on_publish_done", fields("publish_done", "key-a", "7"))).statusCode, 204, "a done for a forgotten publish is harmless");
  });

  test("on_publish_done ends the publish; only the connection that published can end it", async () => {
    assert.equal((await call("on_publish", fields("publish", "key-b", "20"))).statusCode, 204);
    assert.equal((await call("on_publish_done", fields("publish_done", "key-b", "19"))).statusCode, 204);
    assert.equal((await call("on_update", fields("update_publish", "key-b", "20"))).statusCode, 204, "an earlier connection's done ended nothing");
    assert.equal((await call("on_publish_done", fields("publish_done", "key-b", "20"))).statusCode, 204);
    assert.equal((await call("on_update", fields("update_publish", "key-b", "20"))).statusCode, 401);
    assert.equal((await call("on_publish", fields("publish", "key-b", "21"))).statusCode, 204, "the show may be published again");
    await ingest.stopShow("shw_b");
    assert.equal((await call("on_update", fields("update_publish", "key-b", "21"))).statusCode, 401, "End show: the edge drops the encoder");
  });
});
