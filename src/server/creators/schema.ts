export interface CreatorsTables {
  /** A user's creator profile (at most one per user). Any signed-in user may turn one on. */
  creators: {
    id: string;
    user_id: string;
    /** as the creator typed it, for display */
    handle: string;
    /** lower-cased handle: unique, and what look-ups use */
    handle_key: string;
    display_name: string;
    avatar_url: string | null;
    bio: string;
    /** JSON array of CreatorCategory */
    categories: string;
    /** JSON array of https URLs */
    links: string;
    /** null: not verified */
    verified_at: number | null;
    verified_by: string | null;
    created_at: number;
    updated_at: number;
  };
  /** Who follows whom. Issue 9 extends follows (feeds, notifications); this slice only counts them. */
  creator_follows: { creator_id: string; follower_user_id: string; created_at: number };
}
