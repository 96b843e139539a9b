import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { LlHlsStream, type CompletedSegment, type LlHlsProblem } from "./llhls/playlist.ts";
import { createRecorder, replayPrefix, type RecorderCallbacks } from "./recorder.ts";
import { localDiskStorage, type MediaStorage } from "./storage.ts";
import { parseRecordedFile, REPLAY_PLAYLIST } from "./vod-playlist.ts";

const T0 = Date.UTC(2026, 4, 1, 18, 0, 0);
const INIT = Buffer.from("INIT-SEGMENT");

/** A stream fed like the ingest feeds it: 0.2 s parts, a keyframe every 5th (1 s segments). */
function feeder(stream: LlHlsStream) {
  let n = 0;
  stream.setInit(INIT);
  return {
    parts(count: number) {
      for (let i = 0; i < count; i++, n++) {
        stream.addPart({ data: Buffer.from(`part-${n};`), duration: 0.2, independent: n % 5 === 0, wallClock: T0 + n * 200 });
      }
    },
  };
}

function capturingLogger() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const logger = pino({ level: "info" }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

function recordingCallbacks() {
  const calls: string[] = [];
  const callbacks: RecorderCallbacks = {
    onRecording: (showId) => void calls.push(`recording ${showId}`),
    onFinalized: (showId, result) => void calls.push(`finalized ${showId} ${result}`),
  };
  return { calls, callbacks };
}

const newStream = (token = "tok1") => new LlHlsStream({ partTarget: 0.23, segmentTarget: 1, windowSegments: 3, token });

describe("LlHlsStream tells listeners of complete segments", () => {
  test("each segment once, in order, with the bytes, duration and PROGRAM-DATE-TIME it is served with; then the end", () => {
    const stream = newStream();
    const got: CompletedSegment[] = [];
    let ends = 0;
    stream.onSegments({ segment: (s) => got.push(s), end: () => ends++ });
    const feed = feeder(stream);
    feed.parts(12); // segments 0 and 1 complete, 2 open
    assert.deepEqual(got.map((s) => s.msn), [0, 1]);
    for (const s of got) {
      assert.deepEqual(s.data, stream.resource(stream.segmentName(s.msn))!.data);
      assert.ok(Math.abs(s.duration - 1) < 1e-9);
      assert.equal(s.init, INIT);
    }
    assert.deepEqual(got.map((s) => s.programDateTime), [T0, T0 + 1000]);
    stream.end();
    stream.end();
    assert.deepEqual(got.map((s) => s.msn), [0, 1, 2], "end() completes the open segment");
    assert.ok(Math.abs(got[2]!.duration - 0.4) < 1e-9);
    assert.equal(ends, 1);
  });

  test("a listener that throws is reported and the stream carries on", () => {
    const problems: LlHlsProblem[] = [];
    const stream = new LlHlsStream({ partTarget: 0.23, segmentTarget: 1, windowSegments: 3, token: "tok1", onProblem: (p) => problems.push(p) });
    const seen: number[] = [];
    stream.onSegments({
      segment: () => {
        throw new Error("disk on fire");
      },
      end: () => {},
    });
    stream.onSegments({ segment: (s) => seen.push(s.msn), end: () => {} });
    feeder(stream).parts(11);
    assert.deepEqual(seen, [0, 1]);
    assert.ok(problems.some((p) => p.kind === "segment_listener_failed"));
    assert.ok(stream.resource(stream.partName(10)), "parts keep coming");
  });
});

describe("recording a show", () => {
  let dir: string;
  let storage: MediaStorage;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-recorder-"));
    storage = localDiskStorage(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const files = async (showId: string) => (await storage.list(replayPrefix(showId))).map((k) => k.slice(replayPrefix(showId).length));

  test("every segment is written as it completes, and the end writes the VOD playlist", async () => {
    const { calls, callbacks } = recordingCallbacks();
    const recorder = createRecorder(storage, callbacks, pino({ level: "silent" }));
    const stream = newStream("aaa");
    recorder.record("shw_a", stream);
    const feed = feeder(stream);
    feed.parts(11);
    await recorder.close();
    assert.deepEqual(calls, ["recording shw_a"]);
    const written = await files("shw_a");
    assert.deepEqual(written.map(parseRecordedFile).map((f) => (f?.kind === "segment" ? f.msn : f?.kind)), ["init", 0, 1]);
    assert.deepEqual(await storage.read(`replays/shw_a/aaa-init.mp4`), INIT);
    const seg1 = written.find((n) => n.startsWith("aaa-s1-"))!;
    assert.deepEqual(await storage.read(`replays/shw_a/${seg1}`), Buffer.concat([5, 6, 7, 8, 9].map((n) => Buffer.from(`part-${n};`))));
    assert.equal(await storage.read(`replays/shw_a/${REPLAY_PLAYLIST}`), null, "no playlist while live");

    feed.parts(3);
    stream.end();
    await recorder.close();
    assert.deepEqual(calls, ["recording shw_a", "finalized shw_a ready"]);
    const playlist = (await storage.read(`replays/shw_a/${REPLAY_PLAYLIST}`))!.toString();
    assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD\n/);
    assert.match(playlist, /#EXT-X-MAP:URI="aaa-init.mp4"\n/);
    assert.equal(playlist.match(/#EXT-X-PROGRAM-DATE-TIME:/g)!.length, 3);
    assert.match(playlist, /#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:02.000Z\n#EXTINF:0.8,\naaa-s2-/);
    assert.ok(playlist.endsWith("#EXT-X-ENDLIST\n"));
  });

  test("a publisher that leaves before the first segment records nothing", async () => {
    const { calls, callbacks } = recordingCallbacks();
    const recorder = createRecorder(storage, callbacks, pino({ level: "silent" }));
    const stream = newStream("bbb");
    recorder.record("shw_b", stream);
    stream.setInit(INIT);
    stream.end();
    await recorder.close();
    assert.deepEqual(calls, []);
    assert.deepEqual(await files("shw_b"), []);
  });

  test("slow storage never holds up the live stream; past the queue's bound segments are dropped, logged, and become a gap", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: MediaStorage = { ...storage, write: async (k, d) => (await gate, storage.write(k, d)) };
    const { logger, lines } = capturingLogger();
    const { calls, callbacks } = recordingCallbacks();
    // room for the init segment and two segments
    const recorder = createRecorder(slow, callbacks, logger, { maxQueuedBytes: INIT.length + 2 * 40 });
    const stream = newStream("ccc");
    recorder.record("shw_c", stream);
    const feed = feeder(stream);
    const started = performance.now();
    feed.parts(30); // 5 complete segments while storage is stuck
    assert.ok(performance.now() - started < 50, "addPart did not wait for storage");
    assert.ok(stream.resource(stream.partName(29)), "the live stream has every part");
    const overflow = lines.filter((l) => l.kind === "overflow");
    assert.equal(overflow.length, 1, "logged once, the rest counted");
    assert.equal(overflow[0]!.level, 40);

    release();
    await recorder.close();
    stream.end();
    await recorder.close();
    assert.deepEqual(calls, ["recording shw_c", "finalized shw_c ready"]);
    const segs = (await files("shw_c")).map(parseRecordedFile).filter((f) => f?.kind === "segment").map((f) => (f as { msn: number }).msn);
    assert.deepEqual(segs, [0, 1, 5], "the two the queue held, and the last one, written once the queue had room");
    const playlist = (await storage.read(`replays/shw_c/${REPLAY_PLAYLIST}`))!.toString();
    assert.equal(playlist.match(/#EXT-X-GAP/g)!.length, 3, "segments 2, 3 and 4 are gaps");
    assert.ok(lines.some((l) => l.kind === "overflow" && l.heldBack === 2), "the held-back count is logged when the recording is finalized");
  });

  test("after a crash mid-show, what was written is finalized by the next run", async () => {
    const first = createRecorder(storage, recordingCallbacks().callbacks, pino({ level: "silent" }));
    const stream = newStream("ddd");
    first.record("shw_d", stream);
    feeder(stream).parts(26); // 5 complete segments, then the process dies (no end())
    await first.close();
    assert.equal(await storage.read(`replays/shw_d/${REPLAY_PLAYLIST}`), null);

    const { calls, callbacks } = recordingCallbacks();
    const next = createRecorder(storage, callbacks, pino({ level: "silent" }));
    assert.equal(await next.finalize("shw_d"), "ready");
    assert.deepEqual(calls, ["finalized shw_d ready"]);
    const playlist = (await storage.read(`replays/shw_d/${REPLAY_PLAYLIST}`))!.toString();
    assert.equal(playlist.match(/#EXTINF:1,/g)!.length, 5);
    assert.ok(playlist.endsWith("#EXT-X-ENDLIST\n"));

    assert.equal(await next.finalize("shw_nothing"), "empty");
    assert.deepEqual(calls.at(-1), "finalized shw_nothing empty");
  });

  test("a storage failure is logged; the recording goes on", async () => {
    let failNext = true;
    const flaky: MediaStorage = {
      ...storage,
      write: async (k, d) => {
        if (k.includes("-s1-") && failNext) {
          failNext = false;
          throw new Error("EIO");
        }
        return storage.write(k, d);
      },
    };
    const { logger, lines } = capturingLogger();
    const recorder = createRecorder(flaky, recordingCallbacks().callbacks, logger);
    const stream = newStream("eee");
    recorder.record("shw_e", stream);
    feeder(stream).parts(16);
    stream.end();
    await recorder.close();
    assert.ok(lines.some((l) => l.level === 50 && /writing a segment failed/.test(l.msg)));
    const playlist = (await storage.read(`replays/shw_e/${REPLAY_PLAYLIST}`))!.toString();
    assert.equal(playlist.match(/#EXT-X-GAP/g)!.length, 1);
    assert.equal(playlist.match(/eee-s\d+-t/g)!.length, 3);
  });
});
