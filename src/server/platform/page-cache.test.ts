import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { pageCache } from "./page-cache.ts";

describe("search page cache", () => {
  test("a page read across an index write is not kept; a later one is, until the next write", () => {
    const c = pageCache<string>({ max: 10, ttlMs: 60_000 });
    const before = c.generation();
    c.invalidate(); // the index changed while the page was being read
    c.set("q", "stale", before);
    assert.equal(c.get("q"), undefined);
    c.set("q", "fresh", c.generation());
    assert.equal(c.get("q"), "fresh");
    c.invalidate();
    assert.equal(c.get("q"), undefined);
  });

  test("pages expire and the least recently used goes first", () => {
    let now = 0;
    const c = pageCache<number>({ max: 2, ttlMs: 1000, clock: () => now });
    c.set("a", 1, c.generation());
    c.set("b", 2, c.generation());
    assert.equal(c.get("a"), 1); // a is now the most recent
    c.set("c", 3, c.generation());
    assert.equal(c.get("b"), undefined);
    assert.equal(c.get("a"), 1);
    now = 1001;
    assert.equal(c.get("c"), undefined);
  });
});
