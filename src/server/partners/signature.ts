import { createHmac, timingSafeEqual } from "node:crypto";

/** How far (seconds) a postback's timestamp may be from our clock, either way. */
export const TOLERANCE_SECONDS = 300;

/** The signature of a postback: hex HMAC-SHA256 with the merchant's secret over `${timestamp}.${rawBody}`. */
export function sign(secret: string, timestamp: string | number, rawBody: Buffer | string): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(rawBody).digest("hex");
}

/** The Vetrina-Signature header a partner sends: `v1=<hex>`. */
export function signatureHeader(secret: string, timestamp: string | number, rawBody: Buffer | string): string {
  return `v1=${sign(secret, timestamp, rawBody)}`;
}

export type TimestampCheck = { ok: true; seconds: number } | { ok: false; reason: "missing" | "malformed" | "too_old" | "in_the_future" };

/** Unix seconds, digits only, within ±tolerance of `nowMs`. */
export function checkTimestamp(header: string | undefined, nowMs: number, toleranceSeconds = TOLERANCE_SECONDS): TimestampCheck {
  if (!header) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(header)) return { ok: false, reason: "malformed" };
  const seconds = Number(header);
  const drift = seconds - Math.floor(nowMs / 1000);
  if (drift < -toleranceSeconds) return { ok: false, reason: "too_old" };
  if (drift > toleranceSeconds) return { ok: false, reason: "in_the_future" };
  return { ok: true, seconds };
}

/**
 * Does the header carry a valid signature? It may list several comma-separated `v1=` values (a
 * partner signing with an old and a new secret during a rotation); one match is enough. Compared in
 * constant time, so the response time says nothing about how much of a guess was right.
 */
export function verifySignature(secret: string, timestamp: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || header.length > 1000) return false;
  const expected = Buffer.from(sign(secret, timestamp, rawBody), "hex");
  let ok = false;
  for (const part of header.split(",")) {
    const m = /^\s*v1=([0-9a-fA-F]{64})\s*$/.exec(part);
    if (!m) continue;
    const given = Buffer.from(m[1]!, "hex");
    // Every candidate is compared (no early exit).
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
