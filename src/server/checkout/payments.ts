import type { Db } from "../platform/db.ts";
import { newId } from "../platform/ids.ts";

export interface ChargeRequest {
  /** The provider deduplicates on this: charging twice with one key charges once. */
  idempotencyKey: string;
  amount: number;
  currency: string;
  card: { number: string; expMonth: number; expYear: number; cvc: string };
}

export type ChargeResult =
  | { status: "succeeded"; paymentId: string; cardLast4: string }
  | { status: "declined"; paymentId: string; declineCode: string }
  | { status: "failed"; message: string };

/** A payment provider. The sandbox is the embedded default; real providers implement the same. */
export interface PaymentProvider {
  readonly name: string;
  charge(req: ChargeRequest): Promise<ChargeResult>;
  /** What the provider knows about a charge made with this key (crash recovery); null if none. */
  lookup(idempotencyKey: string): Promise<ChargeResult | null>;
  refund(paymentId: string, amount: number): Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * Sandbox test cards (documented in the README):
 *   4242 4242 4242 4242  succeeds
 *   4000 0000 0000 0002  declined (card_declined)
 *   4000 0000 0000 9995  declined (insufficient_funds)
 *   4000 0000 0000 0069  declined (expired_card)
 *   4000 0000 0000 0119  fails (processing_error): nothing is charged
 * Any other number that passes the Luhn check succeeds; one that fails it is declined (incorrect_number).
 * A card whose expiry is in the past is declined (expired_card).
 */
export const SANDBOX_CARDS = {
  success: "4242424242424242",
  declined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  expired: "4000000000000069",
  processingError: "4000000000000119",
} as const;

export function luhnValid(number: string): boolean {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Keeps its charges in its own table, as a real provider keeps them on its side. */
export function createSandboxProvider(db: Db, now: () => Date = () => new Date()): PaymentProvider {
  function decide(card: ChargeRequest["card"]): { status: "succeeded" | "declined" | "failed"; code: string | null } {
    if (card.number === SANDBOX_CARDS.processingError) return { status: "failed", code: "processing_error" };
    if (card.number === SANDBOX_CARDS.declined) return { status: "declined", code: "card_declined" };
    if (card.number === SANDBOX_CARDS.insufficientFunds) return { status: "declined", code: "insufficient_funds" };
    if (card.number === SANDBOX_CARDS.expired) return { status: "declined", code: "expired_card" };
    if (!luhnValid(card.number)) return { status: "declined", code: "incorrect_number" };
    const n = now();
    if (card.expYear < n.getUTCFullYear() || (card.expYear === n.getUTCFullYear() && card.expMonth < n.getUTCMonth() + 1))
      return { status: "declined", code: "expired_card" };
    return { status: "succeeded", code: null };
  }

  const toResult = (r: { id: string; status: string; decline_code: string | null; card_last4: string }): ChargeResult =>
    r.status === "succeeded"
      ? { status: "succeeded", paymentId: r.id, cardLast4: r.card_last4 }
      : r.status === "declined"
        ? { status: "declined", paymentId: r.id, declineCode: r.decline_code ?? "card_declined" }
        : { status: "failed", message: r.decline_code ?? "processing_error" };

  const self: PaymentProvider = {
    name: "sandbox",
    async charge(req) {
      const existing = await self.lookup(req.idempotencyKey);
      if (existing) return existing;
      const { status, code } = decide(req.card);
      if (status === "failed") return { status: "failed", message: code! };
      const id = newId("pay");
      await db
        .insertInto("sandbox_charges")
        .values({
          id,
          idempotency_key: req.idempotencyKey,
          amount: req.amount,
          currency: req.currency,
          status,
          decline_code: code,
          card_last4: req.card.number.slice(-4),
          refunded_amount: 0,
          created_at: Date.now(),
        })
        .onConflict((oc) => oc.column("idempotency_key").doNothing())
        .execute();
      return (await self.lookup(req.idempotencyKey))!;
    },
    async lookup(idempotencyKey) {
      const r = await db.selectFrom("sandbox_charges").selectAll().where("idempotency_key", "=", idempotencyKey).executeTakeFirst();
      return r ? toResult(r) : null;
    },
    async refund(paymentId, amount) {
      const r = await db.selectFrom("sandbox_charges").selectAll().where("id", "=", paymentId).executeTakeFirst();
      if (!r || r.status !== "succeeded") return { ok: false, message: "no such captured payment" };
      if (r.refunded_amount + amount > r.amount) return { ok: false, message: "refund exceeds the charge" };
      await db.updateTable("sandbox_charges").set({ refunded_amount: r.refunded_amount + amount }).where("id", "=", paymentId).execute();
      return { ok: true };
    },
  };
  return self;
}
