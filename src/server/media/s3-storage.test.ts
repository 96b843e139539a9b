import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startS3, TEST_S3_CREDENTIALS, type TestS3 } from "../../../test/support/s3.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { normalizeS3Prefix, s3Storage, StorageError, type S3MediaStorage } from "./s3-storage.ts";
import { storageContract } from "./storage-contract.ts";
import { InvalidStorageKeyError } from "./storage.ts";

describe("S3 media storage (s3rver)", () => {
  let s3: TestS3;
  const opened: S3MediaStorage[] = [];
  const open = (bucket: string, prefix = "", extra: { maxAttempts?: number; connectionTimeoutMs?: number; operationTimeoutMs?: number } = {}) => {
    const st = s3Storage({ endpoint: s3.endpoint, region: "us-east-1", bucket, prefix, ...TEST_S3_CREDENTIALS, forcePathStyle: true }, extra);
    opened.push(st);
    return st;
  };
  let storage: S3MediaStorage;
  before(async () => {
    s3 = await startS3(["media-contract", "media-shared"]);
    storage = open("media-contract", "node-a");
  });
  after(async () => {
    for (const st of opened) st.close();
    await s3.close();
  });

  describe("the MediaStorage contract", () => {
    storageContract(() => ({ storage, requests: () => s3.requests() }));
  });

  test("instances with different prefixes share a bucket without seeing each other's objects", async () => {
    const a = open("media-shared", "site/a");
    const b = open("media-shared", "/site/b/");
    const root = open("media-shared");
    await a.write("replays/s1/index.m3u8", "a");
    await b.write("replays/s1/index.m3u8", "b");
    assert.equal((await a.read("replays/s1/index.m3u8"))?.toString(), "a");
    assert.equal((await b.read("replays/s1/index.m3u8"))?.toString(), "b");
    assert.deepEqual(await a.list("replays/s1/"), ["replays/s1/index.m3u8"]);
    assert.equal((await root.read("site/a/replays/s1/index.m3u8"))?.toString(), "a", "stored under <prefix>/<key>");
    await a.delete("replays/s1/index.m3u8");
    assert.equal((await b.read("replays/s1/index.m3u8"))?.toString(), "b");
  });

  test("objects carry a Content-Type and Cache-Control for whatever serves the bucket directly", async () => {
    await storage.write("replays/s2/index.m3u8", "#EXTM3U\n");
    await storage.write("replays/s2/a.mp4", "mp4");
    await storage.write("uploads/x.png", "png");
    const head = async (key: string) => {
      const res = await fetch(`${s3.endpoint}/media-contract/node-a/${key}`, { method: "HEAD" });
      return { type: res.headers.get("content-type"), cache: res.headers.get("cache-control") };
    };
    assert.deepEqual(await head("replays/s2/index.m3u8"), { type: "application/vnd.apple.mpegurl", cache: "no-cache" });
    assert.deepEqual(await head("replays/s2/a.mp4"), { type: "video/mp4", cache: "public, max-age=31536000, immutable" });
    assert.equal((await head("uploads/x.png")).type, "image/png");
  });

  test("verify() accepts a reachable bucket and explains the others", async () => {
    await storage.verify();
    await assert.rejects(open("no-such-bucket").verify(), (err: unknown) => err instanceof StorageError && /does not exist/.test(err.message) && /S3_BUCKET/.test(err.message));
    const wrongKey = s3Storage({ endpoint: s3.endpoint, region: "us-east-1", bucket: "media-contract", prefix: "", accessKeyId: "NOT-A-KEY", secretAccessKey: "not-the-secret", forcePathStyle: true });
    opened.push(wrongKey);
    await assert.rejects(wrongKey.verify(), (err: unknown) => err instanceof StorageError && /access denied|S3_SECRET_ACCESS_KEY/.test(err.message) && !err.message.includes("not-the-secret"));
    // nothing listening: a port that was free a moment ago
    const closed = await new Promise<number>((resolve) => {
      const srv = http.createServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const nowhere = s3Storage({ endpoint: `http://127.0.0.1:${closed}`, region: "us-east-1", bucket: "media-contract", prefix: "", ...TEST_S3_CREDENTIALS, forcePathStyle: true }, { maxAttempts: 1 });
    opened.push(nowhere);
    await assert.rejects(nowhere.verify(), (err: unknown) => err instanceof StorageError && /object storage unreachable.*cannot connect/.test(err.message));
  });

  test("a failing service is a StorageError naming the operation and key, with no secret in it", async () => {
    // A server that answers every request with a 503, as an overloaded service would.
    let seen = 0;
    const failing = http.createServer((_req, res) => {
      seen++;
      res.writeHead(503, { "content-type": "application/xml" }).end("<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>");
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    try {
      const st = s3Storage(
        { endpoint: `http://127.0.0.1:${(failing.address() as AddressInfo).port}`, region: "us-east-1", bucket: "media-contract", prefix: "", accessKeyId: "AKIDSECRETLOOKING", secretAccessKey: "very-secret-value", forcePathStyle: true },
        { maxAttempts: 2 },
      );
      opened.push(st);
      await assert.rejects(st.write("replays/s3/a.mp4", "x"), (err: unknown) => {
        assert.ok(err instanceof StorageError);
        assert.equal(err.op, "write");
        assert.equal(err.status, 503);
        assert.match(err.message, /replays\/s3\/a\.mp4/);
        assert.ok(!err.message.includes("very-secret-value") && !JSON.stringify(err).includes("very-secret-value"));
        return true;
      });
      assert.equal(seen, 2, "retried as configured (maxAttempts 2)");
      // reads fail too, but absent objects are still told apart from failures
      await assert.rejects(st.stat("replays/s3/a.mp4"), StorageError);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
    }
  });

  test("prefixes are validated like keys", () => {
    assert.equal(normalizeS3Prefix(""), "");
    assert.equal(normalizeS3Prefix("/a/b/"), "a/b/");
    assert.throws(() => normalizeS3Prefix("a/../b"), InvalidStorageKeyError);
  });
});

describe("STORAGE configuration", () => {
  test("local by default: nothing about S3 is needed", () => {
    assert.deepEqual(loadConfig({ NODE_ENV: "test" }).storage, { kind: "local" });
  });

  test("STORAGE=s3 names what is missing or inconsistent", () => {
    const err = (env: Record<string, string>) => {
      try {
        loadConfig({ NODE_ENV: "test", STORAGE: "s3", ...env });
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.message;
      }
      assert.fail("no ConfigError");
    };
    assert.match(err({}), /S3_BUCKET: required with STORAGE=s3/);
    assert.match(err({ S3_BUCKET: "media", S3_ACCESS_KEY_ID: "k" }), /S3_SECRET_ACCESS_KEY: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together/);
    assert.match(err({ S3_BUCKET: "media", S3_ENDPOINT: "http://minio:9000" }), /S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: required with S3_ENDPOINT/);
    assert.match(err({ S3_BUCKET: "Bad_Bucket" }), /S3_BUCKET: a bucket name/);
    assert.match(err({ S3_BUCKET: "media", S3_ENDPOINT: "not a url" }), /S3_ENDPOINT/);
    assert.match(err({ S3_BUCKET: "media", S3_PREFIX: "a/../b" }), /S3_PREFIX/);
  });

  test("STORAGE=s3 with what it needs: path-style by default with an endpoint, virtual-hosted on AWS", () => {
    const minio = loadConfig({ NODE_ENV: "test", STORAGE: "s3", S3_ENDPOINT: "http://minio:9000", S3_BUCKET: "media", S3_PREFIX: "/prod/", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" }).storage;
    assert.deepEqual(minio, { kind: "s3", endpoint: "http://minio:9000", region: "us-east-1", bucket: "media", prefix: "prod", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true });
    const aws = loadConfig({ NODE_ENV: "test", STORAGE: "s3", S3_BUCKET: "media", S3_REGION: "eu-south-1" }).storage;
    assert.equal(aws.kind === "s3" && aws.forcePathStyle, false);
    assert.equal(aws.kind === "s3" && aws.region, "eu-south-1");
    const r2 = loadConfig({ NODE_ENV: "test", STORAGE: "s3", S3_ENDPOINT: "https://acc.r2.cloudflarestorage.com", S3_REGION: "auto", S3_BUCKET: "media", S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s", S3_FORCE_PATH_STYLE: "false" }).storage;
    assert.equal(r2.kind === "s3" && r2.forcePathStyle, false);
  });
});
