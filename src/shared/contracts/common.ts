import { z } from "zod";

export const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "invalid id");
export const IsoInstant = z.string().datetime({ offset: true });
/** ISO 4217 alphabetic code, upper case. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as EUR");
/** Integer minor units (cents). Never a float. */
export const MinorUnits = z.number().int().min(0).max(100_000_000_00);
export const Money = z.object({ amount: MinorUnits, currency: Currency });
export type Money = z.infer<typeof Money>;

export const Cursor = z.string().max(200);
export function page<T extends z.ZodTypeAny>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export const Ok = z.object({ ok: z.literal(true) });

/** An `Idempotency-Key` header: a retried request with the same key does its work once. */
export const IdempotencyKey = z.string().trim().min(8).max(100).regex(/^[A-Za-z0-9_.:-]+$/);
