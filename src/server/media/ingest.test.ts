import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { z } from "zod";
import { loadConfig, type AppConfig } from "../config.ts";
import { createHttp, type Http } from "../platform/http.ts";
import { resolveFfmpeg, resolveFfprobe } from "./ffmpeg.ts";
import { createIngest, type EndReason, type Ingest } from "./ingest.ts";
import { PLAYLIST_FILE } from "./origin.ts";
import { mediaRoutes } from "./routes.ts";
import { testPatternArgs } from "./test-pattern.ts";
import { until } from "../../../test/support/until.ts";
import { childFfmpegPids } from "../../../test/support/processes.ts";

// The ingest on its own, with real RTMP from ffmpeg: a small key table stands in for the shows domain.
const keys: Record<string, string> = {
  "key-a": "shw_a",
  "key-b": "shw_b",
  "key-b-rotated": "shw_b",
  "key-c": "shw_c",
  "key-d": "shw_d",
  "key-e": "shw_e",
  "key-f": "shw_f",
  "key-g": "shw_g",
};

const ffmpeg = resolveFfmpeg();
const publisherPids = new Set<number>();
const ffprobe = resolveFfprobe(ffmpeg);

/** How long an ended show's stream is still served (with EXT-X-ENDLIST) in these tests. */
const ENDED_TTL_MS = 1500;

describe("RTMP ingest → LL-HLS", () => {
  let dataDir: string;
  let config: AppConfig;
  let rtmpPort: number;
  let ingest: Ingest;
  let http: Http;
  const lives: string[] = [];
  const ends: { showId: string; reason: EndReason }[] = [];
  const publishers = new Set<ChildProcess>();

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-media-"));
    rtmpPort = await freePort();
    config = loadConfig({
      NODE_ENV: "test",
      DATA_DIR: dataDir,
      RTMP_PORT: String(rtmpPort),
      MEDIA_STALL_TIMEOUT_MS: "3000",
      HLS_SEGMENT_SECONDS: "1",
      DEMO_DATA: "false",
    });
    const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    ingest = createIngest(
      config,
      {
        authorizePublish: async (key) => (keys[key] ? { showId: keys[key] } : null),
        onLive: (showId) => void lives.push(showId),
        onEnded: (showId, reason) => void ends.push({ showId, reason }),
      },
      logger,
      { host: "127.0.0.1", endedStreamTtlMs: ENDED_TTL_MS },
    );
    await ingest.start();
    http = createHttp(logger);
    mediaRoutes(http, { variants: (showId) => ingest.variants(showId) });
    await http.ready();
  });

  after(async () => {
    for (const p of publishers) p.kill("SIGKILL");
    await ingest?.stop();
    await http?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function push(key: string, seconds?: number): ChildProcess {
    const url = `rtmp://127.0.0.1:${rtmpPort}/live/${key}`;
    const p = spawn(ffmpeg, testPatternArgs({ url, seconds, width: 320, height: 180, fps: 15, preset: "ultrafast" }), { stdio: "ignore" });
    publishers.add(p);
    if (p.pid) publisherPids.add(p.pid);
    p.once("exit", () => publishers.delete(p));
    return p;
  }

  const get = (url: string) => http.inject({ method: "GET", url });
  /** After the end: the final playlist (ENDLIST) for a moment, then 404, and the stream is let go. */
  async function streamGoneAfterEnd(showId: string) {
    await until(`stream of ${showId} dropped`, async () => ingest.stream(showId) === null, ENDED_TTL_MS + 5000);
    const res = await get(`/hls/${showId}/${PLAYLIST_FILE}`);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, "not_found");
  }
  const endOf = (showId: string) => until(`onEnded(${showId})`, async () => ends.find((e) => e.showId === showId));
  const wentLive = (showId: string) => until(`onLive(${showId})`, async () => lives.includes(showId));

  test("a wrong stream key is refused at connect", async () => {
    const intruder = push("not-a-key", 30);
    const code = await exitCode(intruder);
    assert.notEqual(code, 0, "ffmpeg must fail to publish");
    assert.deepEqual(lives, []);
    assert.deepEqual(ingest.liveShowIds(), []);
    assert.deepEqual(packagerPids(), []);
  });

  test("the right key goes live: LL-HLS is served from memory, playable, with blocking reload; stopping the push ends the show", async () => {
    const publisher = push("key-a");
    await wentLive("shw_a");
    assert.equal(ingest.isLive("shw_a"), true);
    assert.deepEqual(ingest.liveShowIds(), ["shw_a"]);
    assert.equal(packagerPids().length, 1, "one packager for the live show");
    assert.deepEqual(fs.readdirSync(dataDir), [], "nothing is written to disk");

    // A plain request: the whole playlist; browsers never keep it, a CDN for a second at most.
    const m3u8 = await get(`/hls/shw_a/${PLAYLIST_FILE}`);
    assert.equal(m3u8.statusCode, 200);
    assert.match(String(m3u8.headers["content-type"]), /^application\/vnd\.apple\.mpegurl/);
    assert.equal(m3u8.headers["cache-control"], "public, max-age=0, s-maxage=1");
    assert.equal(m3u8.headers["access-control-allow-origin"], "*");
    const first = parsePlaylist(m3u8.body);
    assert.match(m3u8.body, /^#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n/);
    assert.match(m3u8.body, /\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,PART-HOLD-BACK=0\.69\n#EXT-X-PART-INF:PART-TARGET=0\.23\n/);
    assert.match(m3u8.body, /\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-MAP:URI="[a-z0-9]+-init\.mp4"\n#EXT-X-PROGRAM-DATE-TIME:/);
    assert.ok(first.parts.length > 0, "the playlist lists parts");
    assert.ok(first.hint, "and hints the next one");
    // 15 fps: every part is 3 frames, 0.2 s, and every 5th starts at the 1 s keyframe
    for (const p of first.parts) assert.ok(p.duration > 0 && p.duration <= 0.23, `part ${p.uri} lasts ${p.duration}`);

    // The hinted part is answered when it arrives; so is a blocking request for it.
    const hinted = get(`/hls/shw_a/${first.hint}`);
    const blocking = get(`/hls/shw_a/${PLAYLIST_FILE}?_HLS_msn=${first.openMsn}&_HLS_part=${first.openParts}`);
    const [part, blocked] = await Promise.all([hinted, blocking]);
    assert.equal(part.statusCode, 200);
    assert.match(String(part.headers["content-type"]), /^video\/mp4/);
    assert.equal(part.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.ok(part.rawPayload.length > 0);
    assert.equal(blocked.statusCode, 200);
    assert.match(String(blocked.headers["cache-control"]), /^public, max-age=\d+$/);
    const next = parsePlaylist(blocked.body);
    assert.ok(next.parts.some((p) => p.uri === first.hint), "the blocking answer lists the part it waited for");
    assert.notEqual(next.hint, first.hint);

    const tooFar = await get(`/hls/shw_a/${PLAYLIST_FILE}?_HLS_msn=${first.openMsn + 10}`);
    assert.equal(tooFar.statusCode, 400);
    assert.equal(tooFar.json().code, "validation_failed");

    // init + a complete segment is a playable fMP4 with the pushed H.264 and AAC as they were.
    const latest = await until("a complete segment", async () => parsePlaylist((await get(`/hls/shw_a/${PLAYLIST_FILE}`)).body).segments.at(-1));
    const init = await get(`/hls/shw_a/${next.map}`);
    const segment = await get(`/hls/shw_a/${latest}`);
    for (const r of [init, segment]) {
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers["content-type"]), /^video\/mp4/);
      assert.equal(r.headers["cache-control"], "public, max-age=31536000, immutable");
    }
    if (ffprobe) {
      const file = path.join(os.tmpdir(), `vetrina-llhls-${process.pid}.mp4`);
      fs.writeFileSync(file, Buffer.concat([init.rawPayload, segment.rawPayload]));
      try {
        const { stdout } = await promisify(execFile)(ffprobe, ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", file]);
        const streams = z.object({ streams: z.array(z.object({ codec_type: z.string(), codec_name: z.string() })) }).parse(JSON.parse(stdout)).streams;
        assert.deepEqual(streams.map((st) => `${st.codec_type}:${st.codec_name}`).sort(), ["audio:aac", "video:h264"]);
      } finally {
        fs.rmSync(file, { force: true });
      }
    }

    // A player blocked on the next part when the show ends gets the final playlist.
    const now = parsePlaylist((await get(`/hls/shw_a/${PLAYLIST_FILE}`)).body);
    const waiting = get(`/hls/shw_a/${PLAYLIST_FILE}?_HLS_msn=${now.openMsn + 1}`);
    publisher.kill("SIGINT"); // what Ctrl-C in a terminal, or "Stop streaming" in OBS, amounts to
    await exitCode(publisher);
    assert.equal((await endOf("shw_a")).reason, "publisher_stopped");
    assert.equal(ingest.isLive("shw_a"), false);
    assert.deepEqual(packagerPids(), []);
    const last = await waiting;
    assert.equal(last.statusCode, 200);
    assert.match(last.body, /\n#EXT-X-ENDLIST\n$/);
    assert.doesNotMatch(last.body, /PRELOAD-HINT/);
    const after = await get(`/hls/shw_a/${PLAYLIST_FILE}`);
    assert.equal(after.statusCode, 200, "the final playlist is still served for a moment");
    assert.match(after.body, /#EXT-X-ENDLIST\n$/);
    await streamGoneAfterEnd("shw_a");
  });

  test("a show takes one publisher at a time, and stopShow kicks it", async () => {
    const publisher = push("key-b");
    await wentLive("shw_b");
    assert.notEqual(await exitCode(push("key-b", 30)), 0, "same key again is refused");
    assert.notEqual(await exitCode(push("key-b-rotated", 30)), 0, "another key of the same show is refused");
    assert.equal(ingest.isLive("shw_b"), true, "the first publisher stays live");
    assert.deepEqual(lives.filter((s) => s === "shw_b"), ["shw_b"]);

    await ingest.stopShow("shw_b");
    assert.deepEqual(ends.filter((e) => e.showId === "shw_b"), [{ showId: "shw_b", reason: "stopped_by_host" }]);
    assert.notEqual(await exitCode(publisher), 0, "the kicked publisher fails");
    assert.deepEqual(packagerPids(), []);
    await streamGoneAfterEnd("shw_b");
  });

  test("a publisher that stays connected but sends nothing ends the show", async () => {
    const publisher = push("key-c");
    await wentLive("shw_c");
    publisher.kill("SIGSTOP");
    try {
      assert.equal((await endOf("shw_c")).reason, "stalled");
    } finally {
      publisher.kill("SIGKILL");
    }
    assert.equal(ingest.isLive("shw_c"), false);
    assert.deepEqual(packagerPids(), []);
    await streamGoneAfterEnd("shw_c");
  });

  test("a packager that dies ends the show and kicks its publisher", async () => {
    const publisher = push("key-e");
    await wentLive("shw_e");
    const [packager] = packagerPids();
    assert.ok(packager);
    process.kill(packager, "SIGKILL");
    assert.equal((await endOf("shw_e")).reason, "packager_failed");
    assert.notEqual(await exitCode(publisher), 0, "the publisher is disconnected");
    await streamGoneAfterEnd("shw_e");
  });

  test("a publisher that vanishes mid-part ends its show; the origin keeps serving the other show's new parts", async () => {
    const vanishing = push("key-f");
    const steady = push("key-g");
    await wentLive("shw_f");
    await wentLive("shw_g");
    // Let both run a moment, then kill one publisher outright (its TCP connection just dies,
    // whatever part it was in the middle of).
    await new Promise((r) => setTimeout(r, 1500));
    vanishing.kill("SIGKILL");
    assert.equal((await endOf("shw_f")).reason, "publisher_stopped");
    const final = await get(`/hls/shw_f/${PLAYLIST_FILE}`);
    assert.ok(final.statusCode === 404 || final.body.includes("#EXT-X-ENDLIST"), "the ended show's playlist is final (or gone)");

    // The other show goes on: blocking requests for its next parts are answered, part after part.
    for (let i = 0; i < 5; i++) {
      const now = parsePlaylist((await get(`/hls/shw_g/${PLAYLIST_FILE}`)).body);
      const next = await get(`/hls/shw_g/${PLAYLIST_FILE}?_HLS_msn=${now.openMsn}&_HLS_part=${now.openParts}`);
      assert.equal(next.statusCode, 200, `part ${i + 1} after the other show ended`);
      const hinted = await get(`/hls/shw_g/${now.hint}`);
      assert.equal(hinted.statusCode, 200);
      assert.equal(hinted.headers["content-type"], "video/mp4");
    }
    assert.equal(ingest.isLive("shw_g"), true);
    steady.kill("SIGINT");
    assert.equal((await endOf("shw_g")).reason, "publisher_stopped");
    await streamGoneAfterEnd("shw_f");
    await streamGoneAfterEnd("shw_g");
  });

  test("stop() ends live shows and leaves no ffmpeg behind", async () => {
    const publisher = push("key-d");
    await wentLive("shw_d");
    await ingest.stop();
    assert.deepEqual(ends.filter((e) => e.showId === "shw_d"), [{ showId: "shw_d", reason: "server_shutdown" }]);
    assert.deepEqual(packagerPids(), []);
    assert.equal(ingest.stream("shw_d"), null, "stop() lets every stream go");
    assert.notEqual(await exitCode(publisher), 0, "the publisher is disconnected");
    // every live session ended exactly once
    assert.deepEqual(ends.map((e) => e.showId).sort(), ["shw_a", "shw_b", "shw_c", "shw_d", "shw_e", "shw_f", "shw_g"]);
  });
});

/** What the tests need from a media playlist. */
function parsePlaylist(body: string) {
  const lines = body.split("\n");
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body)?.[1] ?? NaN);
  const segments: string[] = [];
  let parts: { uri: string; duration: number }[] = [];
  const all: { uri: string; duration: number }[] = [];
  for (const line of lines) {
    const part = /^#EXT-X-PART:DURATION=([0-9.]+),URI="([^"]+)"/.exec(line);
    if (part) {
      parts.push({ uri: part[2]!, duration: Number(part[1]) });
      all.push({ uri: part[2]!, duration: Number(part[1]) });
    } else if (line && !line.startsWith("#")) {
      segments.push(line);
      msn++;
      parts = [];
    }
  }
  return {
    map: /#EXT-X-MAP:URI="([^"]+)"/.exec(body)?.[1],
    segments,
    parts: all,
    /** the open segment's msn and how many parts it has: (openMsn, openParts) is the next part */
    openMsn: msn,
    openParts: parts.length,
    hint: /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(body)?.[1],
  };
}


function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** ffmpeg processes this test process started that are not publishers: the ingest's packagers. */
const packagerPids = () => childFfmpegPids(publisherPids);
