/**
 * Statement periods in the browser's own calendar: a month runs from its first midnight here to the
 * next month's. Answers half-open instants [from, to), as the statement endpoint takes them.
 */

export type PeriodKind = "this_month" | "last_month" | "custom";
export interface Period {
  from: Date;
  to: Date;
}

/** The month containing `now`, `offset` months away (-1: last month). */
export function monthPeriod(now: Date, offset = 0): Period {
  return { from: new Date(now.getFullYear(), now.getMonth() + offset, 1), to: new Date(now.getFullYear(), now.getMonth() + offset + 1, 1) };
}

/** "2025-03-01" (as a date input gives it) → that day's local midnight; null when malformed. */
export function parseDateInput(v: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  return date.getFullYear() === y && date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
}

/** A local date as a date input's value: "2025-03-01". */
export function toDateInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * The period to ask for. Custom dates are inclusive on both ends ("1 to 31 March" ends at the start of
 * 1 April); null when they are missing, malformed or the end is before the start.
 */
export function periodFor(kind: PeriodKind, now: Date, custom?: { from: string; to: string }): Period | null {
  if (kind === "this_month") return monthPeriod(now, 0);
  if (kind === "last_month") return monthPeriod(now, -1);
  const from = parseDateInput(custom?.from ?? "");
  const last = parseDateInput(custom?.to ?? "");
  if (!from || !last || last < from) return null;
  return { from, to: new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1) };
}

/** The statement URL for a period (format csv: the download). */
export function statementUrl(p: Period, format: "json" | "csv" = "json"): string {
  const q = new URLSearchParams({ from: p.from.toISOString(), to: p.to.toISOString() });
  if (format === "csv") q.set("format", "csv");
  return `/api/v1/me/earnings/statement?${q}`;
}

/** "2025-05-01T18:30" in the browser's zone, for an <input type="datetime-local">. */
export function toLocalInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${toDateInput(d)}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The datetime-local value (wall-clock time here) as a UTC instant, or null when incomplete. */
export function localInputToIso(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
