import type { FlashOutcome } from "../../shared/contracts/flash-sales.ts";

export interface FlashSalesTables {
  flash_sales: {
    id: string;
    show_id: string;
    merchant_id: string;
    product_id: string;
    variant_id: string;
    regular_price: number;
    sale_price: number;
    currency: string;
    quantity: number;
    per_buyer_limit: number;
    opens_at: number;
    ends_at: number;
    hold_ms: number;
    created_by: string;
    created_at: number;
    /** 'active' until it has ended, every hold is settled and unsold units went back to the variant */
    status: "active" | "closed";
  };
  /** The audit trail: every attempt, numbered in the server's order of receipt. */
  flash_attempts: {
    sale_id: string;
    seq: number;
    buyer_user_id: string;
    idempotency_key: string;
    outcome: FlashOutcome;
    hold_id: string | null;
    received_at: number;
  };
  flash_holds: {
    id: string;
    sale_id: string;
    buyer_user_id: string;
    seq: number;
    status: "held" | "paid" | "expired";
    created_at: number;
    expires_at: number;
    order_id: string | null;
    /** payment attempts made for this hold; the n-th charge uses the provider key `<hold id>:<n>` */
    payment_attempts: number;
    /** JSON ShippingAddress given at payment, so a payment interrupted by a crash can still make its order */
    shipping: string | null;
    updated_at: number;
  };
}
