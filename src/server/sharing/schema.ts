import type { ShareKind } from "../../shared/contracts/sharing.ts";

export interface SharingTables {
  /** One link per (sharer, target), reused: the token is random, never derived from the sharer. */
  shares: {
    id: string;
    token: string;
    sharer_user_id: string;
    kind: ShareKind;
    target_id: string;
    /** browsers that opened the page through the link (each counts once, on its first touch) */
    visits: number;
    created_at: number;
  };
  /** A viewer who joined the show's room through the link; once per viewer (browser, or account without one). */
  share_joins: {
    share_id: string;
    viewer_key: string;
    show_id: string;
    /** the account, once the viewer is signed in: a later purchase with no token still finds the link */
    viewer_user_id: string | null;
    at: number;
  };
  /** An order that came through a link, written after the order is committed (order.paid). */
  share_conversions: {
    order_id: string;
    share_id: string;
    buyer_user_id: string;
    currency: string;
    total: number;
    /** "refunded" once the order is cancelled: it leaves the sharer's GMV */
    status: "paid" | "refunded";
    at: number;
  };
}
