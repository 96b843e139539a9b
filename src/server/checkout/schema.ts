import type { OrderStatus } from "../../shared/contracts/checkout.ts";

export interface CheckoutTables {
  /** One row per buy-now request (keyed by buyer + Idempotency-Key); holds the stock reservation while paying. */
  checkout_attempts: {
    id: string;
    buyer_user_id: string;
    idempotency_key: string;
    request_hash: string;
    status: "pending" | "succeeded" | "declined" | "failed";
    show_id: string;
    variant_id: string;
    quantity: number;
    amount: number;
    currency: string;
    /** JSON ShippingAddress, kept so a recovered attempt can still create its order */
    shipping: string;
    order_id: string | null;
    error_code: string | null;
    created_at: number;
    updated_at: number;
  };
  orders: {
    id: string;
    number: string;
    merchant_id: string;
    buyer_user_id: string;
    show_id: string | null;
    status: OrderStatus;
    currency: string;
    total: number;
    shipping: string;
    payment_id: string;
    card_last4: string;
    created_at: number;
    updated_at: number;
  };
  order_items: {
    id: string;
    order_id: string;
    product_id: string;
    variant_id: string;
    title: string;
    variant_title: string;
    unit_price: number;
    quantity: number;
  };
  order_history: { id: string; order_id: string; status: OrderStatus; actor_user_id: string | null; at: number };
  /** The sandbox payment provider's own ledger: what a real provider would hold on its side. */
  sandbox_charges: {
    id: string;
    idempotency_key: string;
    amount: number;
    currency: string;
    status: "succeeded" | "declined" | "failed";
    decline_code: string | null;
    card_last4: string;
    refunded_amount: number;
    created_at: number;
  };
}
