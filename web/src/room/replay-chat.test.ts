import { test } from "node:test";
import assert from "node:assert/strict";
import type { ReplayChatPage } from "../../../src/shared/contracts/replays.ts";
import { appendPage, blockOf, nextFetch, prependPage, reachedCount, SHOWN_MESSAGES } from "./replay-chat.ts";

const T0 = Date.parse("2026-05-01T18:00:00.000Z");
/** a page of messages at these offsets (ms; the instant is T0 + offset) */
const page = (offsets: number[], older: string | null = null, newer: string | null = null): ReplayChatPage => ({
  items: offsets.map((o) => ({ id: `msg_${o}`, author: { id: "usr_1", name: "Sofia", role: "viewer" }, text: `at ${o}`, at: new Date(T0 + o).toISOString(), offsetMs: o })),
  older,
  newer,
  durationMs: 600_000,
});

test("a message is reached on the first frame stamped at or after it, or without a frame clock at its offset", () => {
  const { items } = blockOf(page([]), page([1000, 2000, 2000, 3000]));
  assert.equal(reachedCount(items, T0 + 1999, 0), 1);
  assert.equal(reachedCount(items, T0 + 2000, 0), 3);
  assert.equal(reachedCount(items, null, 2999), 3);
  assert.equal(reachedCount(items, null, 0), 0);
});

test("no block: one around the playhead; a seek outside the block: a new one", () => {
  assert.deepEqual(nextFetch(null, 5000), { kind: "reset", at: 5000 });
  const block = blockOf(page(Array.from({ length: SHOWN_MESSAGES }, (_, i) => 60_000 + i), "b-old"), page([70_000, 80_000, 90_000], null, "a-new"));
  assert.deepEqual(nextFetch(block, 50_000), { kind: "reset", at: 50_000 }, "before the first message held, with older ones unknown");
  assert.deepEqual(nextFetch(block, 90_000 + 16_000), { kind: "reset", at: 106_000 }, "well past the last");
  assert.equal(nextFetch(block, 70_000), null, "inside, nothing needed");
  assert.deepEqual(nextFetch(block, 81_000), { kind: "newer", cursor: "a-new" }, "playing towards the last message held");
});

test("too few messages before the playhead: the page before; the start and the end of the chat are known", () => {
  const block = blockOf(page([1000, 2000], "b-x"), page([3000], null, null));
  assert.deepEqual(nextFetch(block, 2500), { kind: "older", cursor: "b-x" });
  const whole = prependPage(block, page([500], null, "a-y"));
  assert.deepEqual(whole.items.map((m) => m.offsetMs), [500, 1000, 2000, 3000]);
  assert.equal(nextFetch(whole, 2500), null);
  assert.equal(nextFetch(whole, 400_000), null, "the whole chat is held");
});

test("appending lets go of the oldest messages far behind the playhead, and can page back to them", () => {
  let block = blockOf(page([]), page(Array.from({ length: 1400 }, (_, i) => i * 10), null, "a-1"));
  block = appendPage(block, page(Array.from({ length: 200 }, (_, i) => 14_000 + i * 10), "b-2", "a-2"), 15_000);
  assert.ok(block.items.length <= 1500);
  assert.ok(reachedCount(block.items, null, 15_000) >= SHOWN_MESSAGES * 2);
  assert.match(block.older!, /^b\d+_msg_\d+$/);
  assert.equal(block.newer, "a-2");
  assert.equal(appendPage(block, page([]), 15_000).newer, null, "an empty page: the end");
});
