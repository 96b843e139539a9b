/**
 * Money is integer minor units plus an ISO 4217 currency. The number of minor digits comes from
 * Intl (EUR 2, JPY 0, KWD 3), and parsing a typed price never goes through floating point.
 */

const digitsCache = new Map<string, number>();

/** How many minor-unit digits a currency has (2 when Intl does not know the code). */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

const formatters = new Map<string, Intl.NumberFormat>();

export function formatMoney(minor: number, currency: string, locale: string): string {
  const key = `${locale}|${currency}`;
  let nf = formatters.get(key);
  if (!nf) {
    try {
      nf = new Intl.NumberFormat(locale, { style: "currency", currency });
    } catch {
      nf = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    formatters.set(key, nf);
  }
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  // Format the exact decimal string, so no binary fraction ever reaches the formatter.
  return nf.format(minorToDecimal(minor, digits) as `${number}`);
}

/** 2950, 2 → "29.50"; 7, 0 → "7"; -5, 2 → "-0.05". */
export function minorToDecimal(minor: number, digits: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError("minor units must be a safe integer");
  const sign = minor < 0 ? "-" : "";
  const abs = String(Math.abs(minor));
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

export type ParsedPrice = { ok: true; minor: number } | { ok: false; reason: "empty" | "invalid" | "ambiguous" | "too_precise" | "too_large" };

/**
 * Parses what a merchant types ("29", "29.9", "29,90", "1 234,50", "1,234.50") into minor units.
 * With both separators, the last one is the decimal separator. With one kind only, it is decimal
 * when it appears once and is not followed by exactly three digits; "1.234" or "1,234" for a
 * two-digit currency could be either, so it is refused as ambiguous rather than guessed.
 */
export function parsePrice(input: string, currency: string, maxMinor = 100_000_000_00): ParsedPrice {
  const digits = currencyDigits(currency);
  const s = input.trim().replace(/[\s\u00a0\u202f']/g, "");
  if (s === "") return { ok: false, reason: "empty" };
  if (!/^\d[\d.,]*$/.test(s) && !/^[.,]\d+$/.test(s)) return { ok: false, reason: "invalid" };
  const lastDot = s.lastIndexOf(".");
  const lastComma = s.lastIndexOf(",");
  const sepIndex = Math.max(lastDot, lastComma);
  let intPart = s;
  let fracPart = "";
  if (sepIndex >= 0) {
    const sep = s[sepIndex]!;
    const other = sep === "." ? "," : ".";
    const after = s.slice(sepIndex + 1);
    const sepCount = s.split(sep).length - 1;
    if (!s.includes(other) && sepCount === 1 && after.length === 3 && digits > 0 && digits < 3 && sepIndex > 0) return { ok: false, reason: "ambiguous" };
    const isDecimal = s.includes(other) ? sepIndex > s.lastIndexOf(other) : sepCount === 1 && !(digits === 0 && after.length === 3);
    if (isDecimal) {
      intPart = s.slice(0, sepIndex);
      fracPart = after;
    }
    // Whatever remains in the integer part must be well-formed thousands grouping.
    if (/[.,]/.test(intPart)) {
      if (!/^\d{1,3}([.,]\d{3})+$/.test(intPart)) return { ok: false, reason: "invalid" };
      const groupSeps = new Set(intPart.replace(/\d/g, ""));
      if (groupSeps.size > 1) return { ok: false, reason: "invalid" };
      intPart = intPart.replace(/[.,]/g, "");
    }
  }
  if (!/^\d*$/.test(intPart) || !/^\d*$/.test(fracPart)) return { ok: false, reason: "invalid" };
  if (fracPart.length > digits) {
    // "29.50" for a 2-digit currency is fine; "29.505" is not, but trailing zeros are harmless.
    if (/[1-9]/.test(fracPart.slice(digits))) return { ok: false, reason: "too_precise" };
    fracPart = fracPart.slice(0, digits);
  }
  const whole = (intPart.replace(/^0+(?=\d)/, "") || "0") + fracPart.padEnd(digits, "0");
  if (whole.length > 15) return { ok: false, reason: "too_large" };
  const minor = Number(whole);
  if (!Number.isSafeInteger(minor) || minor > maxMinor) return { ok: false, reason: "too_large" };
  return { ok: true, minor };
}
