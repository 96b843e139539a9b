import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

let seq = 0;
/** Random bytes drawn 4 KiB at a time: one call to the CSPRNG per 512 ids instead of one per id. */
let pool = Buffer.alloc(0);
let poolAt = 0;

/**
 * Opaque id with a type prefix, e.g. `prd_0lx2k9a0f00a3q8h1m2nxk`: time, then a per-process sequence,
 * then randomness, so ids made by one process sort in creation order even within one millisecond.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  seq = (seq + 1) % 1_679_616; // 36^4
  if (poolAt + 8 > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  let rand = "";
  for (let i = 0; i < 8; i++) rand += ALPHABET[pool[poolAt++]! % 36];
  return `${prefix}_${time}${seq.toString(36).padStart(4, "0")}${rand}`;
}

/** A secret token suitable for cookies and stream keys (URL-safe, 160+ bits). */
export function newSecret(bytes = 24): string {
  return randomBytes(bytes).toString("base64url");
}
