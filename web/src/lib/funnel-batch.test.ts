import { test } from "node:test";
import assert from "node:assert/strict";
import { FunnelBatcher, type FunnelEvent } from "./funnel-batch.ts";

const tap = (i: number): FunnelEvent => ({ kind: "card.tapped", showId: "shw_1", productId: `prd_${i}` });
const ids = (batch: FunnelEvent[] | null) => batch?.map((e) => e.productId) ?? null;

test("events go out in batches of at most 50, one request at a time", () => {
  const b = new FunnelBatcher();
  assert.equal(b.take(0), null, "nothing to send");
  for (let i = 0; i < 120; i++) b.add(tap(i));
  const first = b.take(0)!;
  assert.equal(first.length, 50);
  assert.equal(first[0]!.productId, "prd_0");
  assert.equal(b.take(0), null, "one batch in flight at a time");
  b.settle({ status: 202 }, 0);
  assert.equal(b.take(0)!.length, 50);
  b.settle({ status: 202 }, 0);
  assert.deepEqual(ids(b.take(0)), Array.from({ length: 20 }, (_, i) => `prd_${100 + i}`));
  b.settle({ status: 202 }, 0);
  assert.equal(b.size, 0);
  assert.equal(b.dropped, 0);
});

test("a 429 keeps the batch, in order, and waits for Retry-After before sending again", () => {
  const b = new FunnelBatcher();
  b.add(tap(1));
  b.add(tap(2));
  const batch = b.take(1000)!;
  b.add(tap(3));
  b.settle({ status: 429, retryAfterS: 3 }, 1000);
  assert.equal(b.size, 3);
  assert.equal(b.take(3999), null, "still within Retry-After");
  assert.deepEqual(ids(b.take(4000)), ids([...batch, tap(3)]));
});

test("no answer or a server error backs off exponentially, capped; a success resets it", () => {
  const b = new FunnelBatcher({ backoffMs: 1000, maxBackoffMs: 4000 });
  b.add(tap(1));
  const expectWait = (from: number, ms: number) => {
    assert.equal(b.take(from + ms - 1), null, `waits ${ms} ms`);
    assert.ok(b.take(from + ms), `sends again after ${ms} ms`);
    return from + ms;
  };
  assert.ok(b.take(0));
  b.settle({ status: 0 }, 0);
  let now = expectWait(0, 1000);
  b.settle({ status: 503 }, now);
  now = expectWait(now, 2000);
  b.settle({ status: 0 }, now);
  now = expectWait(now, 4000);
  b.settle({ status: 500 }, now);
  now = expectWait(now, 4000);
  b.settle({ status: 202 }, now);
  assert.equal(b.size, 0);
  b.add(tap(2));
  assert.ok(b.take(now), "after a success nothing holds the next batch back");
  b.settle({ status: 0 }, now);
  expectWait(now, 1000);
});

test("a batch the server refuses as invalid is dropped, not retried forever", () => {
  const b = new FunnelBatcher();
  b.add(tap(1));
  b.take(0);
  b.settle({ status: 400 }, 0);
  assert.equal(b.size, 0);
  assert.equal(b.dropped, 1);
  assert.equal(b.take(0), null);
});

test("the queue is bounded: the oldest events give way and are counted", () => {
  const b = new FunnelBatcher({ maxQueued: 60 });
  for (let i = 0; i < 70; i++) b.add(tap(i));
  assert.equal(b.size, 60);
  assert.equal(b.dropped, 10);
  assert.equal(b.take(0)![0]!.productId, "prd_10");
});

test("drain hands over what is queued in server-sized batches (for sendBeacon on pagehide)", () => {
  const b = new FunnelBatcher();
  for (let i = 0; i < 75; i++) b.add(tap(i));
  const inFlight = b.take(0)!;
  assert.equal(inFlight.length, 50);
  b.add(tap(75));
  const drained = b.drain();
  assert.deepEqual(
    drained.map((d) => d.length),
    [26],
  );
  assert.equal(drained[0]![0]!.productId, "prd_50");
  assert.equal(b.size, 0);
  for (let i = 0; i < 101; i++) b.add(tap(i));
  assert.deepEqual(
    b.drain().map((d) => d.length),
    [50, 50, 1],
  );
});
