import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Opaque, roughly time-ordered id with a type prefix, e.g. `prd_lx2k9a0f3q8h1m2n`. */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  const bytes = randomBytes(10);
  let rand = "";
  for (const b of bytes) rand += ALPHABET[b % 36];
  return `${prefix}_${time}${rand}`;
}

/** A secret token suitable for cookies and stream keys (URL-safe, 160+ bits). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}
