import type { Logger } from "pino";
import type { FollowState } from "../../shared/contracts/creators.ts";
import type { MarkReadBody, MerchantPage, Notification, NotificationKind, NotificationPage, NotificationSettings, NotificationSettingsInput } from "../../shared/contracts/notifications.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Accounts } from "../accounts/service.ts";
import type { Creators } from "../creators/service.ts";
import type { Shows } from "../shows/service.ts";
import { icsFor } from "./calendar.ts";
import { createFanout, type Created } from "./fanout.ts";
import { createMailer, smtpTransport, type MailTransport } from "./mailer.ts";
import { createDispatcher } from "./scheduler.ts";
import type { NotificationPayload, NotificationsTables } from "./schema.ts";
import { createStreamHub } from "./stream.ts";
import { unsubscribeTokens } from "./unsubscribe.ts";

export interface NotificationsDeps {
  db: Db;
  bus: EventBus;
  shows: Shows;
  creators: Pick<Creators, "followersOfUser">;
  accounts: Pick<Accounts, "getUser" | "getMerchant">;
  publicUrl: string;
  beforeMinutes: number;
  /** null: no e-mail (nothing is queued; the setting is still kept) */
  smtpUrl: string | null;
  mailFrom: string;
  /** tests may hand in their own transport */
  transport?: MailTransport;
  clock?: () => number;
  log: Logger;
  /** how often the starting-soon pass and the outbox retry run */
  pollMs?: number;
}

/** How long a show is in calendars: shows have no planned end. */
const SHOW_MINUTES = 60;

const toCursor = (createdAt: number, id: string) => Buffer.from(`${createdAt}:${id}`).toString("base64url");
function fromCursor(cursor: string): { createdAt: number; id: string } | null {
  const m = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, "base64url").toString());
  return m ? { createdAt: Number(m[1]), id: m[2]! } : null;
}

export async function createNotifications(deps: NotificationsDeps) {
  const db = deps.db.withTables<NotificationsTables>();
  const clock = deps.clock ?? Date.now;
  const { shows, log } = deps;
  const hub = createStreamHub();
  const tokens = await unsubscribeTokens(deps.db);
  const transport = deps.transport ?? (deps.smtpUrl ? smtpTransport(deps.smtpUrl) : null);
  const mailer = transport ? createMailer({ db: deps.db, transport, tokens, accounts: deps.accounts, publicUrl: deps.publicUrl, from: deps.mailFrom, clock, log }) : null;
  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    const t = p.catch((err) => log.error({ err }, "notification work failed")).finally(() => inFlight.delete(t));
    inFlight.add(t);
  };

  const toNotification = (r: { id: string; kind: NotificationKind; show_id: string; payload: string | NotificationPayload; created_at: number; read_at: number | null }): Notification => {
    const p = typeof r.payload === "string" ? (JSON.parse(r.payload) as NotificationPayload) : r.payload;
    return {
      id: r.id,
      kind: r.kind,
      showId: r.show_id,
      showTitle: p.showTitle,
      hostName: p.hostName,
      hostHandle: p.hostHandle,
      merchantName: p.merchantName,
      scheduledAt: iso(p.scheduledAt),
      url: `/shows/${r.show_id}`,
      createdAt: iso(r.created_at),
      readAt: isoOrNull(r.read_at),
    };
  };

  async function unreadCount(userId: string): Promise<number> {
    const r = await db.selectFrom("notifications").select((eb) => eb.fn.countAll<number>().as("n")).where("user_id", "=", userId).where("read_at", "is", null).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  const onCreated = (batch: Created[]) => {
    if (mailer) track(mailer.drain());
    // Multi-node: the recipients' streams may be open on another node (it pushes them from this event).
    deps.bus.publish({ type: "notifications.created", items: batch });
    pushCreated(batch);
  };
  const pushCreated = (batch: Created[]) => {
    const online = batch.filter((c) => hub.has(c.userId));
    if (!online.length) return;
    track(
      (async () => {
        for (const c of online) {
          const notification = toNotification({ id: c.id, kind: c.kind, show_id: c.showId, payload: c.payload, created_at: c.createdAt, read_at: null });
          hub.push(c.userId, { type: "notification", notification, unread: await unreadCount(c.userId) });
        }
      })(),
    );
  };

  const fanout = createFanout({ db: deps.db, shows, creators: deps.creators, emailEnabled: !!mailer, onCreated, clock, log });
  const dispatcher = createDispatcher({ db: deps.db, shows, fanout, beforeMs: deps.beforeMinutes * 60_000, clock, log });

  const unsubscribers = [
    deps.bus.subscribe("show.scheduled", (e) => track(dispatcher.run(e.showId, "show_scheduled"))),
    deps.bus.subscribe("show.started", (e) => track(dispatcher.run(e.showId, "show_live"))),
    // Another node's notifications and read marks, for the streams open on this node (ours were pushed at once).
    deps.bus.subscribe("notifications.created", (e, meta) => void (meta.origin === "remote" && pushCreated(e.items)), { scope: "cluster" }),
    deps.bus.subscribe("notifications.unread", (e, meta) => void (meta.origin === "remote" && hub.push(e.userId, { type: "unread", unread: e.unread })), { scope: "cluster" }),
  ];

  async function merchantFollowState(merchantId: string, userId: string | null): Promise<FollowState> {
    const [count, mine] = await Promise.all([
      db.selectFrom("merchant_follows").select((eb) => eb.fn.countAll<number>().as("n")).where("merchant_id", "=", merchantId).executeTakeFirstOrThrow(),
      userId ? db.selectFrom("merchant_follows").select("merchant_id").where("merchant_id", "=", merchantId).where("follower_user_id", "=", userId).executeTakeFirst() : Promise.resolve(undefined),
    ]);
    return { following: !!mine, followerCount: Number(count.n) };
  }

  async function upcomingShow(showId: string): Promise<Result<{}>> {
    const status = await shows.status(showId);
    if (!status) return fail("not_found", "No such show.");
    if (status === "ended") return fail("show_already_ended");
    if (status === "live") return fail("conflict", "The show is already live.");
    return { ok: true };
  }

  let timer: NodeJS.Timeout | undefined;
  let ticking = false;

  const self = {
    hub,
    // Merchant follows ------------------------------------------------------------------------------
    async merchantPage(merchantId: string, readerId: string | null): Promise<MerchantPage | null> {
      const merchant = await deps.accounts.getMerchant(merchantId);
      if (!merchant) return null;
      const [state, live, upcoming] = await Promise.all([
        merchantFollowState(merchantId, readerId),
        shows.list({ merchantId, status: "live", limit: 10 }),
        shows.list({ merchantId, status: "scheduled", limit: 50 }),
      ]);
      return { id: merchant.id, name: merchant.name, ...state, live, upcoming };
    },
    async followMerchant(userId: string, merchantId: string): Promise<Result<FollowState>> {
      if (!(await deps.accounts.getMerchant(merchantId))) return fail("not_found", "No such merchant.");
      await db
        .insertInto("merchant_follows")
        .values({ merchant_id: merchantId, follower_user_id: userId, created_at: clock() })
        .onConflict((oc) => oc.columns(["merchant_id", "follower_user_id"]).doNothing())
        .execute();
      deps.bus.publish({ type: "follows.changed", userId });
      return { ok: true, ...(await merchantFollowState(merchantId, userId)) };
    },
    async unfollowMerchant(userId: string, merchantId: string): Promise<Result<FollowState>> {
      if (!(await deps.accounts.getMerchant(merchantId))) return fail("not_found", "No such merchant.");
      await db.deleteFrom("merchant_follows").where("merchant_id", "=", merchantId).where("follower_user_id", "=", userId).execute();
      deps.bus.publish({ type: "follows.changed", userId });
      return { ok: true, ...(await merchantFollowState(merchantId, userId)) };
    },

    // Reminders -------------------------------------------------------------------------------------
    async remind(userId: string, showId: string): Promise<Result<{ reminded: boolean }>> {
      const ok = await upcomingShow(showId);
      if (!ok.ok) return ok;
      await db
        .insertInto("show_reminders")
        .values({ show_id: showId, user_id: userId, created_at: clock() })
        .onConflict((oc) => oc.columns(["show_id", "user_id"]).doNothing())
        .execute();
      return { ok: true, reminded: true };
    },
    async unremind(userId: string, showId: string): Promise<Result<{ reminded: boolean }>> {
      if (!(await shows.status(showId))) return fail("not_found", "No such show.");
      await db.deleteFrom("show_reminders").where("show_id", "=", showId).where("user_id", "=", userId).execute();
      return { ok: true, reminded: false };
    },
    /** The user's reminders on shows still to come (most recent 500). */
    async reminders(userId: string): Promise<string[]> {
      const rows = await db.selectFrom("show_reminders").select("show_id").where("user_id", "=", userId).orderBy("created_at", "desc").limit(500).execute();
      return rows.map((r) => r.show_id);
    },

    // The inbox -------------------------------------------------------------------------------------
    async list(userId: string, opts: { cursor?: string; limit: number }): Promise<Result<{ page: NotificationPage }>> {
      let q = db.selectFrom("notifications").select(["id", "kind", "show_id", "payload", "created_at", "read_at"]).where("user_id", "=", userId);
      if (opts.cursor) {
        const c = fromCursor(opts.cursor);
        if (!c) return fail("validation_failed", "Unknown cursor.");
        q = q.where((eb) => eb.or([eb("created_at", "<", c.createdAt), eb.and([eb("created_at", "=", c.createdAt), eb("id", "<", c.id)])]));
      }
      const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(opts.limit + 1).execute();
      const more = rows.length > opts.limit;
      const items = rows.slice(0, opts.limit).map(toNotification);
      const last = rows[opts.limit - 1];
      return { ok: true, page: { items, nextCursor: more && last ? toCursor(last.created_at, last.id) : null, unread: await unreadCount(userId) } };
    },
    unreadCount,
    /** Marks the user's own notifications read (ids of others are ignored); returns the unread count. */
    async markRead(userId: string, body: MarkReadBody): Promise<number> {
      let q = db.updateTable("notifications").set({ read_at: clock() }).where("user_id", "=", userId).where("read_at", "is", null);
      if ("ids" in body) q = q.where("id", "in", body.ids);
      await q.execute();
      const unread = await unreadCount(userId);
      hub.push(userId, { type: "unread", unread });
      deps.bus.publish({ type: "notifications.unread", userId, unread });
      return unread;
    },

    // Settings and e-mail ---------------------------------------------------------------------------
    async settings(userId: string): Promise<NotificationSettings> {
      const r = await db.selectFrom("notification_settings").select(["email", "locale"]).where("user_id", "=", userId).executeTakeFirst();
      return { email: r?.email === 1, locale: r?.locale ?? null, emailAvailable: !!mailer };
    },
    async updateSettings(userId: string, input: NotificationSettingsInput): Promise<NotificationSettings> {
      const now = clock();
      const values = { email: input.email ? 1 : 0, ...(input.locale ? { locale: input.locale } : {}), updated_at: now };
      await db
        .insertInto("notification_settings")
        .values({ user_id: userId, locale: null, ...values })
        .onConflict((oc) => oc.column("user_id").doUpdateSet(values))
        .execute();
      return self.settings(userId);
    },
    /** Is this an e-mail's unsubscribe token for an existing user (the confirmation page asks before acting)? */
    async unsubscribeTokenValid(token: string): Promise<boolean> {
      const userId = tokens.verify(token);
      return !!userId && !!(await deps.accounts.getUser(userId));
    },
    /** The one-click unsubscribe of an e-mail's link: e-mail off for the token's user. */
    async unsubscribe(token: string): Promise<Result<{}>> {
      const userId = tokens.verify(token);
      if (!userId || !(await deps.accounts.getUser(userId))) return fail("not_found", "This unsubscribe link is not valid.");
      await db
        .insertInto("notification_settings")
        .values({ user_id: userId, email: 0, locale: null, updated_at: clock() })
        .onConflict((oc) => oc.column("user_id").doUpdateSet({ email: 0, updated_at: clock() }))
        .execute();
      return { ok: true };
    },
    unsubscribeUrl: (userId: string) => `${deps.publicUrl}/unsubscribe?token=${encodeURIComponent(tokens.tokenFor(userId))}`,

    // Calendar --------------------------------------------------------------------------------------
    async calendar(showId: string): Promise<Result<{ ics: string; filename: string }>> {
      const show = await shows.get(showId);
      if (!show) return fail("not_found", "No such show.");
      if (show.status === "ended") return fail("show_already_ended");
      const url = `${deps.publicUrl}/shows/${show.id}`;
      const ics = icsFor({
        uid: `${show.id}@${new URL(deps.publicUrl).hostname}`,
        stamp: clock(),
        start: Date.parse(show.scheduledAt),
        durationMinutes: SHOW_MINUTES,
        summary: show.title,
        description: [`${show.hostName} · ${show.merchantName}`, show.description, url].filter(Boolean).join("\n"),
        url,
        organizer: show.merchantName,
      });
      return { ok: true, ics, filename: `vetrina-${show.id}.ics` };
    },

    // Background work -------------------------------------------------------------------------------
    /** One fan-out, to the end (idempotent; the events and the scheduler call it under a claim). */
    fanOut: (showId: string, kind: NotificationKind) => fanout.fanOut(showId, kind),
    /** One scheduler pass: shows starting within the notice period, and fan-outs a crash left unfinished. */
    tick: (now?: number) => dispatcher.tick(now),
    /** Sends the e-mails due now (0 when e-mail is off). */
    drainMail: () => (mailer ? mailer.drain() : Promise.resolve(0)),
    /** Waits for the fan-outs and sends started by events. */
    async settled() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
    start() {
      const pollMs = deps.pollMs ?? 30_000;
      timer = setInterval(() => {
        if (ticking) return;
        ticking = true;
        const pass = (async () => {
          await dispatcher.tick();
          if (mailer) await mailer.drain();
        })().finally(() => (ticking = false));
        track(pass);
      }, pollMs);
      timer.unref();
      // Whatever a previous run queued and did not send.
      if (mailer) track(mailer.drain());
    },
    /** Stops the timers and ends the streams; waits for the work in progress. */
    async close() {
      clearInterval(timer);
      for (const u of unsubscribers) u();
      hub.close();
      await self.settled();
      await mailer?.idle();
      transport?.close();
    },
  };
  return self;
}

export type Notifications = Awaited<ReturnType<typeof createNotifications>>;
