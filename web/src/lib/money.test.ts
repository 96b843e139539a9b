import { test } from "node:test";
import assert from "node:assert/strict";
import { currencyDigits, formatMoney, minorToDecimal, parsePrice } from "./money.ts";

test("prices typed by a merchant become exact minor units", () => {
  const ok = (s: string, currency: string, minor: number) => assert.deepEqual(parsePrice(s, currency), { ok: true, minor }, s);
  ok("29", "EUR", 2900);
  ok("29.9", "EUR", 2990);
  ok("29,90", "EUR", 2990);
  ok("0.07", "EUR", 7);
  ok("0.1", "EUR", 10); // 0.1 is not exact in binary floating point; the parser never uses it
  ok("1 234,50", "EUR", 123450);
  ok("1,234.50", "EUR", 123450);
  ok("1.234.567,89", "EUR", 123456789);
  ok("1500", "JPY", 1500);
  ok("1,500", "JPY", 1500);
  ok("1.234", "KWD", 1234);
  ok("29.50", "EUR", 2950);
});

test("ambiguous, malformed and over-precise prices are refused, not guessed", () => {
  const bad = (s: string, currency: string, reason: string) => assert.deepEqual(parsePrice(s, currency), { ok: false, reason }, s);
  bad("", "EUR", "empty");
  bad("abc", "EUR", "invalid");
  bad("1.2.3", "EUR", "invalid");
  bad("-5", "EUR", "invalid");
  bad("1.234", "EUR", "ambiguous");
  bad("19.999", "EUR", "ambiguous");
  bad("1.5", "JPY", "too_precise");
  bad("29.5055", "EUR", "too_precise");
  bad("29,505", "EUR", "ambiguous");
  bad("99999999999", "EUR", "too_large");
});

test("minor units format with the currency's own exponent", () => {
  assert.equal(currencyDigits("EUR"), 2);
  assert.equal(currencyDigits("JPY"), 0);
  assert.equal(minorToDecimal(5, 2), "0.05");
  assert.equal(minorToDecimal(2950, 2), "29.50");
  assert.equal(formatMoney(2900, "EUR", "en"), "€29.00");
  assert.equal(formatMoney(1500, "JPY", "en"), "¥1,500");
  assert.match(formatMoney(2900, "EUR", "it"), /^29,00\s€$/);
});
