import type { EntryKind } from "../../shared/contracts/commissions.ts";

/** Who an entry is owed to: the creator who sold, or its agency (an MCN's share of the creator's commission). */
export type BeneficiaryType = "creator" | "agency";

export interface CommissionsTables {
  /**
   * The commission ledger: append-only (the database refuses UPDATE and DELETE). A balance is a sum of
   * entries; nothing is ever edited, a correction is a new entry.
   */
  commission_entries: {
    id: string;
    /** `accrual:<orderId>:<lineKey>` or `reversal:<orderId>:<lineKey>`: UNIQUE, so a duplicate event or a retry enters nothing twice */
    idempotency_key: string;
    kind: EntryKind;
    beneficiary_type: BeneficiaryType;
    beneficiary_id: string;
    /** the creator whose sale it was (equals the beneficiary for creator entries) */
    creator_id: string;
    campaign_id: string;
    merchant_id: string;
    show_id: string;
    order_id: string;
    order_number: string;
    /** the order line within its order (see lineKeys) */
    line_key: string;
    product_id: string;
    currency: string;
    /** the order line's total the commission was computed on, minor units */
    line_total: number;
    rate_bps: number;
    /**
     * The beneficiary's share of the line's commission when a creator's agency takes a cut: the agency's
     * entry carries the agency's share, the creator's the rest (10 000 − share). Null: all of it.
     */
    share_bps: number | null;
    /** signed minor units: positive for accruals, negative for reversals */
    amount: number;
    /**
     * When the commission was earned: the accrual's entry time, copied onto its reversal, so both leave
     * the hold together and pending and available never go negative.
     */
    earned_at: number;
    /** the accrual a reversal cancels */
    reverses_id: string | null;
    created_at: number;
  };
  /**
   * Money paid out to a beneficiary (append-only too). What can be paid is the ledger's available
   * balance (past the hold) minus what was paid before; `seq` numbers a beneficiary's payouts per
   * currency, so two payouts decided on the same balance cannot both be written.
   */
  commission_payouts: {
    id: string;
    /** the operator's Idempotency-Key: a retried request pays once */
    idempotency_key: string;
    beneficiary_type: BeneficiaryType;
    beneficiary_id: string;
    currency: string;
    seq: number;
    /** minor units, > 0 */
    amount: number;
    /** the bank transfer's reference, or whatever the operator paid with */
    reference: string;
    created_by: string;
    created_at: number;
  };
}
