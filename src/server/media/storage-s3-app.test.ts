import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buildApp } from "../app.ts";
import { loadConfig } from "../config.ts";
import { startS3, type TestS3 } from "../../../test/support/s3.ts";
import { until } from "../../../test/support/until.ts";
import type { StudioClip } from "../../shared/contracts/videos.ts";
import { resolveFfmpeg, resolveFfprobe } from "./ffmpeg.ts";
import { replayPrefix } from "./recorder.ts";
import { testPatternArgs } from "./test-pattern.ts";

const run = promisify(execFile);
const FFMPEG = resolveFfmpeg();
const FFPROBE = resolveFfprobe(FFMPEG)!;
const PNG_1x1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");
const BUCKET = "vetrina-e2e";
const PREFIX = "node-1";

/** Every file under `dir` (relative paths), for "nothing persistent went to the local disk". */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe("STORAGE=s3: the app's media lives in the bucket", () => {
  let s3: TestS3;
  let server: TestServer;
  const children: ChildProcess[] = [];
  /** an object straight from the bucket, bypassing the app */
  const fromBucket = async (key: string) => {
    const res = await fetch(`${s3.endpoint}/${BUCKET}/${PREFIX}/${key}`);
    return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : null;
  };

  before(async () => {
    s3 = await startS3([BUCKET]);
    server = await startServer({ ...s3.env(BUCKET, PREFIX), CLIP_BEFORE_SECONDS: "1", CLIP_AFTER_SECONDS: "2" });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await server?.close();
    await s3?.close();
  });

  test("a start-up against a bucket that is not there fails, naming it, before anything else is opened", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-s3-nobucket-"));
    try {
      const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, LOG_LEVEL: "silent", ...s3.env("no-such-bucket") });
      await assert.rejects(buildApp(config), /object storage unreachable.*"no-such-bucket".*does not exist/s);
      assert.equal(fs.existsSync(path.join(dataDir, "vetrina.db")), false, "the database was not even opened");
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("a product image upload is stored in the bucket and served from it", async () => {
    const m = await server.as("merchant");
    const form = new FormData();
    form.append("file", new Blob([PNG_1x1], { type: "image/png" }), "pic.png");
    const up = await m.request<{ url: string }>("POST", "/api/v1/uploads/images", form);
    assert.equal(up.status, 201);
    const name = up.body.url.replace("/uploads/", "");
    assert.deepEqual(await fromBucket(`uploads/${name}`), PNG_1x1, "in the bucket, under the instance's prefix");
    const served = await fetch(server.baseUrl + up.body.url);
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "image/png");
    assert.equal(served.headers.get("content-length"), String(PNG_1x1.length));
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), PNG_1x1);
    // the demo catalogue's pictures went there too
    const product = (await m.products.list()).body.items.find((p) => p.images[0]?.startsWith("/uploads/demo-"))!;
    const pic = await fetch(server.baseUrl + product.images[0]);
    assert.equal(pic.status, 200);
    assert.equal(pic.headers.get("content-type"), "image/svg+xml");
    assert.ok(await fromBucket(product.images[0]!.slice(1)));
    assert.equal((await fetch(`${server.baseUrl}/uploads/img_nothere.png`)).status, 404);
  });

  test("a show pushed over RTMP is recorded to the bucket; its replay is served from it with ranges; its clip is cut into it", async () => {
    const host = await server.as("host");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;
    const child = spawn(FFMPEG, testPatternArgs({ url: `${server.rtmpUrl}/${studio.streamKey}`, seconds: 60, width: 320, height: 180, preset: "ultrafast" }), { stdio: "ignore" });
    children.push(child);
    const live = await until("show live", async () => {
      const s = (await host.shows.get(show.id)).body;
      return s.status === "live" ? s : null;
    });
    const recorded = async () => (await server.app.mediaStorage.list(replayPrefix(show.id))).length;
    // Waits on what the recorder has stored (in S3), not on the clock.
    await until("a few segments in the bucket", async () => (await recorded()) >= 3, 60_000);
    assert.equal((await host.shows.showcase(show.id, live.products[0]!.id)).status, 200);
    const atShowcase = await recorded();
    await until("the clip's window recorded", async () => (await recorded()) >= atShowcase + 4, 60_000);
    assert.equal((await host.shows.end(show.id)).body.status, "ended");
    child.kill("SIGKILL");
    const replayUrl = await until("replay ready", async () => (await host.shows.get(show.id)).body.replayUrl, 60_000);

    // The playlist and its segments, over HTTP, from the bucket.
    const pl = await fetch(server.baseUrl + replayUrl);
    assert.equal(pl.status, 200);
    const playlist = await pl.text();
    assert.match(playlist, /#EXT-X-ENDLIST/);
    assert.equal(Buffer.from(playlist).equals((await fromBucket(`${replayPrefix(show.id)}index.m3u8`))!), true);
    const segment = playlist.split("\n").find((l) => l.endsWith(".mp4") && !l.startsWith("#"))!;
    const stored = (await fromBucket(replayPrefix(show.id) + segment))!;
    assert.ok(stored.length > 1000, "the segment is in the bucket");
    const segUrl = `${server.baseUrl}/replays/${show.id}/${segment}`;
    const whole = await fetch(segUrl);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-length"), String(stored.length));
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), stored);
    for (const [range, from, to] of [["bytes=0-0", 0, 0], [`bytes=${stored.length - 1}-`, stored.length - 1, stored.length - 1], ["bytes=100-599", 100, 599], ["bytes=-50", stored.length - 50, stored.length - 1]] as const) {
      const res = await fetch(segUrl, { headers: { range } });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), `bytes ${from}-${to}/${stored.length}`, range);
      assert.equal(res.headers.get("content-length"), String(to - from + 1), range);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), stored.subarray(from, to + 1), range);
    }
    assert.equal((await fetch(segUrl, { headers: { range: `bytes=${stored.length}-` } })).status, 416);

    // The showcase's clip: cut from the replay's segments read back from S3, written to S3, served from it.
    const clipsUrl = `/api/v1/shows/${show.id}/clips`;
    await until("clip queued", async () => (await host.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items?.length === 1, 30_000);
    await Promise.race([server.app.jobs.drained(), new Promise((_, reject) => setTimeout(() => reject(new Error("timed out waiting for the clip job")), 120_000).unref())]);
    const [clip] = (await host.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items;
    assert.equal(clip!.status, "draft");
    const mp4 = (await fromBucket(`videos/${clip!.id}.mp4`))!;
    assert.ok(mp4 && mp4.length > 1000, "the clip's MP4 is in the bucket");
    const res = await fetch(server.baseUrl + clip!.mediaUrl!, { headers: { cookie: host.cookie } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "video/mp4");
    const body = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(body, mp4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s3-clip-"));
    try {
      fs.writeFileSync(path.join(dir, "clip.mp4"), body);
      const probe = JSON.parse((await run(FFPROBE, ["-v", "error", "-show_entries", "stream=codec_type,width,height", "-of", "json", path.join(dir, "clip.mp4")])).stdout);
      assert.deepEqual(
        probe.streams.filter((s: { codec_type: string }) => s.codec_type === "video").map((s: { width: number; height: number }) => [s.width, s.height]),
        [[320, 180]],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // Nothing persistent was written to the local disk: no media folder, no uploads.
    assert.deepEqual(filesUnder(path.join(server.config.dataDir, "media")), []);
    assert.deepEqual(filesUnder(server.config.uploadsDir), []);
  });
});
