import type { LiveMinute, SalesFigures } from "../../../../src/shared/contracts/analytics.ts";

/** What the dashboards derive from the API's figures. Pure, unit-tested. */

export type FunnelStep = "shown" | "tapped" | "checkout" | "paid";
export interface FunnelRow {
  step: FunnelStep;
  value: number;
  /** this step ÷ the previous one; null for the first step or when the previous one is 0 */
  ofPrevious: number | null;
}

/** card shown → card tapped → checkout started → paid, each with its conversion from the step before. */
export function funnel(f: Pick<SalesFigures, "cardsShown" | "cardsTapped" | "checkoutsStarted" | "ordersPaid">): FunnelRow[] {
  const values: [FunnelStep, number][] = [
    ["shown", f.cardsShown],
    ["tapped", f.cardsTapped],
    ["checkout", f.checkoutsStarted],
    ["paid", f.ordersPaid],
  ];
  return values.map(([step, value], i) => {
    const prev = i > 0 ? values[i - 1]![1] : 0;
    return { step, value, ofPrevious: i > 0 && prev > 0 ? value / prev : null };
  });
}

/** Orders paid ÷ cards shown (null when no card was shown). */
export const conversion = (f: Pick<SalesFigures, "cardsShown" | "ordersPaid">): number | null => (f.cardsShown > 0 ? f.ordersPaid / f.cardsShown : null);

/** Chat messages a minute over the last `window` minutes of the series (the current one included). */
export function chatRate(minutes: Pick<LiveMinute, "chatMessages">[], window = 5): number {
  const last = minutes.slice(-window);
  if (!last.length) return 0;
  return last.reduce((s, m) => s + m.chatMessages, 0) / last.length;
}

/** Every currency that appears in a list of money lists, in a stable order (the biggest amount first). */
export function currenciesOf(lists: { currency: string; amount: number }[][]): string[] {
  const total = new Map<string, number>();
  for (const list of lists) for (const m of list) total.set(m.currency, (total.get(m.currency) ?? 0) + Math.abs(m.amount));
  return [...total.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([c]) => c);
}

/** The amount in one currency (0 when there is none). */
export const amountIn = (list: { currency: string; amount: number }[], currency: string): number => list.find((m) => m.currency === currency)?.amount ?? 0;

/** Every UTC day from `from` to `to` (ISO instants, `to` exclusive), as "YYYY-MM-DD". At most 400. */
export function daysBetween(fromIso: string, toIso: string): string[] {
  const DAY = 86_400_000;
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return [];
  const out: string[] = [];
  for (let d = from - (from % DAY); d < to && out.length < 400; d += DAY) out.push(new Date(d).toISOString().slice(0, 10));
  return out;
}

/** A report's days, every day of the period present (days without figures as `empty`). */
export function fillDays<T extends { day: string }>(days: T[], fromIso: string, toIso: string, empty: (day: string) => T): T[] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  const all = daysBetween(fromIso, toIso);
  // A day outside the computed range (should not happen) is kept rather than lost.
  for (const d of days) if (!all.includes(d.day)) all.push(d.day);
  return all.sort().map((day) => byDay.get(day) ?? empty(day));
}

/** "YYYY-MM-DD" of a local date, `offsetDays` from it. */
export function isoDate(d: Date, offsetDays = 0): string {
  const x = new Date(d.getFullYear(), d.getMonth(), d.getDate() + offsetDays);
  return `${x.getFullYear()}-${String(x.getMonth() + 1).padStart(2, "0")}-${String(x.getDate()).padStart(2, "0")}`;
}

/** A period of `days` days ending today (both ends included). */
export const lastDays = (days: number, today = new Date()) => ({ from: isoDate(today, -(days - 1)), to: isoDate(today) });

/** Whole days from one date to the other, both included (0 when the range is backwards or invalid). */
export function rangeDays(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`);
  const b = Date.parse(`${to}T00:00:00Z`);
  if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return 0;
  return Math.round((b - a) / 86_400_000) + 1;
}
