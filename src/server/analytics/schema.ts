/**
 * The analytics domain's tables. Rollups are keyed by the minute they count (`minute`: epoch ms of
 * the minute's start, UTC) and only ever grow by upserts that add; reports sum them.
 * (A type rather than an interface: `db.withTables<AnalyticsTables>()` wants an indexable record.)
 */
export type AnalyticsTables = {
  /** Room figures of a show, per minute. */
  analytics_show_minutes: {
    show_id: string;
    minute: number;
    /** most connections at once during the minute */
    viewers_max: number;
    /** connections at the last sample of the minute; null until one was taken */
    viewers_last: number | null;
    joins: number;
    likes: number;
    chat_messages: number;
    /** orders of the show (counted once however many products they hold) */
    orders_paid: number;
    orders_refunded: number;
  };
  /** The funnel of a product in a show, per minute. */
  analytics_product_minutes: {
    show_id: string;
    product_id: string;
    minute: number;
    cards_shown: number;
    cards_tapped: number;
    checkouts_started: number;
  };
  /** Money of a product in a show, per currency and minute: integer minor units. */
  analytics_sales_minutes: {
    show_id: string;
    product_id: string;
    currency: string;
    minute: number;
    orders_paid: number;
    units_paid: number;
    gmv: number;
    orders_refunded: number;
    units_refunded: number;
    refunded: number;
  };
  /**
   * The same three rollups per UTC day (`day`: epoch ms of the day's start), written in the same
   * transaction as the minutes: reports over days read these (a row per show, or show and product, per
   * day) and only read minutes for the partial days at the edges of their range.
   */
  analytics_show_days: {
    show_id: string;
    day: number;
    viewers_max: number;
    joins: number;
    likes: number;
    chat_messages: number;
    orders_paid: number;
    orders_refunded: number;
  };
  analytics_product_days: {
    show_id: string;
    product_id: string;
    day: number;
    cards_shown: number;
    cards_tapped: number;
    checkouts_started: number;
  };
  analytics_sales_days: {
    show_id: string;
    product_id: string;
    currency: string;
    day: number;
    orders_paid: number;
    units_paid: number;
    gmv: number;
    orders_refunded: number;
    units_refunded: number;
    refunded: number;
  };
  /**
   * Who a show belongs to, as analytics saw it: reports are scoped by merchant and host without
   * reading the shows domain's tables.
   */
  analytics_shows: {
    show_id: string;
    merchant_id: string;
    host_user_id: string;
    title: string;
    /** the brand campaign a creator's show sells for (null: the merchant's own show); added by 0011_5 */
    campaign_id: string | null;
    updated_at: number;
  };
  /**
   * Raw events, appended in batches by the embedded event log (high-rate kinds are left out; see
   * docs/analytics.md). A column store can take their place behind the `EventLog` interface.
   */
  analytics_events: {
    at: number;
    kind: string;
    show_id: string;
    product_id: string | null;
    viewer_id: string | null;
    order_id: string | null;
    /** viewers reached (card.shown), units (orders), viewers in the room (presence), likes */
    count: number;
    /** minor units, orders only */
    amount: number | null;
    currency: string | null;
  };
};
