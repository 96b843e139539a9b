import { test } from "node:test";
import assert from "node:assert/strict";
import type { FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import { formatCountdown, serverClock } from "../lib/server-clock.ts";
import { discountPercent, flashPhase, flashRemaining, nextFlashInstant, openHold, pickSale, saleClock, VIDEO_CLOCK_MAX_SKEW_MS } from "./flash.ts";

const T0 = Date.parse("2026-05-01T18:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();
function sale(id: string, opensIn: number, runs = 60_000, over: Partial<FlashSale> = {}): FlashSale {
  return {
    id,
    showId: "shw_1",
    productId: "prd_1",
    variantId: "var_1",
    title: "Tee",
    variantTitle: "M",
    image: null,
    regularPrice: 2900,
    salePrice: 990,
    currency: "EUR",
    quantity: 10,
    perBuyerLimit: 1,
    opensAt: iso(T0 + opensIn),
    endsAt: iso(T0 + opensIn + runs),
    holdSeconds: 300,
    phase: "countdown",
    available: 10,
    held: 0,
    sold: 0,
    serverTime: iso(T0),
    ...over,
  };
}

test("countdown text rounds up to whole seconds, so 0:00 means over", () => {
  assert.equal(formatCountdown(27_000), "0:27");
  assert.equal(formatCountdown(26_001), "0:27");
  assert.equal(formatCountdown(299_000), "4:59");
  assert.equal(formatCountdown(300), "0:01");
  assert.equal(formatCountdown(0), "0:00");
  assert.equal(formatCountdown(-5000), "0:00");
});

test("phase follows the server's instants, never behind what the server last said", () => {
  const s = sale("a", 10_000);
  assert.equal(flashPhase(s, T0), "countdown");
  assert.equal(flashPhase(s, T0 + 10_000), "open");
  assert.equal(flashPhase(s, T0 + 70_000), "ended");
  // The server already said open (our clock estimate is a little behind): open.
  assert.equal(flashPhase({ ...s, phase: "open" }, T0 + 9_990), "open");
  assert.equal(flashRemaining(s, "countdown", T0 + 3_000), 7_000);
  assert.equal(flashRemaining(s, "open", T0 + 10_000), 60_000);
});

test("on the video's clock, the server's phase does not pull the banner ahead unless the instants cannot explain it", () => {
  const s = sale("a", 10_000);
  // The server opened the sale; the frame on screen is 300 ms before the opening: still the countdown.
  const opened = { ...s, phase: "open" as const, serverTime: iso(T0 + 10_050) };
  assert.equal(flashPhase(opened, T0 + 9_700, "video"), "countdown");
  assert.equal(flashPhase(opened, T0 + 10_000, "video"), "open");
  assert.equal(flashRemaining(opened, "countdown", T0 + 9_700), 300);
  // Ended by the server before its end time (not derivable from the instants): ended on any clock.
  const endedEarly = { ...s, phase: "ended" as const, serverTime: iso(T0 + 30_000) };
  assert.equal(flashPhase(endedEarly, T0 + 29_000, "video"), "ended");
  // Ended on time, the video 1 s behind: open until the frame of the end.
  const ended = { ...s, phase: "ended" as const, serverTime: iso(T0 + 70_100) };
  assert.equal(flashPhase(ended, T0 + 69_100, "video"), "open");
  assert.equal(flashPhase(ended, T0 + 69_100, "server"), "ended");
  // pickSale judges on the same clock.
  assert.equal(pickSale([opened, sale("b", -1_000)], T0 + 9_700, new Set(), new Set(), "video")?.id, "b");
});

test("a viewer uses the video's clock when it is close to the server's, else the server's", () => {
  assert.deepEqual(saleClock(T0, T0 - 1_200), { now: T0 - 1_200, clock: "video" });
  assert.deepEqual(saleClock(T0, null), { now: T0, clock: "server" });
  assert.deepEqual(saleClock(T0, T0 - VIDEO_CLOCK_MAX_SKEW_MS - 1), { now: T0, clock: "server" });
  assert.deepEqual(saleClock(T0, T0 + VIDEO_CLOCK_MAX_SKEW_MS + 1), { now: T0, clock: "server" });
});

test("the next instant a sale changes on screen: each whole second of the countdown, the opening, the seconds left, the end", () => {
  const s = sale("a", 10_000, 60_000);
  assert.equal(nextFlashInstant([s], T0), T0 + 1_000);
  assert.equal(nextFlashInstant([s], T0 + 8_500), T0 + 9_000);
  assert.equal(nextFlashInstant([s], T0 + 9_000), T0 + 10_000, "from 0:01 to open");
  assert.equal(nextFlashInstant([s], T0 + 9_999.5), T0 + 10_000);
  assert.equal(nextFlashInstant([s], T0 + 10_000), T0 + 11_000);
  assert.equal(nextFlashInstant([s], T0 + 69_400), T0 + 70_000, "the end");
  assert.equal(nextFlashInstant([s], T0 + 70_000), Infinity);
  assert.equal(nextFlashInstant([s, sale("b", 10_300)], T0 + 8_500), T0 + 9_000);
  assert.equal(nextFlashInstant([s, sale("b", 10_300)], T0 + 9_100), T0 + 9_300);
  assert.equal(nextFlashInstant([], T0), Infinity);
});

test("the clock offset is the highest recent sample (a late message can only look older)", () => {
  const local = Date.now();
  serverClock.observe(iso(local + 5_000 - 300), local); // 300 ms in flight
  serverClock.observe(iso(local + 5_000 - 40), local); // 40 ms in flight
  serverClock.observe(iso(local + 5_000 - 900), local); // waited for a tick
  assert.equal(serverClock.offset, 5_000 - 40);
});

test("the player shows a held sale first, then open, then the next countdown, then the latest ended", () => {
  const open = sale("open", -1_000);
  const soon = sale("soon", 20_000);
  const later = sale("later", 60_000);
  const ended = sale("ended", -120_000);
  assert.equal(pickSale([later, ended, soon, open], T0, new Set())?.id, "open");
  assert.equal(pickSale([later, ended, soon], T0, new Set())?.id, "soon");
  assert.equal(pickSale([ended], T0, new Set())?.id, "ended");
  assert.equal(pickSale([ended], T0, new Set(["ended"])), null);
  assert.equal(pickSale([open, ended], T0, new Set(["ended"]), new Set(["ended"]))?.id, "ended");
});

test("discount and open holds", () => {
  assert.equal(discountPercent(2900, 990), 66);
  assert.equal(discountPercent(2900, 2900), null);
  const mine = { pendingKey: null, last: "won" as const, holds: [{ holdId: "h1", expiresAt: iso(T0 + 1000) }, { holdId: "h2", expiresAt: iso(T0 + 5000), paid: true }] };
  assert.equal(openHold(mine, T0)?.holdId, "h1");
  assert.equal(openHold(mine, T0 + 1000), null);
});
