import { test } from "node:test";
import assert from "node:assert/strict";
import type { FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import { formatCountdown, serverClock } from "../lib/server-clock.ts";
import { discountPercent, flashPhase, flashRemaining, openHold, pickSale } from "./flash.ts";

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
