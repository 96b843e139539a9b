import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { replayClockOf } from "./replay-clock.ts";
import { vodPlaylist } from "./vod-playlist.ts";

const T0 = Date.UTC(2026, 4, 1, 18, 0, 0, 394);

describe("the replay's clock", () => {
  // Two publishes: 5 s from T0 (segment 2 lost: a gap), a 3 s pause, then 3 s from T0 + 8 s.
  const names = [
    "aaa-init.mp4",
    ...[0, 1, 3, 4].map((i) => `aaa-s${i}-t${T0 + i * 1000}-d1000000.mp4`),
    "bbb-init.mp4",
    ...[0, 1, 2].map((i) => `bbb-s${i}-t${T0 + 8000 + i * 1000}-d1000000.mp4`),
  ];
  const clock = replayClockOf(vodPlaylist(names)!)!;

  test("an instant maps to the first frame stamped at or after it: inside a segment, before the start, in a pause, after the end", () => {
    assert.equal(clock.durationMs, 8000);
    assert.equal(clock.offsetOf(T0), 0);
    assert.equal(clock.offsetOf(T0 - 60_000), 0, "before the first frame: the start");
    assert.equal(clock.offsetOf(T0 + 1500), 1500);
    assert.equal(clock.offsetOf(T0 + 2500), 2500, "a gap segment keeps the time");
    assert.equal(clock.offsetOf(T0 + 4999), 4999);
    assert.equal(clock.offsetOf(T0 + 5000), 5000, "the pause between publishes: the next run's start");
    assert.equal(clock.offsetOf(T0 + 7000), 5000);
    assert.equal(clock.offsetOf(T0 + 8000), 5000);
    assert.equal(clock.offsetOf(T0 + 9250), 6250);
    assert.equal(clock.offsetOf(T0 + 11_000), 8000, "after the last frame: the end");
    assert.equal(clock.offsetOf(T0 + 99_000), 8000);
  });

  test("instantFrom is the smallest instant reached at an offset", () => {
    assert.equal(clock.instantFrom(0), -Infinity);
    assert.equal(clock.instantFrom(1500), T0 + 1500);
    assert.equal(clock.instantFrom(5000), T0 + 5000, "the pause belongs to the next run's start");
    assert.equal(clock.instantFrom(5001), T0 + 8001);
    assert.equal(clock.instantFrom(8000), T0 + 11_000);
    assert.equal(clock.instantFrom(8001), Infinity);
    // The defining property, over a range of instants and offsets.
    for (let off = 1; off <= 8000; off += 137) {
      const t = clock.instantFrom(off);
      assert.ok(clock.offsetOf(t) >= off && clock.offsetOf(t - 1) < off, `offset ${off}: instant ${t - T0}`);
    }
  });

  test("fractional durations add up as the player adds them; a playlist without program dates has no clock", () => {
    const c = replayClockOf(vodPlaylist(["x-init.mp4", `x-s0-t${T0}-d966667.mp4`, `x-s1-t${T0 + 967}-d1033333.mp4`])!)!;
    assert.equal(c.durationMs, 2000);
    assert.equal(c.offsetOf(T0 + 967), 967);
    assert.equal(c.offsetOf(T0 + 1500), 1500);
    assert.equal(replayClockOf("#EXTM3U\n#EXTINF:1,\na.mp4\n#EXT-X-ENDLIST\n"), null);
  });
});
