import type { User } from "../../shared/contracts/accounts.ts";
import {
  ModerationSettingsInput,
  SanctionInput,
  type ModerationSettings,
  type Moderator,
  type Sanction,
  type SanctionKind,
} from "../../shared/contracts/moderation.ts";
import type { Db, DbOrTx } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Failure, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Accounts } from "../accounts/service.ts";
import type { Shows } from "../shows/service.ts";
import { compileBannedWords, tidyBannedWords, type BannedWordsMatcher } from "./banned-words.ts";

/** Why a chat message or a join is refused; `retryAfterMs` when waiting helps (slow mode, timed mute or ban). */
export type ChatRefusal = Failure & { retryAfterMs?: number };
export type ChatVerdict = { ok: true } | ChatRefusal;

export interface Moderation {
  /* ---- the room's hot path: synchronous, from this process's cache of the show ---- */

  /**
   * Loads what the synchronous checks need for this show (once; later calls are free, and refresh who
   * hosts the show at most once a minute). The room awaits it when a connection joins, before
   * `canJoin` and `checkChat`. False when the show does not exist.
   */
  load(showId: string): Promise<boolean>;
  /**
   * Decides whether this chat message may be posted: `banned`, `muted`, `slow_mode` (with
   * `retryAfterMs`) or `message_blocked` (a banned word). Hosts, merchant staff, admins and the show's
   * moderators are never refused. When it passes, it records `now` as the user's last chat instant for
   * slow mode itself (there is no separate recordChat), so two tabs of one user cannot both get through.
   * Throws if `load(showId)` has not completed: that is a wiring bug, not a user error.
   */
  checkChat(user: User, showId: string, text: string, now?: number): ChatVerdict;
  /** False while the user is banned from the show's room. Same `load` precondition as checkChat. */
  canJoin(userId: string, showId: string, now?: number): boolean;
  /** Hosts, the merchant's staff, admins and the moderators added to the show. */
  isModerator(user: User, showId: string): Promise<boolean>;
  /** The show's rules, without any authorization (for the room); null for an unknown show. */
  settings(showId: string): Promise<ModerationSettings | null>;

  /* ---- moderators' actions: each authorizes the actor, writes in one transaction, then publishes ---- */

  readSettings(actor: User, showId: string): Promise<Result<{ settings: ModerationSettings }>>;
  /** Fields left out keep their value. */
  updateSettings(actor: User, showId: string, input: ModerationSettingsInput): Promise<Result<{ settings: ModerationSettings }>>;
  listSanctions(actor: User, showId: string): Promise<Result<{ sanctions: Sanction[] }>>;
  /** Mutes or bans; replaces the user's current sanction of the same kind. */
  sanction(actor: User, showId: string, input: SanctionInput): Promise<Result<{ sanction: Sanction }>>;
  lift(actor: User, showId: string, userId: string, kind: SanctionKind): Promise<Result<{}>>;
  deleteMessage(actor: User, showId: string, messageId: string): Promise<Result<{}>>;
  listModerators(actor: User, showId: string): Promise<Result<{ moderators: Moderator[] }>>;
  /** Hosts and staff only. Lifts the new moderator's mute or ban in this show. */
  addModerator(actor: User, showId: string, email: string): Promise<Result<{ moderator: Moderator }>>;
  removeModerator(actor: User, showId: string, userId: string): Promise<Result<{}>>;
  /** Multi-node: reads every loaded show's state again (after a broker outage, other nodes' actions may have been missed). */
  resync(): Promise<void>;
}

export interface ModerationDeps {
  db: Db;
  bus: EventBus;
  shows: Shows;
  accounts: Accounts;
  /** the clock of timed mutes and bans; tests move it */
  clock?: () => number;
}

/** What the synchronous checks read: one per show, loaded once, kept current by this process's writes. */
interface RoomState {
  hostId: string;
  merchantId: string;
  /** wall-clock instant host and merchant were read: the host of a show can change */
  identityAt: number;
  moderators: Set<string>;
  settings: ModerationSettings;
  matcher: BannedWordsMatcher | null;
  /** user id → end of the sanction (null: until lifted); may hold expired ones, which no longer count */
  sanctions: Record<SanctionKind, Map<string, number | null>>;
  /** user id → instant of the last chat message let through, for slow mode */
  lastChat: Map<string, number>;
  pruneLastChatAt: number;
}

const IDENTITY_TTL_MS = 60_000;
const DEFAULT_SETTINGS: ModerationSettings = { slowModeSeconds: 0, bannedWords: [] };
const active = (until: number | null | undefined, now: number): until is number | null => until !== undefined && (until === null || until > now);

export function createModeration(deps: ModerationDeps): Moderation {
  const { db, bus, shows, accounts } = deps;
  const clock = deps.clock ?? Date.now;
  const states = new Map<string, RoomState>();
  const loading = new Map<string, Promise<RoomState | null>>();

  // Slow mode starts afresh when a show ends; the rest is small and stays for late readers.
  bus.subscribe("show.ended", (e) => states.get(e.showId)?.lastChat.clear(), { scope: "cluster" });

  // Multi-node: another node's moderators acted; this node's checks follow (its own writes update the
  // state where they are made). Slow mode's per-user instants stay per node (docs/multi-node.md).
  bus.subscribe(
    "room.sanctioned",
    (e, meta) => {
      const st = meta.origin === "remote" ? states.get(e.showId) : undefined;
      if (!st) return;
      if (e.kind === "mute" || e.kind === "ban") st.sanctions[e.kind].set(e.userId, e.until);
      else st.sanctions[e.kind === "unmute" ? "mute" : "ban"].delete(e.userId);
    },
    { scope: "cluster" },
  );
  bus.subscribe(
    "room.settings_changed",
    (e, meta) => {
      const st = meta.origin === "remote" ? states.get(e.showId) : undefined;
      if (st) applySettings(st, e.settings);
    },
    { scope: "cluster" },
  );
  bus.subscribe(
    "room.moderators_changed",
    async (e, meta) => {
      if (meta.origin !== "remote" || !states.has(e.showId)) return;
      const rows = await db.selectFrom("show_moderators").select("user_id").where("show_id", "=", e.showId).execute();
      const st = states.get(e.showId);
      if (st) st.moderators = new Set(rows.map((r) => r.user_id));
    },
    { scope: "cluster" },
  );

  const activeSanctions = (q: DbOrTx, showId: string, now: number) =>
    q
      .selectFrom("room_sanctions")
      .where("room_sanctions.show_id", "=", showId)
      .where("room_sanctions.lifted_at", "is", null)
      .where((eb) => eb.or([eb("room_sanctions.until", "is", null), eb("room_sanctions.until", ">", now)]));

  /** Ends a user's active sanctions in a show (of one kind, or all) as of `now`. */
  const liftActive = (q: DbOrTx, showId: string, userId: string, now: number, by: string, kind?: "mute" | "ban") => {
    let u = q
      .updateTable("room_sanctions")
      .set({ lifted_at: now, lifted_by: by })
      .where("show_id", "=", showId)
      .where("user_id", "=", userId)
      .where("lifted_at", "is", null)
      .where((eb) => eb.or([eb("until", "is", null), eb("until", ">", now)]));
    if (kind) u = u.where("kind", "=", kind);
    return u.executeTakeFirst();
  };

  async function read(showId: string): Promise<RoomState | null> {
    const show = await shows.get(showId);
    if (!show) return null;
    const now = clock();
    const [mods, settingsRow, sanctions] = await Promise.all([
      db.selectFrom("show_moderators").select("user_id").where("show_id", "=", showId).execute(),
      db.selectFrom("room_settings").select(["slow_mode_seconds", "banned_words"]).where("show_id", "=", showId).executeTakeFirst(),
      activeSanctions(db, showId, now).select(["user_id", "kind", "until"]).orderBy("created_at").execute(),
    ]);
    const settings: ModerationSettings = settingsRow ? { slowModeSeconds: settingsRow.slow_mode_seconds, bannedWords: JSON.parse(settingsRow.banned_words) } : DEFAULT_SETTINGS;
    const st: RoomState = {
      hostId: show.hostId,
      merchantId: show.merchantId,
      identityAt: Date.now(),
      moderators: new Set(mods.map((m) => m.user_id)),
      settings,
      matcher: compileBannedWords(settings.bannedWords),
      sanctions: { mute: new Map(), ban: new Map() },
      lastChat: new Map(),
      pruneLastChatAt: 5000,
    };
    for (const s of sanctions) st.sanctions[s.kind].set(s.user_id, s.until);
    return st;
  }

  /** The show's state, loaded once; concurrent callers share one load. Writers await it before writing. */
  function ensure(showId: string): Promise<RoomState | null> {
    const st = states.get(showId);
    if (st) return Promise.resolve(st);
    let p = loading.get(showId);
    if (!p) {
      p = read(showId)
        .then((s) => {
          if (s) states.set(showId, s);
          return s;
        })
        .finally(() => loading.delete(showId));
      loading.set(showId, p);
    }
    return p;
  }

  function loaded(showId: string): RoomState {
    const st = states.get(showId);
    if (!st) throw new Error(`moderation state of show ${showId} is not loaded: await moderation.load(showId) when the connection joins`);
    return st;
  }

  /** Mirrors shows.authorizeHost, synchronously, plus the show's own moderators. */
  const privileged = (user: User, st: RoomState) =>
    user.role === "admin" || user.id === st.hostId || (user.merchantId !== null && user.merchantId === st.merchantId) || st.moderators.has(user.id);

  const isAddedModerator = async (showId: string, userId: string) =>
    !!(await db.selectFrom("show_moderators").select("user_id").where("show_id", "=", showId).where("user_id", "=", userId).executeTakeFirst());

  /** May the actor moderate (or, with `manage`, appoint moderators for) this show? Read fresh from the database. */
  async function authorize(actor: User, showId: string, manage = false): Promise<Result<{ st: RoomState }>> {
    const host = await shows.authorizeHost(actor, showId);
    if (!host.ok) {
      if (host.code !== "forbidden") return host;
      if (manage) return fail("forbidden", "Only the show's host and its merchant's staff can appoint moderators.");
      if (!(await isAddedModerator(showId, actor.id))) return fail("forbidden", "Only the show's host, its merchant's staff and its moderators can moderate it.");
    }
    const st = await ensure(showId);
    if (!st) return fail("not_found", "No such show.");
    return { ok: true, st };
  }

  function applySettings(st: RoomState, settings: ModerationSettings) {
    st.settings = settings;
    st.matcher = compileBannedWords(settings.bannedWords);
  }

  const invalid = (error: { issues: { path: PropertyKey[]; message: string }[] }): Failure => {
    const issue = error.issues[0];
    return fail("validation_failed", issue ? `${issue.path.map(String).join(".") || "input"}: ${issue.message}` : undefined);
  };

  const self: Moderation = {
    async load(showId) {
      const st = await ensure(showId);
      if (!st) return false;
      if (Date.now() - st.identityAt > IDENTITY_TTL_MS) {
        st.identityAt = Date.now();
        const show = await shows.get(showId);
        if (show) {
          st.hostId = show.hostId;
          st.merchantId = show.merchantId;
        }
      }
      return true;
    },

    checkChat(user, showId, text, now = clock()) {
      const st = loaded(showId);
      if (privileged(user, st)) return { ok: true };
      const ban = st.sanctions.ban.get(user.id);
      if (active(ban, now)) return ban === null ? fail("banned") : { ...fail("banned", `You are banned from this room until ${iso(ban)}.`), retryAfterMs: ban - now };
      const mute = st.sanctions.mute.get(user.id);
      if (active(mute, now)) return mute === null ? fail("muted") : { ...fail("muted", `You are muted until ${iso(mute)}.`), retryAfterMs: mute - now };
      const slowMs = st.settings.slowModeSeconds * 1000;
      const last = st.lastChat.get(user.id);
      if (slowMs > 0 && last !== undefined && now - last < slowMs) {
        const retryAfterMs = last + slowMs - now;
        return { ...fail("slow_mode", `Slow mode: one message every ${st.settings.slowModeSeconds} s. Wait ${Math.ceil(retryAfterMs / 1000)} s.`), retryAfterMs };
      }
      if (st.matcher?.matches(text)) return fail("message_blocked");
      if (slowMs > 0) {
        st.lastChat.set(user.id, now);
        if (st.lastChat.size > st.pruneLastChatAt) {
          for (const [id, at] of st.lastChat) if (now - at >= slowMs) st.lastChat.delete(id);
          st.pruneLastChatAt = Math.max(5000, st.lastChat.size * 2);
        }
      }
      return { ok: true };
    },

    canJoin(userId, showId, now = clock()) {
      const st = loaded(showId);
      if (userId === st.hostId || st.moderators.has(userId)) return true;
      return !active(st.sanctions.ban.get(userId), now);
    },

    async isModerator(user, showId) {
      if ((await shows.authorizeHost(user, showId)).ok) return true;
      return isAddedModerator(showId, user.id);
    },

    async settings(showId) {
      const st = await ensure(showId);
      return st ? structuredClone(st.settings) : null;
    },

    async readSettings(actor, showId) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      return { ok: true, settings: structuredClone(a.st.settings) };
    },

    async updateSettings(actor, showId, input) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const parsed = ModerationSettingsInput.safeParse(input);
      if (!parsed.success) return invalid(parsed.error);
      let words: string[] | undefined;
      if (parsed.data.bannedWords) {
        const tidy = tidyBannedWords(parsed.data.bannedWords);
        if (!tidy.ok) return fail("validation_failed", `bannedWords: "${tidy.word}" has no visible characters.`);
        words = tidy.words;
      }
      const now = clock();
      const slow = parsed.data.slowModeSeconds;
      // One statement: it creates the row with defaults, or changes only the fields given.
      const row = await db
        .insertInto("room_settings")
        .values({ show_id: showId, slow_mode_seconds: slow ?? 0, banned_words: JSON.stringify(words ?? []), updated_by: actor.id, updated_at: now })
        .onConflict((oc) =>
          oc.column("show_id").doUpdateSet({
            updated_by: actor.id,
            updated_at: now,
            ...(slow !== undefined ? { slow_mode_seconds: slow } : {}),
            ...(words !== undefined ? { banned_words: JSON.stringify(words) } : {}),
          }),
        )
        .returning(["slow_mode_seconds", "banned_words"])
        .executeTakeFirstOrThrow();
      const settings: ModerationSettings = { slowModeSeconds: row.slow_mode_seconds, bannedWords: JSON.parse(row.banned_words) };
      applySettings(a.st, settings);
      bus.publish({ type: "room.settings_changed", showId, settings: structuredClone(settings) });
      return { ok: true, settings };
    },

    async listSanctions(actor, showId) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const rows = await activeSanctions(db, showId, clock())
        .innerJoin("users", "users.id", "room_sanctions.user_id")
        .select([
          "room_sanctions.user_id",
          "users.display_name",
          "room_sanctions.kind",
          "room_sanctions.until",
          "room_sanctions.reason",
          "room_sanctions.created_by",
          "room_sanctions.created_at",
        ])
        .orderBy("room_sanctions.created_at", "desc")
        .orderBy("room_sanctions.id", "desc")
        .execute();
      return {
        ok: true,
        sanctions: rows.map((r) => ({ userId: r.user_id, userName: r.display_name, kind: r.kind, until: isoOrNull(r.until), reason: r.reason, by: r.created_by, at: iso(r.created_at) })),
      };
    },

    async sanction(actor, showId, input) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const parsed = SanctionInput.safeParse(input);
      if (!parsed.success) return invalid(parsed.error);
      const { kind, userId, minutes, reason } = parsed.data;
      const target = await accounts.getUser(userId);
      if (!target) return fail("not_found", "No such user.");
      if (await self.isModerator(target, showId)) return fail("forbidden", "Hosts, the merchant's staff and moderators cannot be muted or banned.");
      const now = clock();
      const row = {
        id: newId("snc"),
        show_id: showId,
        user_id: userId,
        kind,
        until: minutes === undefined ? null : now + minutes * 60_000,
        reason: reason || null,
        created_by: actor.id,
        created_at: now,
        lifted_at: null,
        lifted_by: null,
      };
      await db.transaction().execute(async (tx) => {
        // A new mute replaces the current one (longer or shorter); likewise a ban.
        await liftActive(tx, showId, userId, now, actor.id, kind);
        await tx.insertInto("room_sanctions").values(row).execute();
      });
      a.st.sanctions[kind].set(userId, row.until);
      bus.publish({ type: "room.sanctioned", showId, userId, kind, until: row.until });
      return {
        ok: true,
        sanction: { userId, userName: target.displayName, kind, until: isoOrNull(row.until), reason: row.reason, by: actor.id, at: iso(now) },
      };
    },

    async lift(actor, showId, userId, kind) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const now = clock();
      const res = await liftActive(db, showId, userId, now, actor.id, kind);
      if (Number(res.numUpdatedRows) === 0) return fail("not_found", kind === "mute" ? "This user is not muted in this show." : "This user is not banned from this show.");
      a.st.sanctions[kind].delete(userId);
      bus.publish({ type: "room.sanctioned", showId, userId, kind: kind === "mute" ? "unmute" : "unban", until: null });
      return { ok: true };
    },

    async deleteMessage(actor, showId, messageId) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const res = await db
        .updateTable("chat_messages")
        .set({ deleted_at: clock(), deleted_by: actor.id })
        .where("id", "=", messageId)
        .where("show_id", "=", showId)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) {
        const exists = await db.selectFrom("chat_messages").select("id").where("id", "=", messageId).where("show_id", "=", showId).executeTakeFirst();
        // Deleting a deleted message changes nothing and says so by publishing nothing.
        return exists ? { ok: true } : fail("not_found", "No such message in this show.");
      }
      bus.publish({ type: "chat.deleted", showId, messageId, by: actor.id });
      return { ok: true };
    },

    async listModerators(actor, showId) {
      const a = await authorize(actor, showId);
      if (!a.ok) return a;
      const rows = await db
        .selectFrom("show_moderators")
        .innerJoin("users", "users.id", "show_moderators.user_id")
        .select(["show_moderators.user_id", "users.display_name", "show_moderators.added_by", "show_moderators.created_at"])
        .where("show_moderators.show_id", "=", showId)
        .orderBy("show_moderators.created_at")
        .orderBy("show_moderators.user_id")
        .execute();
      return { ok: true, moderators: rows.map((r) => ({ userId: r.user_id, name: r.display_name, addedBy: r.added_by, at: iso(r.created_at) })) };
    },

    async addModerator(actor, showId, email) {
      const a = await authorize(actor, showId, true);
      if (!a.ok) return a;
      // Accounts has no lookup by e-mail; this read of its table is the one exception, like sign-in's.
      const found = await db.selectFrom("users").select("id").where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
      const target = found ? await accounts.getUser(found.id) : null;
      if (!target) return fail("not_found", "No account with this e-mail.");
      if ((await shows.authorizeHost(target, showId)).ok) return fail("conflict", "This account already moderates the show as its host or staff.");
      const now = clock();
      const lifted = await db.transaction().execute(async (tx) => {
        const res = await tx
          .insertInto("show_moderators")
          .values({ show_id: showId, user_id: target.id, added_by: actor.id, created_at: now })
          .onConflict((oc) => oc.columns(["show_id", "user_id"]).doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return null;
        // A moderator cannot be muted or banned: what they had ends now.
        const current = await activeSanctions(tx, showId, now).select(["room_sanctions.kind"]).where("room_sanctions.user_id", "=", target.id).execute();
        if (current.length) await liftActive(tx, showId, target.id, now, actor.id);
        return [...new Set(current.map((c) => c.kind))];
      });
      if (lifted === null) return fail("conflict", "This account is already a moderator of this show.");
      a.st.moderators.add(target.id);
      for (const kind of lifted) a.st.sanctions[kind].delete(target.id);
      bus.publish({ type: "room.moderators_changed", showId });
      for (const kind of lifted) bus.publish({ type: "room.sanctioned", showId, userId: target.id, kind: kind === "mute" ? "unmute" : "unban", until: null });
      return { ok: true, moderator: { userId: target.id, name: target.displayName, addedBy: actor.id, at: iso(now) } };
    },

    async resync() {
      for (const showId of [...states.keys()]) {
        const fresh = await read(showId);
        const old = states.get(showId);
        if (!fresh || !old) continue;
        // Slow mode's instants are this node's own.
        fresh.lastChat = old.lastChat;
        fresh.pruneLastChatAt = old.pruneLastChatAt;
        states.set(showId, fresh);
      }
    },

    async removeModerator(actor, showId, userId) {
      const a = await authorize(actor, showId, true);
      if (!a.ok) return a;
      const res = await db.deleteFrom("show_moderators").where("show_id", "=", showId).where("user_id", "=", userId).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return fail("not_found", "This account is not a moderator of this show.");
      a.st.moderators.delete(userId);
      bus.publish({ type: "room.moderators_changed", showId });
      return { ok: true };
    },
  };
  return self;
}
