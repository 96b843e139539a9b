import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { createHttp, type Http } from "../platform/http.ts";
import { LlHlsStream } from "./llhls/playlist.ts";
import { createRecorder } from "./recorder.ts";
import { parseRange, replayUrl } from "./replay.ts";
import { mediaRoutes } from "./routes.ts";
import { localDiskStorage } from "./storage.ts";

const T0 = Date.UTC(2026, 4, 1, 18, 0, 0);

describe("GET /replays/:showId/:file", () => {
  let dir: string;
  let http: Http;
  let playlist: string;
  let segment: string;
  let segmentBytes: Buffer;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-replay-"));
    const storage = localDiskStorage(path.join(dir, "media"));
    fs.writeFileSync(path.join(dir, "secret.txt"), "secret");
    // A recorded show, made the way a live one is.
    const recorder = createRecorder(storage, { onRecording: () => {}, onFinalized: () => {} }, pino({ level: "silent" }));
    const stream = new LlHlsStream({ partTarget: 0.23, segmentTarget: 1, windowSegments: 3, token: "tok1" });
    recorder.record("shw_r", stream);
    stream.setInit(Buffer.from("INIT"));
    for (let n = 0; n < 12; n++) stream.addPart({ data: Buffer.from(`part-${n}-`.padEnd(100, "x")), duration: 0.2, independent: n % 5 === 0, wallClock: T0 + n * 200 });
    stream.end();
    await recorder.close();
    playlist = fs.readFileSync(path.join(dir, "media/replays/shw_r/index.m3u8"), "utf8");
    segment = playlist.split("\n").find((l) => l.startsWith("tok1-s1-"))!;
    segmentBytes = fs.readFileSync(path.join(dir, "media/replays/shw_r", segment));
    http = createHttp(pino({ level: "silent" }));
    mediaRoutes(http, { variants: () => null, replays: storage });
    await http.ready();
  });
  after(async () => {
    await http?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the playlist: HLS type, cacheable for an hour, CORS", async () => {
    const res = await http.inject({ method: "GET", url: replayUrl("shw_r") });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^application\/vnd\.apple\.mpegurl/);
    assert.equal(res.headers["cache-control"], "public, max-age=3600");
    assert.equal(res.headers["access-control-allow-origin"], "*");
    assert.equal(res.body, playlist);
    assert.match(res.body, /#EXT-X-ENDLIST\n$/);
  });

  test("media files: video/mp4, immutable, whole or by byte range", async () => {
    const init = await http.inject({ method: "GET", url: "/replays/shw_r/tok1-init.mp4" });
    assert.equal(init.statusCode, 200);
    assert.equal(init.body, "INIT");
    assert.equal(init.headers["content-type"], "video/mp4");
    assert.equal(init.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(init.headers["accept-ranges"], "bytes");
    assert.equal(init.headers["access-control-allow-origin"], "*");

    const whole = await http.inject({ method: "GET", url: `/replays/shw_r/${segment}` });
    assert.equal(whole.statusCode, 200);
    assert.deepEqual(whole.rawPayload, segmentBytes);
    assert.equal(whole.headers["content-length"], String(segmentBytes.length));

    const part = await http.inject({ method: "GET", url: `/replays/shw_r/${segment}`, headers: { range: "bytes=100-199" } });
    assert.equal(part.statusCode, 206);
    assert.deepEqual(part.rawPayload, segmentBytes.subarray(100, 200));
    assert.equal(part.headers["content-range"], `bytes 100-199/${segmentBytes.length}`);
    assert.equal(part.headers["content-length"], "100");
    assert.equal(part.headers["cache-control"], "public, max-age=31536000, immutable");

    const tail = await http.inject({ method: "GET", url: `/replays/shw_r/${segment}`, headers: { range: "bytes=-10" } });
    assert.equal(tail.statusCode, 206);
    assert.deepEqual(tail.rawPayload, segmentBytes.subarray(-10));

    const past = await http.inject({ method: "GET", url: `/replays/shw_r/${segment}`, headers: { range: `bytes=${segmentBytes.length}-` } });
    assert.equal(past.statusCode, 416);
    assert.equal(past.headers["content-range"], `bytes */${segmentBytes.length}`);
    assert.equal(past.json().code, "range_not_satisfiable");

    const head = await http.inject({ method: "HEAD", url: `/replays/shw_r/${segment}` });
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers["content-length"], String(segmentBytes.length));
    assert.equal(head.body, "");

    const several = await http.inject({ method: "GET", url: `/replays/shw_r/${segment}`, headers: { range: "bytes=0-1,5-6" } });
    assert.equal(several.statusCode, 200, "several ranges: the whole file");
  });

  test("anything unknown is a problem+json 404, and nothing outside the replay is reachable", async () => {
    for (const url of [
      "/replays/shw_none/index.m3u8",
      "/replays/shw_r/tok1-s1.mp4",
      "/replays/shw_r/tok1-s9-t1-d1.mp4",
      "/replays/shw_r/tok2-init.mp4",
      "/replays/shw_r/other.m3u8",
      "/replays/shw_r/..%2F..%2F..%2Fsecret.txt",
      "/replays/..%2F..%2Fsecret.txt/index.m3u8",
      "/replays/shw_r/%2E%2E",
      "/replays/shw_r/.tmp-abc-tok1-init.mp4",
      "/replays/shw_r/tok1-init.mp4%00",
      "/replays/shw%2Fr/index.m3u8",
    ]) {
      const res = await http.inject({ method: "GET", url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers["content-type"]), /^application\/problem\+json/, url);
      // (a URL the router itself refuses, such as one with "..", never reaches the replay route)
      if (!url.includes("%2E%2E")) assert.equal(res.headers["access-control-allow-origin"], "*", url);
      assert.ok(!res.body.includes("secret"), url);
    }
  });

  test("parseRange", () => {
    assert.equal(parseRange(undefined, 10), null);
    assert.deepEqual(parseRange("bytes=0-", 10), { start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=2-4", 10), { start: 2, end: 4 });
    assert.deepEqual(parseRange("bytes=5-100", 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange("bytes=-3", 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange("bytes=-30", 10), { start: 0, end: 9 });
    assert.equal(parseRange("bytes=10-", 10), "unsatisfiable");
    assert.equal(parseRange("bytes=-0", 10), "unsatisfiable");
    assert.equal(parseRange("bytes=4-2", 10), null);
    assert.equal(parseRange("bytes=0-1,3-4", 10), null);
    assert.equal(parseRange("items=0-1", 10), null);
    assert.equal(parseRange("bytes=-", 10), null);
    assert.equal(parseRange("bytes=abc", 10), null);
  });
});
