import { z } from "zod";
import { Currency, Id, IsoInstant } from "./common.ts";

/** Accruals are entered when an attributed order is paid; reversals (negative) when it is cancelled or refunded. */
export const EntryKind = z.enum(["accrual", "reversal"]);
export type EntryKind = z.infer<typeof EntryKind>;

/** Signed integer minor units (reversals are negative). */
const SignedMinor = z.number().int();

export const EarningsBalance = z.object({
  currency: Currency,
  /** still within the hold period */
  pending: SignedMinor,
  /** past the hold period and not paid out yet: what the next payout can pay (negative: a refund came after a payout, and is owed back from later earnings) */
  available: SignedMinor,
  /** paid out so far; pending + available + paidOut = the ledger's sum */
  paidOut: SignedMinor,
});

export const Earnings = z.object({
  creatorId: Id,
  holdDays: z.number().int(),
  balances: z.array(EarningsBalance),
});
export type Earnings = z.infer<typeof Earnings>;

export const StatementQuery = z
  .object({
    from: IsoInstant,
    to: IsoInstant,
    format: z.enum(["json", "csv"]).default("json"),
  })
  .refine((q) => Date.parse(q.to) > Date.parse(q.from), { message: "`to` must be after `from`", path: ["to"] });

export const StatementEntry = z.object({
  id: Id,
  /** when the entry was made (the period filter applies to it) */
  at: IsoInstant,
  kind: EntryKind,
  orderId: Id,
  orderNumber: z.string(),
  campaignId: Id,
  showId: Id,
  productId: Id,
  /** the order line within its order */
  lineKey: z.string(),
  currency: Currency,
  /** the order line's total the commission was computed on */
  lineTotal: SignedMinor,
  rateBps: z.number().int(),
  /** this beneficiary's share of the line's commission, when an agency takes a cut (basis points); null: all of it */
  shareBps: z.number().int().nullable(),
  amount: SignedMinor,
  availableAt: IsoInstant,
});
export type StatementEntry = z.infer<typeof StatementEntry>;

/** Per currency: opening + accruals + reversals = closing, each the sum of ledger entries. */
export const StatementTotals = z.object({
  currency: Currency,
  opening: SignedMinor,
  accruals: SignedMinor,
  reversals: SignedMinor,
  net: SignedMinor,
  closing: SignedMinor,
});

export const Statement = z.object({
  creatorId: Id,
  from: IsoInstant,
  to: IsoInstant,
  holdDays: z.number().int(),
  totals: z.array(StatementTotals),
  entries: z.array(StatementEntry),
});
export type Statement = z.infer<typeof Statement>;

/* ---------- payouts ---------- */

export const BeneficiaryType = z.enum(["creator", "agency"]);

export const Payout = z.object({
  id: Id,
  beneficiaryType: BeneficiaryType,
  beneficiaryId: Id,
  currency: Currency,
  /** minor units */
  amount: z.number().int().positive(),
  reference: z.string(),
  at: IsoInstant,
});
export type Payout = z.infer<typeof Payout>;

export const PayoutInput = z.object({
  beneficiaryType: BeneficiaryType,
  beneficiaryId: Id,
  currency: Currency,
  /** minor units; at most the beneficiary's available balance */
  amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** the transfer's reference (bank, PayPal…) */
  reference: z.string().trim().min(1).max(140),
});
export type PayoutInput = z.infer<typeof PayoutInput>;

/** A beneficiary with money to pay out in a currency. */
export const PayoutDue = z.object({
  beneficiaryType: BeneficiaryType,
  beneficiaryId: Id,
  currency: Currency,
  available: z.number().int().positive(),
});
export type PayoutDue = z.infer<typeof PayoutDue>;
