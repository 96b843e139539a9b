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
  /** past the hold period */
  available: SignedMinor,
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
