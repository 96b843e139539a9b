import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { recentMap } from "./recent-map.ts";

describe("recent map", () => {
  test("values expire by age, and the least recently used goes first when full", () => {
    let now = 0;
    const m = recentMap<number>({ max: 2, ttlMs: 1000, clock: () => now });
    m.set("a", 1);
    m.set("b", 2);
    assert.equal(m.get("a"), 1); // a is now the most recent
    m.set("c", 3);
    assert.equal(m.size, 2);
    assert.equal(m.get("b"), undefined);
    assert.equal(m.get("a"), 1);
    now = 1000;
    assert.equal(m.get("c"), 3, "exactly ttlMs old is still kept");
    now = 1001;
    assert.equal(m.get("c"), undefined);
    assert.equal(m.size, 1, "an expired entry is dropped when read");
  });

  test("null is a kept value; split names the hits and the misses once each", () => {
    const m = recentMap<string | null>({ max: 10, ttlMs: 1000 });
    m.set("gone", null);
    m.set("x", "X");
    const { hits, misses } = m.split(["x", "gone", "y", "x", "y"]);
    assert.deepEqual([...hits], [["x", "X"], ["gone", null]]);
    assert.deepEqual(misses, ["y"]);
  });

  test("a value read across a drop is not kept; a later one is, until the next drop (search pages across index writes)", () => {
    const m = recentMap<string>({ max: 10, ttlMs: 60_000 });
    const before = m.generation();
    m.clear(); // the index changed while the page was being read
    m.set("q", "stale", before);
    assert.equal(m.get("q"), undefined);
    m.set("q", "fresh", m.generation());
    assert.equal(m.get("q"), "fresh");
    const beforeDelete = m.generation();
    m.delete("other"); // a drop of any key moves the generation on
    m.set("r", "stale", beforeDelete);
    assert.equal(m.get("r"), undefined);
    m.clear();
    assert.equal(m.get("q"), undefined);
  });

  test("delete and clear drop values", () => {
    const m = recentMap<number>({ max: 10, ttlMs: 1000 });
    m.set("a", 1);
    m.set("b", 2);
    m.delete("a");
    assert.equal(m.get("a"), undefined);
    assert.equal(m.get("b"), 2);
    m.clear();
    assert.equal(m.size, 0);
  });
});
