import type { Logger } from "pino";
import type { NotificationKind } from "../../shared/contracts/notifications.ts";
import type { Db } from "../platform/db.ts";
import { newId } from "../platform/ids.ts";
import type { Creators } from "../creators/service.ts";
import type { Shows } from "../shows/service.ts";
import type { NotificationPayload, NotificationsTables } from "./schema.ts";

/** A notification just committed, for realtime delivery. */
export interface Created {
  id: string;
  userId: string;
  kind: NotificationKind;
  showId: string;
  payload: NotificationPayload;
  createdAt: number;
}

export interface FanoutDeps {
  db: Db;
  shows: Pick<Shows, "get">;
  creators: Pick<Creators, "followersOfUser">;
  /** e-mail is configured: queue an e-mail for every new notification of a user who opted in */
  emailEnabled: boolean;
  /** after each committed batch */
  onCreated(batch: Created[]): void;
  clock: () => number;
  log: Logger;
  /** rows per insert (a statement per batch, never one per follower) */
  batchSize?: number;
}

type Source = (after: string | null, limit: number) => Promise<string[]>;

/**
 * Notifies everyone concerned by a show event: the followers of its host's creator profile and of its
 * merchant, and (from "starting soon" on) whoever asked for a reminder. Recipients are read a page at a
 * time and inserted a batch per statement with "on conflict do nothing" on (user, show, kind): a user
 * found by two sources, a duplicate event or a retried fan-out never notifies twice. The e-mails of a
 * batch go into the outbox in the same transaction.
 */
export function createFanout(deps: FanoutDeps) {
  const db = deps.db.withTables<NotificationsTables>();
  const batchSize = deps.batchSize ?? 500;

  const fromTable = (table: "merchant_follows" | "show_reminders", key: string): Source => {
    if (table === "merchant_follows")
      return async (after, limit) => {
        let q = db.selectFrom("merchant_follows").select("follower_user_id as u").where("merchant_id", "=", key);
        if (after) q = q.where("follower_user_id", ">", after);
        return (await q.orderBy("follower_user_id").limit(limit).execute()).map((r) => r.u);
      };
    return async (after, limit) => {
      let q = db.selectFrom("show_reminders").select("user_id as u").where("show_id", "=", key);
      if (after) q = q.where("user_id", ">", after);
      return (await q.orderBy("user_id").limit(limit).execute()).map((r) => r.u);
    };
  };

  async function insertBatch(userIds: string[], kind: NotificationKind, showId: string, payload: NotificationPayload): Promise<Created[]> {
    const now = deps.clock();
    const json = JSON.stringify(payload);
    const created = await db.transaction().execute(async (tx) => {
      const rows = await tx
        .insertInto("notifications")
        .values(userIds.map((user_id) => ({ id: newId("ntf"), user_id, kind, show_id: showId, payload: json, created_at: now, read_at: null })))
        .onConflict((oc) => oc.columns(["user_id", "show_id", "kind"]).doNothing())
        .returning(["id", "user_id"])
        .execute();
      if (deps.emailEnabled && rows.length) {
        const optedIn = new Set(
          (
            await tx
              .selectFrom("notification_settings")
              .select("user_id")
              .where(
                "user_id",
                "in",
                rows.map((r) => r.user_id),
              )
              .where("email", "=", 1)
              .execute()
          ).map((r) => r.user_id),
        );
        const mails = rows.filter((r) => optedIn.has(r.user_id));
        if (mails.length)
          await tx
            .insertInto("email_outbox")
            .values(mails.map((r) => ({ id: newId("eml"), notification_id: r.id, user_id: r.user_id, status: "pending" as const, attempts: 0, next_attempt_at: now, claimed_until: null, last_error: null, created_at: now, sent_at: null })))
            .onConflict((oc) => oc.column("notification_id").doNothing())
            .execute();
      }
      return rows;
    });
    return created.map((r) => ({ id: r.id, userId: r.user_id, kind, showId, payload, createdAt: now }));
  }

  return {
    /** Runs the fan-out of one show and kind to the end; returns how many notifications were new. */
    async fanOut(showId: string, kind: NotificationKind): Promise<number> {
      const show = await deps.shows.get(showId);
      if (!show) return 0;
      // Starting soon is news only while the show has not started.
      if (kind === "show_starting_soon" && show.status !== "scheduled") return 0;
      const payload: NotificationPayload = {
        showTitle: show.title,
        hostName: show.hostName,
        hostHandle: show.hostHandle,
        merchantName: show.merchantName,
        scheduledAt: Date.parse(show.scheduledAt),
      };
      const sources: Source[] = [(after, limit) => deps.creators.followersOfUser(show.hostId, after, limit), fromTable("merchant_follows", show.merchantId)];
      if (kind !== "show_scheduled") sources.push(fromTable("show_reminders", showId));
      let total = 0;
      for (const source of sources) {
        let after: string | null = null;
        for (;;) {
          const page: string[] = await source(after, batchSize);
          if (!page.length) break;
          after = page[page.length - 1]!;
          // The host hears about its own show from its studio, not from a notification.
          const recipients = page.filter((u) => u !== show.hostId);
          if (recipients.length) {
            const created = await insertBatch(recipients, kind, showId, payload);
            total += created.length;
            if (created.length) deps.onCreated(created);
          }
          if (page.length < batchSize) break;
        }
      }
      deps.log.debug({ showId, kind, notified: total }, "notification fan-out done");
      return total;
    },
  };
}

export type Fanout = ReturnType<typeof createFanout>;
