import { test } from "node:test";
import assert from "node:assert/strict";
import { productAt, showcaseIndexAt, sortedTimeline } from "./showcase-at.ts";

const T0 = Date.parse("2026-05-01T18:00:00.000Z");
const FRAME = 1000 / 30;
const timeline = [
  { at: T0 + 3000, productId: "prd_tee" },
  { at: T0 + 6000, productId: "prd_mug" },
  { at: T0 + 9000, productId: null },
  { at: T0 + 12_000, productId: "prd_tee" },
];

test("no card before the first showcase, nor without a clock", () => {
  assert.equal(productAt(timeline, T0), null);
  assert.equal(showcaseIndexAt(timeline, T0 + 3000 - 1), -1);
  assert.equal(showcaseIndexAt(timeline, null), -1);
  assert.equal(productAt([], T0), null);
});

test("a card applies from the frame stamped at its instant (pdt >= at), until the next showcase", () => {
  assert.equal(productAt(timeline, T0 + 3000), "prd_tee");
  assert.equal(productAt(timeline, T0 + 3000 + FRAME), "prd_tee");
  assert.equal(productAt(timeline, T0 + 6000 - 0.5), "prd_tee");
  assert.equal(productAt(timeline, T0 + 6000), "prd_mug");
  assert.equal(showcaseIndexAt(timeline, T0 + 6000), 1);
});

test("a showcase of nothing hides the card; a later one shows it again", () => {
  assert.equal(productAt(timeline, T0 + 9000), null);
  assert.equal(showcaseIndexAt(timeline, T0 + 9000), 2);
  assert.equal(productAt(timeline, T0 + 12_000), "prd_tee");
  assert.equal(showcaseIndexAt(timeline, T0 + 99_000), 3);
});

test("seeking anywhere, in any order, gives the card in effect there", () => {
  const frames = [T0 + 13_000, T0 + 1000, T0 + 7000, T0 + 4000, T0 + 9500, T0 + 3000];
  assert.deepEqual(
    frames.map((pdt) => productAt(timeline, pdt)),
    ["prd_tee", null, "prd_mug", "prd_tee", null, "prd_tee"],
  );
});

test("of showcases at the same instant the later one wins", () => {
  const same = [
    { at: T0, productId: "prd_a" },
    { at: T0, productId: "prd_b" },
  ];
  assert.equal(productAt(same, T0), "prd_b");
  assert.equal(productAt(same, T0 - 1), null);
});

test("sortedTimeline orders by instant and keeps the given order of equal instants", () => {
  const sorted = sortedTimeline([
    { at: T0 + 5, productId: "c" },
    { at: T0, productId: "a" },
    { at: T0 + 5, productId: "d" },
    { at: T0, productId: "b" },
  ]);
  assert.deepEqual(sorted.map((e) => e.productId), ["a", "b", "c", "d"]);
});

test("agrees with a linear scan over a long timeline", () => {
  const long = Array.from({ length: 200 }, (_, i) => ({ at: T0 + i * 250 + (i % 3 === 0 ? 0 : 7), productId: i % 5 === 0 ? null : `prd_${i}` }));
  for (let pdt = T0 - 500; pdt < T0 + 200 * 250 + 500; pdt += 37) {
    let expected = -1;
    for (let i = 0; i < long.length; i++) if (long[i]!.at <= pdt) expected = i;
    assert.equal(showcaseIndexAt(long, pdt), expected, `at ${pdt - T0}`);
  }
});
