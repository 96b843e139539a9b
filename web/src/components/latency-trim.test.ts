import { test } from "node:test";
import assert from "node:assert/strict";
import { latencyTrim } from "./latency-trim.ts";

test("the playhead moves forward only when well behind the target and the buffer covers the jump", () => {
  // hls.js settled at 1.18 s against 0.69 s with 1.05 s buffered: jump to 0.05 s above the target, keeping 0.4 s ahead
  assert.equal(latencyTrim(1.18, 0.69, 100, 101.05), 0.44);
  // the buffer limits the jump
  assert.equal(latencyTrim(1.5, 0.69, 100, 100.8), 0.4);
  // close enough to the target, or not enough buffered: nothing
  assert.equal(latencyTrim(0.8, 0.69, 100, 101), 0);
  assert.equal(latencyTrim(1.2, 0.69, 100, 100.45), 0);
  // no target, no buffer, no latency yet: nothing
  assert.equal(latencyTrim(1.2, null, 100, 101), 0);
  assert.equal(latencyTrim(1.2, 0.69, 100, null), 0);
  assert.equal(latencyTrim(Number.NaN, 0.69, 100, 101), 0);
  // it never moves backwards
  assert.equal(latencyTrim(0.2, 0.69, 100, 101), 0);
});
