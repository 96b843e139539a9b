import { test } from "node:test";
import assert from "node:assert/strict";
import { localInputToIso, monthPeriod, parseDateInput, periodFor, statementUrl, toDateInput, toLocalInput } from "./periods.ts";

const local = (y: number, m: number, d: number) => new Date(y, m - 1, d);

test("this month and last month run from local midnight to local midnight", () => {
  const now = new Date(2025, 2, 15, 18, 30); // 15 March 2025, 18:30 here
  assert.deepEqual(periodFor("this_month", now), { from: local(2025, 3, 1), to: local(2025, 4, 1) });
  assert.deepEqual(periodFor("last_month", now), { from: local(2025, 2, 1), to: local(2025, 3, 1) });
  // January's last month is the previous December; December's month ends on 1 January.
  assert.deepEqual(periodFor("last_month", new Date(2025, 0, 3)), { from: local(2024, 12, 1), to: local(2025, 1, 1) });
  assert.deepEqual(monthPeriod(new Date(2024, 11, 31, 23, 59)), { from: local(2024, 12, 1), to: local(2025, 1, 1) });
  // The first instant of a month belongs to it.
  assert.deepEqual(periodFor("this_month", local(2025, 3, 1)), { from: local(2025, 3, 1), to: local(2025, 4, 1) });
});

test("a custom period includes both of its days", () => {
  const now = new Date(2025, 2, 15);
  assert.deepEqual(periodFor("custom", now, { from: "2025-03-01", to: "2025-03-31" }), { from: local(2025, 3, 1), to: local(2025, 4, 1) });
  assert.deepEqual(periodFor("custom", now, { from: "2024-02-29", to: "2024-02-29" }), { from: local(2024, 2, 29), to: local(2024, 3, 1) });
  assert.equal(periodFor("custom", now, { from: "2025-03-10", to: "2025-03-09" }), null, "ends before it starts");
  assert.equal(periodFor("custom", now, { from: "", to: "2025-03-09" }), null);
  assert.equal(periodFor("custom", now), null);
  assert.equal(parseDateInput("2025-02-30"), null, "no such day");
  assert.equal(parseDateInput("2025-2-3"), null);
  assert.equal(toDateInput(local(2025, 3, 5)), "2025-03-05");
});

test("adjoining months chain: one's end is the next one's start", () => {
  const march = periodFor("this_month", new Date(2025, 2, 15))!;
  assert.equal(march.to.getTime(), periodFor("this_month", new Date(2025, 3, 10))!.from.getTime());
  assert.equal(periodFor("last_month", new Date(2025, 3, 10))!.from.getTime(), march.from.getTime());
});

test("the statement URL carries the instants, and format=csv for the download", () => {
  const p = { from: new Date("2025-03-01T00:00:00.000Z"), to: new Date("2025-04-01T00:00:00.000Z") };
  assert.equal(statementUrl(p), "/api/v1/me/earnings/statement?from=2025-03-01T00%3A00%3A00.000Z&to=2025-04-01T00%3A00%3A00.000Z");
  assert.equal(statementUrl(p, "csv"), "/api/v1/me/earnings/statement?from=2025-03-01T00%3A00%3A00.000Z&to=2025-04-01T00%3A00%3A00.000Z&format=csv");
});

test("datetime-local values are wall-clock time here", () => {
  const d = new Date(2025, 4, 1, 18, 30);
  assert.equal(toLocalInput(d), "2025-05-01T18:30");
  assert.equal(localInputToIso("2025-05-01T18:30"), d.toISOString());
  assert.equal(localInputToIso("2025-05-01"), null);
});
