export type ConversionStatus = "paid" | "refunded" | "cancelled";

export interface PartnersTables {
  /** One row per merchant that sells through a partner store. */
  partner_settings: {
    merchant_id: string;
    /**
     * The postback signing secret, in plain text: verifying an HMAC needs the secret itself, so a hash
     * would not do. Protect the database (and its backups) accordingly; rotating replaces it at once.
     */
    postback_secret: string;
    secret_created_at: number;
  };
  /** A viewer's tap on a partner-store product's card, recorded by the /go redirect. */
  partner_clicks: {
    id: string;
    show_id: string;
    product_id: string;
    /** the product's merchant: the only one whose postbacks may name this click */
    merchant_id: string;
    /** set when the show is a creator's campaign show */
    campaign_id: string | null;
    creator_id: string | null;
    /** the signed-in viewer, or null */
    viewer_user_id: string | null;
    /** keyed hash of the client address (abuse analysis without storing addresses) */
    ip_hash: string | null;
    at: number;
  };
  /** Every accepted postback delivery: its id is never accepted twice (replay protection). */
  partner_deliveries: {
    merchant_id: string;
    delivery_id: string;
    conversion_id: string;
    status: ConversionStatus;
    received_at: number;
  };
  /** A sale on the partner store, one per merchant and partner order reference. */
  partner_conversions: {
    id: string;
    merchant_id: string;
    order_ref: string;
    click_id: string;
    show_id: string;
    status: ConversionStatus;
    currency: string;
    /** JSON: [{ lineKey, productId | null, sku | null, quantity, lineTotal }] */
    lines: string;
    /** when the partner says the order was placed (or when we received it) */
    ordered_at: number;
    /** 1 when the click's creator campaign earns commission on it */
    attributed: number;
    /** why not, when attributed = 0 */
    reason: string | null;
    /** "pending" while the commission ledger has not yet been told of the last status; "done" after */
    ledger: "pending" | "done";
    created_at: number;
    updated_at: number;
  };
}
