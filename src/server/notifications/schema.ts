import type { Locale } from "../../shared/contracts/accounts.ts";
import type { NotificationKind } from "../../shared/contracts/notifications.ts";

/**
 * The notifications domain's tables. (A type rather than an interface: `db.withTables<NotificationsTables>()`
 * wants an indexable record.)
 */
export type NotificationsTables = {
  /** Who follows which merchant (creators' follows are the creators domain's `creator_follows`). */
  merchant_follows: { merchant_id: string; follower_user_id: string; created_at: number };
  /** "Remind me" on an upcoming show: a starting-soon and a live notification, even without a follow. */
  show_reminders: { show_id: string; user_id: string; created_at: number };
  /** One per (user, show, kind), enforced by a unique index: duplicate events and retries never notify twice. */
  notifications: {
    id: string;
    user_id: string;
    kind: NotificationKind;
    show_id: string;
    /** JSON NotificationPayload: the show as it was when the notification was made */
    payload: string;
    created_at: number;
    read_at: number | null;
  };
  /** Per user: e-mail opt-in (off until turned on) and the language of the e-mails. */
  notification_settings: { user_id: string; email: number; locale: Locale | null; updated_at: number };
  /**
   * Fan-outs that are not driven by an event (the starting-soon pass): claimed by one scheduler at a
   * time, `done_at` set once every recipient has its notification. A claim older than the lease whose
   * `done_at` is still null was left by a crash and is taken over (the fan-out itself is idempotent).
   */
  notification_dispatches: { show_id: string; kind: NotificationKind; claimed_at: number; done_at: number | null };
  /**
   * E-mails to send, written in the transaction that creates their notification and sent after
   * commit: claimed (`claimed_until`), sent, marked; a failure is retried with backoff.
   */
  email_outbox: {
    id: string;
    notification_id: string;
    user_id: string;
    status: "pending" | "sent" | "failed" | "skipped";
    attempts: number;
    next_attempt_at: number;
    claimed_until: number | null;
    last_error: string | null;
    created_at: number;
    sent_at: number | null;
  };
  /** Keys the server generates once and keeps (the unsubscribe-link signing key), shared by every node. */
  notification_keys: { name: string; value: string; created_at: number };
};

/** What a notification remembers of its show. */
export interface NotificationPayload {
  showTitle: string;
  hostName: string;
  hostHandle: string | null;
  merchantName: string;
  scheduledAt: number;
}
