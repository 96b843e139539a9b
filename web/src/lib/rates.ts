/**
 * Commission rates travel as integer basis points (100 bps = 1 %). What a brand types as a percentage
 * ("12.5", "12,5 %") is parsed with integer arithmetic only, like prices: no float ever holds a rate.
 */

export type ParsedRate = { ok: true; bps: number } | { ok: false; reason: "empty" | "invalid" | "too_precise" | "out_of_range" };

/** The range the API accepts: 1 % to 80 %. */
export const MIN_BPS = 100;
export const MAX_BPS = 8000;

/** "12.5" → 1250, "12,5%" → 1250, "7" → 700, "0.25" → 25; more than two decimals is refused. */
export function parsePercent(input: string, range: { min: number; max: number } = { min: MIN_BPS, max: MAX_BPS }): ParsedRate {
  const s = input.trim().replace(/\s*%$/, "").replace(/\s/g, "");
  if (s === "") return { ok: false, reason: "empty" };
  const m = /^(\d{0,3})(?:[.,](\d*))?$/.exec(s);
  if (!m || (m[1] === "" && !m[2])) return { ok: false, reason: "invalid" };
  let frac = m[2] ?? "";
  if (frac.length > 2) {
    if (/[1-9]/.test(frac.slice(2))) return { ok: false, reason: "too_precise" };
    frac = frac.slice(0, 2);
  }
  const bps = Number(m[1] || "0") * 100 + Number(frac.padEnd(2, "0"));
  if (bps < range.min || bps > range.max) return { ok: false, reason: "out_of_range" };
  return { ok: true, bps };
}

/** 1250 → "12.5", 700 → "7", 1255 → "12.55": for filling a percent input (a dot, like the parser accepts). */
export function bpsToPercentInput(bps: number): string {
  if (!Number.isSafeInteger(bps)) throw new RangeError("basis points must be an integer");
  const sign = bps < 0 ? "-" : "";
  const abs = Math.abs(bps);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, "0").replace(/0+$/, "");
  return `${sign}${whole}${frac ? `.${frac}` : ""}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

/** 1250 → "12.5%" (en), "12,5%" (it). The exact decimal string is formatted, not a float. */
export function formatBps(bps: number, locale: string): string {
  let nf = formatters.get(locale);
  if (!nf) {
    nf = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 });
    formatters.set(locale, nf);
  }
  const abs = Math.abs(bps);
  const fraction = `${bps < 0 ? "-" : ""}${Math.floor(abs / 10_000)}.${String(abs % 10_000).padStart(4, "0")}`;
  return nf.format(fraction as `${number}`);
}

/** "@marco, anna.k  @luca" → ["marco", "anna.k", "luca"]: handles typed in one box, deduplicated ignoring case. */
export function parseHandles(input: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of input.split(/[\s,;]+/)) {
    const h = raw.replace(/^@+/, "").trim();
    if (!h || seen.has(h.toLowerCase())) continue;
    seen.add(h.toLowerCase());
    out.push(h);
  }
  return out;
}

/** Handles that cannot be one (the API would refuse the whole list): letters, digits, `_` and `.` only. */
export function invalidHandles(handles: string[]): string[] {
  return handles.filter((h) => h.length > 30 || !/^[A-Za-z0-9_.]+$/.test(h));
}
