import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { freePort } from "../../../test/support/harness.ts";
import { until } from "../../../test/support/until.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { createHttp, type Http } from "../platform/http.ts";
import { resolveFfmpeg } from "./ffmpeg.ts";
import { createIngest, type Ingest } from "./ingest.ts";
import type { InitSegment } from "./llhls/fmp4.ts";
import { createShowStream, linkRenditions, multivariantPlaylist, type Variant } from "./origin.ts";
import { renditionKbps } from "./packager.ts";
import { mediaRoutes } from "./routes.ts";
import { testPatternArgs } from "./test-pattern.ts";

const init = (codecs: string, width: number, height: number): InitSegment => ({
  data: Buffer.from(`init-${width}`),
  codecs,
  tracks: [
    { trackId: 1, kind: "video", timescale: 90000, codec: "avc1", width, height },
    { trackId: 2, kind: "audio", timescale: 48000, codec: "mp4a" },
  ],
});

describe("renditions: multivariant playlist and rendition reports", () => {
  test("HLS_RENDITIONS is off by default and validated", () => {
    assert.deepEqual(loadConfig({}).media.renditions, []);
    assert.deepEqual(loadConfig({ HLS_RENDITIONS: "480, 240" }).media.renditions, [480, 240]);
    for (const bad of ["360p", "100", "361", "240,360,480,720"]) {
      assert.throws(() => loadConfig({ HLS_RENDITIONS: bad }), (e: unknown) => e instanceof ConfigError && /HLS_RENDITIONS/.test(e.message), bad);
    }
    assert.ok(renditionKbps(360) < renditionKbps(720));
  });

  test("each media playlist reports the others; the multivariant lists every variant with CODECS, RESOLUTION and measured BANDWIDTH", () => {
    const variants: Variant[] = [0, 1].map((i) => ({ name: `v${i}.m3u8`, stream: createShowStream(1, () => {}), init: null }));
    linkRenditions(variants);
    assert.equal(multivariantPlaylist(variants), null, "not before every variant has its init segment");
    variants[0]!.init = init("avc1.64001f,mp4a.40.2", 1280, 720);
    variants[1]!.init = init("avc1.4d401e,mp4a.40.2", 640, 360);
    const t0 = Date.now();
    for (const [i, v] of variants.entries()) {
      v.stream.setInit(v.init!.data);
      // 1.2 s of 0.2 s parts, keyframe each second; the rendition is one part behind.
      const parts = i === 0 ? 6 : 5;
      for (let p = 0; p < parts; p++) v.stream.addPart({ data: Buffer.alloc(i === 0 ? 50_000 : 10_000), duration: 0.2, independent: p % 5 === 0, wallClock: t0 + p * 200 });
    }
    const [source, low] = variants;
    return Promise.all([source!.stream.playlist(), low!.stream.playlist()]).then(([a, b]) => {
      assert.equal(a.status, 200);
      assert.equal(b.status, 200);
      if (a.status !== 200 || b.status !== 200) return;
      // the source has completed segment 0 (5 parts) and has part 0 of segment 1; the rendition only segment 0's parts
      assert.match(a.body, /\n#EXT-X-RENDITION-REPORT:URI="v1\.m3u8",LAST-MSN=0,LAST-PART=4\n$/);
      assert.match(b.body, /\n#EXT-X-RENDITION-REPORT:URI="v0\.m3u8",LAST-MSN=1,LAST-PART=0\n$/);
      const master = multivariantPlaylist(variants)!;
      assert.match(master, /^#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n/);
      const infs = [...master.matchAll(/#EXT-X-STREAM-INF:(.*)\n(.*)\n/g)].map((m) => ({ attrs: m[1]!, uri: m[2]! }));
      assert.deepEqual(
        infs.map((i) => i.uri),
        ["v0.m3u8", "v1.m3u8"],
      );
      assert.match(infs[0]!.attrs, /BANDWIDTH=2000000,AVERAGE-BANDWIDTH=2000000,CODECS="avc1\.64001f,mp4a\.40\.2",RESOLUTION=1280x720/);
      assert.match(infs[1]!.attrs, /CODECS="avc1\.4d401e,mp4a\.40\.2",RESOLUTION=640x360/);
    });
  });
});

describe("HLS_RENDITIONS=180 with a real RTMP push", () => {
  let dataDir: string;
  let rtmpPort: number;
  let ingest: Ingest;
  let http: Http;
  let publisher: ChildProcess | undefined;
  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-renditions-"));
    rtmpPort = await freePort();
    const config = loadConfig({ NODE_ENV: "test", DATA_DIR: dataDir, RTMP_PORT: String(rtmpPort), HLS_RENDITIONS: "180", DEMO_DATA: "false" });
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    ingest = createIngest(config, { authorizePublish: async (key) => (key === "key-r" ? { showId: "shw_r" } : null), onLive: () => {}, onEnded: () => {} }, logger, { host: "127.0.0.1" });
    await ingest.start();
    http = createHttp(logger);
    mediaRoutes(http, { variants: (showId) => ingest.variants(showId) });
    await http.ready();
  });
  after(async () => {
    publisher?.kill("SIGKILL");
    await ingest?.stop();
    await http?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const get = (url: string) => http.inject({ method: "GET", url });

  test("the show gets a 180p rendition with keyframes where the source has them, behind a multivariant playlist", async () => {
    publisher = spawn(resolveFfmpeg(), testPatternArgs({ url: `rtmp://127.0.0.1:${rtmpPort}/live/key-r`, seconds: 60, width: 640, height: 360, fps: 15, preset: "ultrafast" }), { stdio: "ignore" });
    // Wait until both media playlists have a few complete segments.
    const playlists = await until(
      "both renditions have 3 segments",
      async () => {
        const [a, b] = await Promise.all([get("/hls/shw_r/v0.m3u8"), get("/hls/shw_r/v1.m3u8")]);
        if (a.statusCode !== 200 || b.statusCode !== 200) return null;
        return (a.body.match(/#EXTINF/g)?.length ?? 0) >= 3 && (b.body.match(/#EXTINF/g)?.length ?? 0) >= 3 ? ([a.body, b.body] as [string, string]) : null;
      },
      30_000,
    );
    const master = await get("/hls/shw_r/index.m3u8");
    assert.equal(master.statusCode, 200);
    assert.equal(master.headers["cache-control"], "public, max-age=0, s-maxage=1");
    assert.match(master.body, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2",RESOLUTION=640x360\nv0\.m3u8\n/);
    assert.match(master.body, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.4d[0-9a-f]{4},mp4a\.40\.2",RESOLUTION=320x180\nv1\.m3u8\n/);
    const [src, low] = playlists;
    assert.match(src, /#EXT-X-RENDITION-REPORT:URI="v1\.m3u8",LAST-MSN=\d+,LAST-PART=\d+\n$/);
    assert.match(low, /#EXT-X-RENDITION-REPORT:URI="v0\.m3u8",LAST-MSN=\d+,LAST-PART=\d+\n$/);
    // Same segmentation: the segments both list have the same media sequence numbers and durations.
    const segs = (body: string) => new Map([...body.matchAll(/#EXTINF:([\d.]+),\n[a-z0-9]+-s(\d+)\.mp4/g)].map((m) => [Number(m[2]), Number(m[1])]));
    const a = segs(src);
    const b = segs(low);
    const common = [...a.keys()].filter((k) => b.has(k));
    assert.ok(common.length >= 2, "segments in common");
    for (const k of common) assert.ok(Math.abs(a.get(k)! - b.get(k)!) < 0.01, `segment ${k}: ${a.get(k)} vs ${b.get(k)}`);
    // The rendition's media is served under its own token.
    const part = /URI="([a-z0-9]+-p\d+\.mp4)"/.exec(low)![1]!;
    const res = await get(`/hls/shw_r/${part}`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "video/mp4");
  });
});
