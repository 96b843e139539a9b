import { test } from "node:test";
import assert from "node:assert/strict";
import { amountIn, chatRate, conversion, currenciesOf, daysBetween, fillDays, funnel, lastDays, rangeDays } from "./figures.ts";

test("the funnel: each step with its conversion from the previous one", () => {
  const rows = funnel({ cardsShown: 200, cardsTapped: 50, checkoutsStarted: 10, ordersPaid: 4 });
  assert.deepEqual(
    rows.map((r) => [r.step, r.value, r.ofPrevious]),
    [
      ["shown", 200, null],
      ["tapped", 50, 0.25],
      ["checkout", 10, 0.2],
      ["paid", 4, 0.4],
    ],
  );
  assert.deepEqual(
    funnel({ cardsShown: 0, cardsTapped: 0, checkoutsStarted: 0, ordersPaid: 0 }).map((r) => r.ofPrevious),
    [null, null, null, null],
    "no division by zero",
  );
  assert.equal(conversion({ cardsShown: 200, ordersPaid: 4 }), 0.02);
  assert.equal(conversion({ cardsShown: 0, ordersPaid: 1 }), null);
});

test("the chat rate is the mean of the last minutes", () => {
  const minutes = [10, 0, 2, 4, 6, 8].map((chatMessages) => ({ chatMessages }));
  assert.equal(chatRate(minutes), 4);
  assert.equal(chatRate(minutes, 2), 7);
  assert.equal(chatRate([]), 0);
});

test("currencies, biggest first, and amounts per currency", () => {
  const lists = [
    [{ currency: "EUR", amount: 500 }],
    [
      { currency: "USD", amount: 2000 },
      { currency: "EUR", amount: 100 },
    ],
  ];
  assert.deepEqual(currenciesOf(lists), ["USD", "EUR"]);
  assert.equal(amountIn(lists[1]!, "EUR"), 100);
  assert.equal(amountIn(lists[0]!, "JPY"), 0);
});

test("report days: every day of the period, gaps filled", () => {
  assert.deepEqual(daysBetween("2025-01-30T00:00:00.000Z", "2025-02-02T00:00:00.000Z"), ["2025-01-30", "2025-01-31", "2025-02-01"]);
  const filled = fillDays([{ day: "2025-01-31", n: 3 }], "2025-01-30T00:00:00.000Z", "2025-02-02T00:00:00.000Z", (day) => ({ day, n: 0 }));
  assert.deepEqual(
    filled.map((d) => [d.day, d.n]),
    [
      ["2025-01-30", 0],
      ["2025-01-31", 3],
      ["2025-02-01", 0],
    ],
  );
});

test("date presets: the last n days end today, both ends included", () => {
  const today = new Date(2025, 2, 10, 15, 30);
  assert.deepEqual(lastDays(7, today), { from: "2025-03-04", to: "2025-03-10" });
  assert.deepEqual(lastDays(30, today), { from: "2025-02-09", to: "2025-03-10" });
  assert.equal(rangeDays("2025-03-04", "2025-03-10"), 7);
  assert.equal(rangeDays("2025-03-10", "2025-03-04"), 0);
  assert.equal(rangeDays("nope", "2025-03-04"), 0);
});
