import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useMemo, useState } from "preact/hooks";
import type { Locale } from "../../../src/shared/contracts/accounts.ts";
import { isApiError } from "../api/client.ts";
import { formatMoney } from "../lib/money.ts";
import { storage } from "../lib/storage.ts";
import { en, type Messages } from "./en.ts";
import { it } from "./it.ts";

export type { Messages };
export const catalogs: Record<Locale, Messages> = { en, it };
export const locales = Object.keys(catalogs) as Locale[];
const STORAGE_KEY = "vetrina.locale";

function isLocale(s: string | null | undefined): s is Locale {
  return !!s && (locales as string[]).includes(s);
}

/** The remembered choice, else the first of the browser's languages we speak, else English. */
export function detectLocale(): Locale {
  const saved = storage.get(STORAGE_KEY);
  if (isLocale(saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLocale(base)) return base;
  }
  return "en";
}

export interface Formatters {
  money(minor: number, currency: string): string;
  number(n: number): string;
  compact(n: number): string;
  dateTime(iso: string | Date): string;
  date(iso: string | Date): string;
  time(iso: string | Date): string;
  /** to the millisecond ("18:30:05.042"), for audit trails where order within a second matters */
  timeExact(iso: string | Date): string;
  /** "Today 18:30", "Tomorrow 10:00" or a full date, for show start times. */
  when(iso: string | Date): string;
}

function makeFormatters(locale: Locale): Formatters {
  const nf = new Intl.NumberFormat(locale);
  const cf = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const dtf = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const df = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  const tf = new Intl.DateTimeFormat(locale, { timeStyle: "short" });
  const tfx = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3 });
  const wf = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit" });
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const toDate = (d: string | Date) => (typeof d === "string" ? new Date(d) : d);
  const dayNumber = (d: Date) => Math.floor((d.getTime() - d.getTimezoneOffset() * 60_000) / 86_400_000);
  return {
    money: (minor, currency) => formatMoney(minor, currency, locale),
    number: (n) => nf.format(n),
    compact: (n) => (n < 10_000 ? nf.format(n) : cf.format(n)),
    dateTime: (d) => dtf.format(toDate(d)),
    date: (d) => df.format(toDate(d)),
    time: (d) => tf.format(toDate(d)),
    timeExact: (d) => tfx.format(toDate(d)),
    when: (d) => {
      const date = toDate(d);
      const days = dayNumber(date) - dayNumber(new Date());
      if (days === 0 || days === 1) {
        const word = rtf.format(days, "day");
        return `${word.charAt(0).toLocaleUpperCase(locale)}${word.slice(1)} ${tf.format(date)}`;
      }
      return wf.format(date);
    },
  };
}

export interface I18n {
  locale: Locale;
  m: Messages;
  fmt: Formatters;
  setLocale(l: Locale): void;
  /** A message for any error: the API's code translated, else the problem's title. */
  errorText(err: unknown): string;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ComponentChildren }) {
  const [locale, setLocaleState] = useState<Locale>(detectLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18n>(() => {
    const m = catalogs[locale];
    return {
      locale,
      m,
      fmt: makeFormatters(locale),
      setLocale: (l) => {
        storage.set(STORAGE_KEY, l);
        setLocaleState(l);
      },
      errorText: (err) => {
        if (isApiError(err)) return (m.errors as Record<string, string>)[err.code] ?? err.problem?.title ?? m.errors.internal_error;
        return m.errors.internal_error;
      },
    };
  }, [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(I18nContext);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}

/** Text for a room `error` event: our translation of the code, else the server's message. */
export function roomErrorText(m: Messages, code: string, message: string): string {
  return (m.errors as Record<string, string>)[code] ?? message;
}
