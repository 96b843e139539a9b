/**
 * An agency's share is stored in basis points (2000 = 20 %). People type percentages: "20", "12.5",
 * "12,5", "33.33". Parsed as digits, never through floating point, so "33.33" is exactly 3333.
 */
export function parsePercentToBps(input: string, maxBps = 5000): number | null {
  const m = /^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$/.exec(input);
  if (!m) return null;
  const bps = Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
  return bps <= maxBps ? bps : null;
}

/** 2000 → "20", 1250 → "12.5", 3333 → "33.33": for an input's value. */
export function bpsToPercentInput(bps: number): string {
  const whole = Math.floor(bps / 100);
  const frac = bps % 100;
  return frac ? `${whole}.${String(frac).padStart(2, "0").replace(/0$/, "")}` : String(whole);
}

/** A share in basis points as a localized percentage ("20 %", "12,5 %"). Display only. */
export function formatBps(bps: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(bps / 10_000);
}
