/** (A type rather than an interface: `db.withTables<ReviewsTables>()` wants an indexable record.) */
export type ReviewsTables = {
  /** One review per (author, product), verified by one of the author's paid orders for the product. */
  reviews: {
    id: string;
    product_id: string;
    /** the product's merchant, copied at posting: the feed ranks reviews of followed shops first */
    merchant_id: string;
    author_user_id: string;
    /** the paid order that makes the author a verified buyer (their latest one for the product) */
    order_id: string;
    rating: number;
    text: string;
    /** JSON array of upload URLs (`/uploads/img_…`), in display order */
    photos: string;
    /** how many photos: the feed only takes reviews with at least one */
    photo_count: number;
    /** "visible", or "hidden" by moderation (or because its purchase was cancelled or refunded) */
    status: "visible" | "hidden";
    hidden_reason: string | null;
    /** the moderator; null when the platform hid it by itself (purchase cancelled) */
    hidden_by: string | null;
    helpful_count: number;
    reply_text: string | null;
    reply_by: string | null;
    reply_at: number | null;
    created_at: number;
    edited_at: number | null;
  };
  /** The product's rating summary over its visible reviews, updated in the transaction that changes one. */
  review_summaries: {
    product_id: string;
    count: number;
    rating_sum: number;
    stars1: number;
    stars2: number;
    stars3: number;
    stars4: number;
    stars5: number;
  };
  /** "Helpful" votes: one per (review, user). */
  review_votes: { review_id: string; user_id: string; created_at: number };
};
