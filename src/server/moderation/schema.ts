import type { SanctionKind } from "../../shared/contracts/moderation.ts";

export interface ModerationTables {
  /** people given moderator rights for one show; hosts and merchant staff have them without a row */
  show_moderators: { show_id: string; user_id: string; added_by: string; created_at: number };
  /** one row per show once a moderator has changed something; no row means the defaults (all off) */
  room_settings: {
    show_id: string;
    slow_mode_seconds: number;
    /** JSON array of the words and phrases as entered */
    banned_words: string;
    updated_by: string;
    updated_at: number;
  };
  /**
   * Every mute and ban ever given (the audit trail). Active: not lifted and `until` null or in the
   * future; an expired one is simply no longer active.
   */
  room_sanctions: {
    id: string;
    show_id: string;
    user_id: string;
    kind: SanctionKind;
    until: number | null;
    reason: string | null;
    created_by: string;
    created_at: number;
    lifted_at: number | null;
    lifted_by: string | null;
  };
}
