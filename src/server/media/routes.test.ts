import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { createHttp, type Http } from "../platform/http.ts";
import { mediaRoutes } from "./routes.ts";

describe("GET /hls/:showId/:file", () => {
  let root: string;
  let http: Http;
  const playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nmx1abc-7.ts\n";
  const segment = Buffer.alloc(188 * 10, 0x47);

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-hls-route-"));
    const hlsDir = path.join(root, "hls");
    fs.mkdirSync(path.join(hlsDir, "shw_x"), { recursive: true });
    fs.writeFileSync(path.join(hlsDir, "shw_x", "index.m3u8"), playlist);
    fs.writeFileSync(path.join(hlsDir, "shw_x", "mx1abc-7.ts"), segment);
    // files the packager is still writing, and a file outside the HLS tree
    fs.writeFileSync(path.join(hlsDir, "shw_x", "index.m3u8.tmp"), "partial");
    fs.writeFileSync(path.join(hlsDir, "shw_x", "mx1abc-8.ts.tmp"), "partial");
    fs.writeFileSync(path.join(root, "secret.txt"), "secret");
    http = createHttp(pino({ level: "silent" }));
    mediaRoutes(http, { media: { hlsDir, stallTimeoutMs: 3000, segmentSeconds: 2 } });
    await http.ready();
  });

  after(async () => {
    await http?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("serves the playlist uncached, with CORS", async () => {
    const res = await http.inject({ method: "GET", url: "/hls/shw_x/index.m3u8" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^application\/vnd\.apple\.mpegurl/);
    assert.equal(res.headers["cache-control"], "no-cache");
    assert.equal(res.headers["access-control-allow-origin"], "*");
    assert.equal(res.body, playlist);
  });

  test("serves segments as immutable MPEG-TS", async () => {
    const res = await http.inject({ method: "GET", url: "/hls/shw_x/mx1abc-7.ts" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^video\/mp2t/);
    assert.equal(res.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(Number(res.headers["content-length"]), segment.length);
    assert.deepEqual(res.rawPayload, segment);
  });

  test("a show that is not live is a problem+json 404", async () => {
    const res = await http.inject({ method: "GET", url: "/hls/shw_nope/index.m3u8" });
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers["content-type"]), /^application\/problem\+json/);
    assert.equal(res.json().code, "not_found");
    assert.equal(res.headers["access-control-allow-origin"], "*");
  });

  test("only names the packager produces are served: no half-written files, no traversal", async () => {
    for (const url of [
      "/hls/shw_x/index.m3u8.tmp",
      "/hls/shw_x/mx1abc-8.ts.tmp",
      "/hls/shw_x/MX1ABC-7.ts",
      "/hls/shw_x/..%2F..%2Fsecret.txt",
      "/hls/..%2F..%2Fsecret.txt/index.m3u8",
      "/hls/shw_x/%2e%2e",
      "/hls/shw_x/index.m3u8%00.ts",
    ]) {
      const res = await http.inject({ method: "GET", url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers["content-type"]), /^application\/problem\+json/, url);
    }
  });
});
