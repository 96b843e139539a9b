import { currencyDigits, formatMoney } from "../../lib/money.ts";

/**
 * Locale-aware formatting for charts, their axes, tooltips and data tables: Intl only (no date
 * library; charts use category axes with labels formatted here).
 */
export interface ChartFormat {
  locale: string;
  count(n: number): string;
  /** 12.3k on an axis, exact below 10,000 */
  compact(n: number): string;
  /** one decimal at most ("2.5" chats a minute) */
  rate(n: number): string;
  /** 0.125 → "12.5%"; null → "—" */
  percent(ratio: number | null): string;
  /** an ISO instant as the local time of day, "18:05" */
  minute(iso: string): string;
  /** a UTC date (2025-01-31) as "31 Jan" */
  day(isoDate: string): string;
  /** exact money from minor units */
  money(minor: number, currency: string): string;
  /** an axis tick in major units: "€1.2K" */
  moneyTick(major: number, currency: string): string;
}

const cache = new Map<string, ChartFormat>();

export function chartFormat(locale: string): ChartFormat {
  let f = cache.get(locale);
  if (f) return f;
  const nf = new Intl.NumberFormat(locale);
  const cf = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const rf = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const pf = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const tf = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" });
  const df = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" });
  const moneyTicks = new Map<string, Intl.NumberFormat>();
  f = {
    locale,
    count: (n) => nf.format(n),
    compact: (n) => (Math.abs(n) < 10_000 ? nf.format(n) : cf.format(n)),
    rate: (n) => rf.format(n),
    percent: (r) => (r === null || !Number.isFinite(r) ? "—" : pf.format(r)),
    minute: (iso) => tf.format(new Date(iso)),
    day: (d) => df.format(new Date(`${d.slice(0, 10)}T00:00:00Z`)),
    money: (minor, currency) => formatMoney(minor, currency, locale),
    moneyTick: (major, currency) => {
      let m = moneyTicks.get(currency);
      if (!m) {
        try {
          m = new Intl.NumberFormat(locale, { style: "currency", currency, notation: "compact", maximumFractionDigits: 1 });
        } catch {
          m = cf;
        }
        moneyTicks.set(currency, m);
      }
      return m.format(major);
    },
  };
  cache.set(locale, f);
  return f;
}

/** Minor units as a plotting value in major units (charts only: figures shown as text stay exact). */
export const toMajor = (minor: number, currency: string) => minor / 10 ** currencyDigits(currency);
/** Back from a plotted value to minor units (a tooltip then shows the exact amount). */
export const toMinor = (major: number, currency: string) => Math.round(major * 10 ** currencyDigits(currency));
