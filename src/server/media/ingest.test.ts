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
import { PLAYLIST_FILE, SEGMENT_FILE } from "./packager.ts";
import { mediaRoutes } from "./routes.ts";
import { testPatternArgs } from "./test-pattern.ts";

// The ingest on its own, with real RTMP from ffmpeg: a small key table stands in for the shows domain.
const keys: Record<string, string> = {
  "key-a": "shw_a",
  "key-b": "shw_b",
  "key-b-rotated": "shw_b",
  "key-c": "shw_c",
  "key-d": "shw_d",
  "key-e": "shw_e",
};

const ffmpeg = resolveFfmpeg();
const publisherPids = new Set<number>();
const ffprobe = resolveFfprobe(ffmpeg);

describe("RTMP ingest → HLS", () => {
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
      { host: "127.0.0.1" },
    );
    await ingest.start();
    http = createHttp(logger);
    mediaRoutes(http, config);
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

  const showDir = (showId: string) => path.join(config.media.hlsDir, showId);
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

  test("the right key goes live: HLS is written, playable and served; stopping the push ends the show", async () => {
    const publisher = push("key-a");
    await wentLive("shw_a");
    assert.equal(ingest.isLive("shw_a"), true);
    assert.deepEqual(ingest.liveShowIds(), ["shw_a"]);
    assert.equal(packagerPids().length, 1, "one packager for the live show");

    const playlist = fs.readFileSync(path.join(showDir("shw_a"), PLAYLIST_FILE), "utf8");
    assert.match(playlist, /^#EXTM3U/);
    const segments = playlist.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.ok(segments.length > 0, "playlist lists segments");
    for (const s of segments) assert.match(s, SEGMENT_FILE);
    const newest = segments.at(-1)!;

    if (ffprobe) {
      const { stdout } = await promisify(execFile)(ffprobe, ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", path.join(showDir("shw_a"), newest)]);
      const streams = z.object({ streams: z.array(z.object({ codec_type: z.string(), codec_name: z.string() })) }).parse(JSON.parse(stdout)).streams;
      assert.deepEqual(streams.map((st) => `${st.codec_type}:${st.codec_name}`).sort(), ["audio:aac", "video:h264"], "segment carries the pushed H.264 and AAC as they were");
    }

    const m3u8 = await http.inject({ method: "GET", url: `/hls/shw_a/${PLAYLIST_FILE}` });
    assert.equal(m3u8.statusCode, 200);
    assert.match(String(m3u8.headers["content-type"]), /^application\/vnd\.apple\.mpegurl/);
    assert.equal(m3u8.headers["cache-control"], "no-cache");
    assert.equal(m3u8.headers["access-control-allow-origin"], "*");
    assert.match(m3u8.body, /^#EXTM3U/);
    const segment = await http.inject({ method: "GET", url: `/hls/shw_a/${newest}` });
    assert.equal(segment.statusCode, 200);
    assert.match(String(segment.headers["content-type"]), /^video\/mp2t/);
    assert.match(String(segment.headers["cache-control"]), /immutable/);
    assert.ok(segment.rawPayload.length > 0);

    publisher.kill("SIGINT"); // what Ctrl-C in a terminal, or "Stop streaming" in OBS, amounts to
    await exitCode(publisher);
    assert.equal((await endOf("shw_a")).reason, "publisher_stopped");
    assert.equal(ingest.isLive("shw_a"), false);
    assert.equal(fs.existsSync(showDir("shw_a")), false, "HLS files removed");
    assert.deepEqual(packagerPids(), []);
    assert.equal((await http.inject({ method: "GET", url: `/hls/shw_a/${PLAYLIST_FILE}` })).statusCode, 404);
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
    assert.equal(fs.existsSync(showDir("shw_b")), false);
    assert.deepEqual(packagerPids(), []);
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
    assert.equal(fs.existsSync(showDir("shw_c")), false);
    assert.deepEqual(packagerPids(), []);
  });

  test("a packager that dies ends the show and kicks its publisher", async () => {
    const publisher = push("key-e");
    await wentLive("shw_e");
    const [packager] = packagerPids();
    assert.ok(packager);
    process.kill(packager, "SIGKILL");
    assert.equal((await endOf("shw_e")).reason, "packager_failed");
    assert.notEqual(await exitCode(publisher), 0, "the publisher is disconnected");
    assert.equal(fs.existsSync(showDir("shw_e")), false);
  });

  test("stop() ends live shows and leaves no ffmpeg behind", async () => {
    const publisher = push("key-d");
    await wentLive("shw_d");
    await ingest.stop();
    assert.deepEqual(ends.filter((e) => e.showId === "shw_d"), [{ showId: "shw_d", reason: "server_shutdown" }]);
    assert.deepEqual(packagerPids(), []);
    assert.deepEqual(fs.readdirSync(config.media.hlsDir), []);
    assert.notEqual(await exitCode(publisher), 0, "the publisher is disconnected");
    // every live session ended exactly once
    assert.deepEqual(ends.map((e) => e.showId).sort(), ["shw_a", "shw_b", "shw_c", "shw_d", "shw_e"]);
  });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
function packagerPids(): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (comm === "ffmpeg" && Number(ppid) === process.pid && state !== "Z" && !publisherPids.has(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}
