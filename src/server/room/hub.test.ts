import { test } from "node:test";
import assert from "node:assert/strict";
import { MIN_CHAT_RATE, RoomHub, type Delivery, type RoomFrames } from "./hub.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

/**
 * The hub's pacing, on its own clock: how often a room of a given size gets a frame, and how much chat
 * it shows. The delivery here records frames instead of writing them to sockets (the protocol tests
 * cover the sockets).
 */
function hubWith(connections: number) {
  let now = 1_000_000;
  const frames: { at: number; frames: RoomFrames }[] = [];
  const delivery: Delivery = { frames: (_showId, f) => frames.push({ at: now, frames: f }), reply() {}, close() {} };
  const hub = new RoomHub(delivery, { onConnectionsChanged() {} }, { tickMs: 100, chatRate: 150, writesPerSecond: 40_000, chatDeliveriesPerSecond: 2_500_000, now: () => now });
  hub.stop(); // the test drives the ticks
  for (let i = 0; i < connections; i++) hub.join({ connId: `c${i}`, showId: "show", user: null, isHost: false, priority: false });
  return {
    hub,
    frames,
    /** runs `seconds` of 100 ms ticks, calling `each` before every tick */
    run(seconds: number, each: (tick: number) => void = () => {}) {
      for (let t = 0; t < seconds * 10; t++) {
        each(t);
        now += 100;
        hub.tick();
      }
    },
  };
}

const chat = (i: number): ServerEvent => ({ type: "chat.message", message: { id: `msg_${i}`, author: { id: `usr_${i % 500}`, name: `Viewer ${i}`, role: "viewer" }, text: `hello ${i}`, at: new Date(0).toISOString() } });
const chatCount = (f: RoomFrames) => (f.all ? (f.all.match(/"chat\.message"/g) ?? []).length : 0);

test("a small room gets a frame every tick; a room of 20,000 one every 500 ms, carrying the same chat", () => {
  for (const [size, expectedGapMs] of [[100, 100], [20_000, 500]] as const) {
    const { hub, frames, run } = hubWith(size);
    let sent = 0;
    run(10, () => {
      for (let k = 0; k < 10; k++) hub.chat("show", chat(sent++), `usr_${sent % 500}`, false); // 100 messages a second
    });
    run(1); // the last frame
    const gaps = frames.slice(2).map((f, i) => f.at - frames[i + 1]!.at);
    assert.ok(gaps.every((g) => g === expectedGapMs), `room of ${size}: gaps ${[...new Set(gaps)].join(",")}`);
    assert.equal(frames.reduce((n, f) => n + chatCount(f.frames), 0), sent, `room of ${size}: every message, none sampled out at 100/s`);
  }
});

test("a room of 50,000 shows fewer chat messages a second (never fewer than the floor); a small room shows up to its rate", () => {
  for (const [size, expected] of [[100, 150], [50_000, 50]] as const) {
    const { hub, frames, run } = hubWith(size);
    let sent = 0;
    run(20, () => {
      for (let k = 0; k < 100; k++) hub.chat("show", chat(sent++), `usr_${sent}`, false); // 1,000 messages a second
    });
    const shown = frames.filter((f) => f.at > 1_000_000 + 5_000).reduce((n, f) => n + chatCount(f.frames), 0) / 15;
    assert.ok(Math.abs(shown - expected) <= expected * 0.1, `room of ${size}: ${shown.toFixed(1)} shown a second, expected about ${expected}`);
    assert.ok(shown >= MIN_CHAT_RATE);
  }
});
