import { test } from "node:test";
import assert from "node:assert/strict";
import { bpsToPercentInput, formatBps, invalidHandles, parseHandles, parsePercent } from "./rates.ts";

test("percentages typed by a brand become exact basis points", () => {
  const ok = (s: string, bps: number) => assert.deepEqual(parsePercent(s), { ok: true, bps }, s);
  ok("12.5", 1250);
  ok("12,5", 1250);
  ok("12.55", 1255);
  ok("7", 700);
  ok(" 10 % ", 1000);
  ok("3.33", 333);
  ok("80", 8000);
  ok("1", 100);
  ok("12.50", 1250);
  ok("12.500", 1250); // trailing zeros are harmless
});

test("malformed, over-precise and out-of-range rates are refused", () => {
  const bad = (s: string, reason: string) => assert.deepEqual(parsePercent(s), { ok: false, reason }, s);
  bad("", "empty");
  bad("  ", "empty");
  bad("abc", "invalid");
  bad("-5", "invalid");
  bad("1.2.3", "invalid");
  bad("12.555", "too_precise");
  bad("0.5", "out_of_range");
  bad("80.01", "out_of_range");
  bad("100", "out_of_range");
  bad("1000", "invalid");
  assert.deepEqual(parsePercent("0.5", { min: 1, max: 10_000 }), { ok: true, bps: 50 });
});

test("basis points back to an input value and a localized percentage, without floats", () => {
  assert.equal(bpsToPercentInput(1250), "12.5");
  assert.equal(bpsToPercentInput(700), "7");
  assert.equal(bpsToPercentInput(1255), "12.55");
  assert.equal(bpsToPercentInput(5), "0.05");
  assert.equal(formatBps(1250, "en"), "12.5%");
  assert.equal(formatBps(1000, "en"), "10%");
  assert.equal(formatBps(333, "en"), "3.33%");
  assert.match(formatBps(1250, "it"), /^12,5\s?%$/);
  // 0.07 and 0.29 are not exact in binary: the formatted value still is.
  assert.equal(formatBps(29, "en"), "0.29%");
  for (let bps = 100; bps <= 8000; bps += 7) assert.deepEqual(parsePercent(bpsToPercentInput(bps)), { ok: true, bps });
});

test("handles typed in one box", () => {
  assert.deepEqual(parseHandles("@marco, anna.k  @luca\n@Marco;x_y"), ["marco", "anna.k", "luca", "x_y"]);
  assert.deepEqual(parseHandles("  "), []);
  assert.deepEqual(invalidHandles(["ok.name", "no way", "bad!", "x".repeat(31)]), ["no way", "bad!", "x".repeat(31)]);
});
