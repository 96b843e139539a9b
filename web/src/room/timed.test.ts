import { test } from "node:test";
import assert from "node:assert/strict";
import type { Product } from "../../../src/shared/contracts/catalog.ts";
import type { FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import type { ServerEvent } from "../../../src/shared/contracts/room.ts";
import { flashPhase, flashRemaining, nextFlashInstant, saleClock } from "./flash.ts";
import { arrive, due, FrameClock, type TimedEvent, type Waiting } from "./timed.ts";
import { initial, reducer, type RoomState } from "./use-room.ts";

const T0 = Date.parse("2026-05-01T18:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
const FRAME = 1000 / 30;

function sale(over: Partial<FlashSale> = {}): FlashSale {
  return {
    id: "fls_1",
    showId: "shw_1",
    productId: "prd_1",
    variantId: "var_1",
    title: "Mug",
    variantTitle: "—",
    image: null,
    regularPrice: 2400,
    salePrice: 990,
    currency: "EUR",
    quantity: 5,
    perBuyerLimit: 1,
    opensAt: iso(T0 + 10_000),
    endsAt: iso(T0 + 70_000),
    holdSeconds: 300,
    phase: "countdown",
    available: 5,
    held: 0,
    sold: 0,
    serverTime: iso(T0),
    ...over,
  };
}
const flash = (s: FlashSale, at?: number): Extract<TimedEvent, { type: "flash.state" }> => ({ type: "flash.state", sale: s, ...(at !== undefined ? { at } : {}) });
const product = (id: string, stock = 3) => ({ id, title: id, variants: [{ stock }] }) as unknown as Product;
const showcase = (p: Product | null, at?: number): TimedEvent => ({ type: "product.showcased", product: p, ...(at !== undefined ? { at } : {}) });

test("an event stamped after the frame on screen waits; one the video has shown, or in the studio, applies at once", () => {
  const e = flash(sale(), T0);
  assert.deepEqual(arrive([], e, T0 - 1000), { waiting: [{ at: T0, event: e }], now: null });
  assert.deepEqual(arrive([], e, -Infinity).now, null, "before the first frame: wait for it");
  assert.equal(arrive([], e, T0).now, e, "the frame at `at` is on screen already");
  assert.equal(arrive([], e, Infinity).now, e, "the studio does not wait for frames");
  assert.equal(arrive([], flash(sale()), T0 - 1000).now !== null, true, "no `at`: at once");
});

test("refreshes update what waits for the same thing, so the screen never runs ahead of the video", () => {
  const launched = flash(sale(), T0);
  let w: readonly Waiting[] = arrive([], launched, T0 - 1000).waiting;
  // The same instant again (a stock refresh of the launch): it replaces the waiting one.
  const refresh = flash(sale({ available: 4, held: 1 }), T0);
  w = arrive(w, refresh, T0 - 900).waiting;
  assert.deepEqual(w, [{ at: T0, event: refresh }]);
  // A later change waits behind it.
  const soldOut = flash(sale({ phase: "open", available: 0, held: 5 }), T0 + 10_200);
  w = arrive(w, soldOut, T0 - 800).waiting;
  assert.deepEqual(w.map((x) => x.at), [T0, T0 + 10_200]);
  // A unit back (hold expired): the server's `at` goes back to the opening; it refreshes the latest waiting one.
  const back = flash(sale({ phase: "open", available: 1, held: 4 }), T0 + 10_000);
  const r = arrive(w, back, T0 - 700);
  assert.equal(r.now, null);
  assert.deepEqual(r.waiting.map((x) => [x.at, x.event.type === "flash.state" && x.event.sale.available]), [[T0, 4], [T0 + 10_200, 1]]);
  // Another sale is something else.
  assert.equal(arrive(w, flash(sale({ id: "fls_2" })), T0 - 700).now?.type, "flash.state");
  // A showcase refresh updates the waiting card of the same product only.
  const card = showcase(product("prd_a"), T0);
  const sw = arrive([], card, T0 - 500).waiting;
  const fresher = showcase(product("prd_a", 1));
  assert.deepEqual(arrive(sw, fresher, T0 - 400), { waiting: [{ at: T0, event: { ...card, product: product("prd_a", 1) } }], now: null });
  assert.equal(arrive(sw, showcase(product("prd_b")), T0 - 400).now?.type, "product.showcased");
});

test("what waits is due on the first frame stamped at or after it; no clock releases everything", () => {
  const a = { at: T0, event: flash(sale(), T0) };
  const b = { at: T0 + 500, event: showcase(product("prd_a"), T0 + 500) };
  assert.deepEqual(due([a, b], T0 - 1), { due: [], waiting: [a, b] });
  assert.deepEqual(due([a, b], T0), { due: [a], waiting: [b] });
  assert.deepEqual(due([a, b], T0 + 600), { due: [a, b], waiting: [] });
  assert.deepEqual(due([a, b], null), { due: [a, b], waiting: [] });
});

test("the frame clock: video now runs on from the frame on screen, but crosses the next instant only on a frame", () => {
  let local = 0;
  const c = new FrameClock(() => local);
  assert.equal(c.now(), null);
  assert.equal(c.present(T0), true, "the first frame: the room switches to the video's clock");
  c.wakeAt = T0 + 100;
  local = 20;
  assert.equal(c.now(), T0 + 20);
  local = 400; // no frame for a while (a stall): time runs on, up to just before the next instant
  assert.equal(c.now(), T0 + 99);
  assert.equal(c.present(T0 + 66), false, "a frame before the next instant changes nothing");
  assert.equal(c.present(T0 + 100), true, "the frame stamped at the instant does");
  assert.equal(c.pdt, T0 + 100);
  assert.equal(c.previousPdt, T0 + 66, "and the frame before it is known (it was before the instant)");
  c.wakeAt = Infinity;
  local = 430;
  assert.equal(c.now(), T0 + 130);
  assert.equal(c.present(null), true, "the clock goes away: back to the server's");
  assert.equal(c.now(), null);
  assert.equal(c.present(null), false);
  c.waiting = true;
  assert.equal(c.present(null), true, "without a clock, waiting events are released on the next frame");
});

test("a viewer's countdown runs on the frames: it reaches zero on the first frame stamped at or after the opening", () => {
  const s = sale({ serverTime: iso(T0 + 9_000) });
  const opens = Date.parse(s.opensAt);
  // The stream is ~1 s behind the server: frames from 3 s before the opening, 30 a second, a few
  // renders between each two (the banner re-renders on its own timer too).
  let local = 0;
  const c = new FrameClock(() => local);
  const serverAhead = 1000;
  let firstOpen: { pdt: number; render: "frame" | "timer" } | null = null;
  const seconds = new Set<string>();
  const render = (kind: "frame" | "timer") => {
    c.wakeAt = nextFlashInstant([s], c.pdt!);
    const video = c.now()!;
    const { now, clock } = saleClock(video + serverAhead, video);
    assert.equal(clock, "video");
    const phase = flashPhase({ ...s, phase: "open", serverTime: iso(opens + 500) }, now, clock);
    if (phase === "countdown") seconds.add(String(Math.ceil(flashRemaining(s, phase, now) / 1000)));
    if (phase === "open" && !firstOpen) firstOpen = { pdt: c.pdt!, render: kind };
  };
  const start = opens - 3000 + 7.3; // frames are not aligned on whole milliseconds
  for (let i = 0; i < 120; i++) {
    local = i * FRAME;
    const pdt = start + i * FRAME;
    if (c.present(pdt) || i === 0) render("frame");
    for (const dt of [8, 17, 31]) {
      local = i * FRAME + dt;
      render("timer");
    }
  }
  assert.ok(firstOpen, "it opened");
  const { pdt, render: by } = firstOpen as { pdt: number; render: string };
  assert.equal(by, "frame", "the phase flips on a frame, never between two");
  assert.ok(pdt >= opens && pdt - opens < FRAME, `opened on the frame stamped ${pdt - opens} ms after the opening`);
  assert.deepEqual([...seconds], ["3", "2", "1"], "whole seconds, down to 0:01; 0:00 is the frame it opens on");
});

test("the room: flash changes wait for their frame, the buyer's own answer does not, the studio waits for nothing", () => {
  const run = (s: RoomState, ...actions: Parameters<typeof reducer>[1][]) => actions.reduce(reducer, s);
  const snapshot: ServerEvent = {
    type: "room.snapshot", seq: 1, resumed: false, showId: "shw_1", status: "live", you: null, viewers: 1, likes: 0, showcased: null, chat: [], questions: [], counters: null, flashSales: [], recentOrders: null, slowModeSeconds: 0,
  };
  const launched = flash(sale(), T0);
  const result: ServerEvent = { type: "flash.result", result: { saleId: "fls_1", key: "k-12345678", outcome: "not_open", seq: 1, holdId: null, holdExpiresAt: null } };
  let s = run(initial, { kind: "events", events: [snapshot, launched, result], shown: T0 - 1000 });
  assert.deepEqual(s.flashSales, {}, "the launch waits for its frame");
  assert.equal(s.flashResults["k-12345678"]?.outcome, "not_open", "the buyer's own answer is shown at once");
  s = run(s, { kind: "frame", pdt: T0 - 1 });
  assert.deepEqual(s.flashSales, {});
  s = run(s, { kind: "frame", pdt: T0 + 20 });
  assert.equal(s.flashSales.fls_1?.available, 5);
  assert.equal(s.frame, T0 + 20);
  // Opened and sold out while the video is still on the countdown.
  const opened = flash(sale({ phase: "open", available: 3, held: 2, serverTime: iso(T0 + 10_100) }), T0 + 10_000);
  const soldOut = flash(sale({ phase: "open", available: 0, held: 5, serverTime: iso(T0 + 10_400) }), T0 + 10_350);
  s = run(s, { kind: "events", events: [opened, soldOut], shown: T0 + 9_500 });
  assert.equal(s.flashSales.fls_1?.phase, "countdown");
  s = run(s, { kind: "frame", pdt: T0 + 10_010 });
  assert.equal(s.flashSales.fls_1?.available, 3);
  s = run(s, { kind: "frame", pdt: T0 + 10_360 });
  assert.equal(s.flashSales.fls_1?.available, 0);
  assert.deepEqual(s.waiting, []);
  // No frame comes (no video): the fallback timer shows what waits.
  s = run(s, { kind: "events", events: [flash(sale({ phase: "ended", available: 0, sold: 5, held: 0 }), T0 + 70_000)], shown: -Infinity }, { kind: "release" });
  assert.equal(s.flashSales.fls_1?.phase, "ended");
  // The studio (shown = +Infinity): everything at once, nothing waits, so the host's latest choice is on screen.
  const studio = run(initial, { kind: "events", events: [snapshot, launched, showcase(product("prd_a"), T0 + 5)], shown: Infinity });
  assert.equal(studio.flashSales.fls_1?.id, "fls_1");
  assert.equal(studio.showcased?.id, "prd_a");
  assert.deepEqual(studio.waiting, []);
});

test("a showcase still appears on its frame, and a later one after it", () => {
  let s = reducer(initial, { kind: "events", events: [showcase(product("prd_a"), T0), showcase(product("prd_b"), T0 + 300)], shown: T0 - 1000 });
  assert.equal(s.showcased, null);
  s = reducer(s, { kind: "frame", pdt: T0 + 12 });
  assert.deepEqual([s.showcased?.id, s.showcasedAtFrame], ["prd_a", T0 + 12]);
  s = reducer(s, { kind: "events", events: [showcase(product("prd_b", 0))], shown: T0 + 100 });
  assert.equal(s.showcased?.id, "prd_a", "a refresh of the card still waiting does not show it early");
  s = reducer(s, { kind: "frame", pdt: T0 + 301 });
  assert.deepEqual([s.showcased?.id, s.showcasedAtFrame, (s.showcased?.variants[0] as { stock: number }).stock], ["prd_b", T0 + 301, 0]);
});
