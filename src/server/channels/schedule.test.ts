import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { adopt, handBack, livePlaylist, positionAt, prepare, windowAt, type CompiledSchedule, type PlayoutState, type PreparedSchedule } from "./schedule.ts";

/** A schedule of items, each a list of segment durations (ms); item 1 has two publishes (inits). */
function schedule(): CompiledSchedule {
  const seg = (item: number, n: number, durMs: number, init: string, cont: boolean) => ({ key: `k/${item}-${n}.mp4`, init, durMs, item, cont });
  return {
    version: 1,
    items: [0, 1, 2].map((i) => ({ kind: "replay" as const, refId: `shw_${i}`, title: `Show ${i}`, showId: `shw_${i}`, durationMs: 0, problem: null })),
    segments: [
      seg(0, 0, 1000, "k/a-init.mp4", false),
      seg(0, 1, 1000, "k/a-init.mp4", true),
      seg(0, 2, 500, "k/a-init.mp4", true),
      seg(1, 0, 2000, "k/b-init.mp4", false),
      seg(1, 1, 2000, "k/b-init.mp4", true),
      seg(1, 2, 1000, "k/c-init.mp4", false), // a second publish of the same show
      seg(2, 0, 1500, "k/d-init.mp4", false),
    ],
    cards: [
      { startMs: 0, endMs: 2500, item: 0, productId: "p0", showId: "shw_0" },
      { startMs: 2500, endMs: 7500, item: 1, productId: "p1", showId: "shw_1" },
      { startMs: 7500, endMs: 9000, item: 2, productId: null, showId: "shw_2" },
    ],
    codecs: "h264+aac",
  };
}

/** What a player learns from successive playlists: seq → (key, discontinuity number), which must never change. */
function checkContinuity(ps: PreparedSchedule, state: () => PlayoutState, times: number[]) {
  const seen = new Map<number, { key: string; disc: number }>();
  let lastSeq = -1;
  let lastDisc = -1;
  for (const t of times) {
    const w = windowAt(ps, state(), t, 4);
    const text = livePlaylist(ps, w, (k) => k);
    const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)![1]);
    const disc = Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(text)![1]);
    assert.ok(seq >= lastSeq, `media sequence never goes back (${seq} after ${lastSeq})`);
    assert.ok(disc >= lastDisc, "discontinuity sequence never goes back");
    lastSeq = seq;
    lastDisc = disc;
    // Read the playlist as a player does: each segment's number and discontinuity number.
    let s = seq;
    let d = disc;
    for (const line of text.split("\n")) {
      if (line === "#EXT-X-DISCONTINUITY") d++;
      else if (line && !line.startsWith("#")) {
        const before = seen.get(s);
        if (before) assert.deepEqual({ key: line, disc: d }, before, `segment ${s} is the same in every playlist`);
        else seen.set(s, { key: line, disc: d });
        s++;
      }
    }
  }
  return seen;
}

describe("channel schedule math", () => {
  const ps = prepare(schedule());

  test("a loop: length, runs (item starts, a new init), target duration", () => {
    assert.equal(ps.loopMs, 9000);
    assert.deepEqual(ps.runStart, [true, false, false, true, false, true, true]);
    assert.equal(ps.runsPerLoop, 4);
    assert.equal(ps.targetDuration, 2);
  });

  test("sequence numbers are continuous across window slides and loop wraps; discontinuities counted per run", () => {
    const epoch = 1_000_000;
    const state = { epoch, seqBase: 0, discBase: 0, takeoverStartedAt: null };
    const times = Array.from({ length: 400 }, (_, k) => epoch + k * 113); // ~5 loops, in steps that land anywhere
    const seen = checkContinuity(ps, () => state, times);
    // Every loop wraps with a discontinuity: segment N (loop 1, first) has discontinuity number R.
    assert.deepEqual(seen.get(7), { key: "k/0-0.mp4", disc: 4 });
    assert.deepEqual(seen.get(14), { key: "k/0-0.mp4", disc: 8 });
    assert.deepEqual(seen.get(12), { key: "k/1-2.mp4", disc: 6 + 0 }); // loop 1: 4 + run index 2
    assert.deepEqual(seen.get(13), { key: "k/2-0.mp4", disc: 7 });
  });

  test("the playlist: MAP at the start and at every run, PDT on the wall clock, DISCONTINUITY between runs", () => {
    const state = { epoch: Date.UTC(2026, 0, 1), seqBase: 0, discBase: 0, takeoverStartedAt: null };
    const text = livePlaylist(ps, windowAt(ps, state, state.epoch + 9000 + 3200, 5), (k) => `media/${k}`);
    assert.equal(
      text,
      [
        "#EXTM3U",
        "#EXT-X-VERSION:6",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:6",
        "#EXT-X-DISCONTINUITY-SEQUENCE:3",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="media/k/d-init.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:07.500Z",
        "#EXTINF:1.5,",
        "media/k/2-0.mp4",
        "#EXT-X-DISCONTINUITY",
        '#EXT-X-MAP:URI="media/k/a-init.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:09.000Z",
        "#EXTINF:1,",
        "media/k/0-0.mp4",
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:10.000Z",
        "#EXTINF:1,",
        "media/k/0-1.mp4",
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:11.000Z",
        "#EXTINF:0.5,",
        "media/k/0-2.mp4",
        "#EXT-X-DISCONTINUITY",
        '#EXT-X-MAP:URI="media/k/b-init.mp4"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:11.500Z",
        "#EXTINF:2,",
        "media/k/1-0.mp4",
        "",
      ].join("\n"),
    );
  });

  test("a takeover pauses playout; hand-back resumes where it paused (epoch shifted by the takeover's length)", () => {
    const epoch = 5_000_000;
    const state: PlayoutState = { epoch, seqBase: 0, discBase: 0, takeoverStartedAt: null };
    const start = epoch + 4200;
    const end = start + 61_000;
    const times: number[] = [];
    for (let t = epoch; t < end + 20_000; t += 97) times.push(t);
    // one state function over time: playing, taken over, handed back
    let cur: PlayoutState = state;
    const at = (t: number): PlayoutState => (t < start ? state : t < end ? { ...state, takeoverStartedAt: start } : { ...state, ...handBack({ ...state, takeoverStartedAt: start }, end), takeoverStartedAt: null });
    let i = 0;
    checkContinuity(ps, () => (cur = at(times[i++]!)), times);
    assert.equal(positionAt({ ...state, takeoverStartedAt: start }, end - 1), 4200, "paused during the takeover");
    const back = { ...state, ...handBack({ ...state, takeoverStartedAt: start }, end), takeoverStartedAt: null };
    assert.equal(back.epoch, epoch + 61_000);
    assert.equal(positionAt(back, end), 4200, "resumes at the same place");
    assert.equal(positionAt(back, end + 1000), 5200);
    assert.ok(cur);
  });

  test("adopting a new schedule numbers it after everything the old one listed", () => {
    const epoch = 0;
    const old: PlayoutState = { epoch, seqBase: 0, discBase: 0, takeoverStartedAt: null };
    const t = 50_000; // loop 5, offset 5000: segment 4 of loop 5 → h = 39
    const before = windowAt(ps, old, t, 8);
    const next = adopt(ps, old, t);
    assert.equal(next.epoch, t);
    const newer = prepare({ ...schedule(), segments: schedule().segments.slice(3) });
    const after = windowAt(newer, { ...old, ...next }, t + 10, 8);
    assert.ok(after[0]!.seq > before[before.length - 1]!.seq);
    assert.ok(after[0]!.disc > before[before.length - 1]!.disc);
    // during a takeover the new schedule starts where the takeover began, so hand-back plays it from its start
    const during = adopt(ps, { ...old, takeoverStartedAt: 40_000 }, t);
    assert.equal(during.epoch, 40_000);
  });
});
