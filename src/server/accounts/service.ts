import { createHash } from "node:crypto";
import argon2 from "argon2";
import type { Role, User } from "../../shared/contracts/accounts.ts";
import type { Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId, newSecret } from "../platform/ids.ts";
import type { EventBus } from "../platform/bus.ts";
import { recentMap } from "../platform/recent-map.ts";

export const SESSION_COOKIE = "vetrina_session";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface Accounts {
  signUp(input: { email: string; password: string; displayName: string; role?: Role; merchantId?: string | null }): Promise<Result<{ user: User }>>;
  signIn(email: string, password: string): Promise<Result<{ user: User; token: string; expiresAt: number }>>;
  signOut(token: string): Promise<void>;
  /** Drop the sessions kept in memory (the broker came back: another node's sign-outs may have been missed). */
  forgetKept(): void;
  userForSession(token: string | undefined): Promise<User | null>;
  getUser(id: string): Promise<User | null>;
  createMerchant(name: string, currency: string): Promise<{ id: string }>;
  getMerchant(id: string): Promise<{ id: string; name: string } | null>;
  /** People who may host a show of this merchant: its staff and every creator (host role). */
  listHostsFor(merchantId: string): Promise<{ id: string; displayName: string; role: Role }[]>;
}

/**
 * Every signed-in request looks its session up. The answer is kept in memory this long (and at most
 * SESSION_CACHE_MAX sessions): sessions are only ever created and signed out, and users and merchants
 * are not edited, so the only change a kept answer can miss is a sign-out, which drops it here at once
 * and on the other nodes through the `session.ended` event (cluster scope; if the broker is down, a
 * signed-out token works on another node for at most this long). Expiry is checked on every request.
 */
const SESSION_CACHE_MS = 30_000;
const SESSION_CACHE_MAX = 20_000;

export function createAccounts(deps: { db: Db; sessionTtlMs: number; bus?: EventBus; clock?: () => number }): Accounts {
  const { db, bus } = deps;
  const clock = deps.clock ?? Date.now;
  /** token hash → the user and the session's expiry */
  const sessions = recentMap<{ user: User; expiresAt: number }>({ max: SESSION_CACHE_MAX, ttlMs: SESSION_CACHE_MS, clock });
  bus?.subscribe("session.ended", (e) => sessions.delete(e.tokenHash), { scope: "cluster" });

  const userQuery = () =>
    db
      .selectFrom("users")
      .leftJoin("merchants", "merchants.id", "users.merchant_id")
      .select(["users.id", "users.email", "users.display_name", "users.role", "users.merchant_id", "merchants.name as merchant_name", "merchants.default_currency as merchant_currency"]);

  const toUser = (r: { id: string; email: string; display_name: string; role: Role; merchant_id: string | null; merchant_name: string | null; merchant_currency: string | null }): User => ({
    id: r.id,
    email: r.email,
    displayName: r.display_name,
    role: r.role,
    merchantId: r.merchant_id,
    merchantName: r.merchant_name,
    merchantCurrency: r.merchant_currency,
  });

  return {
    async signUp({ email, password, displayName, role = "viewer", merchantId = null }) {
      const existing = await db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
      if (existing) return fail("email_taken");
      const id = newId("usr");
      const password_hash = await argon2.hash(password, { type: argon2.argon2id });
      try {
        await db
          .insertInto("users")
          .values({ id, email, display_name: displayName, password_hash, role, merchant_id: merchantId, created_at: Date.now() })
          .execute();
      } catch (err) {
        // Two sign-ups racing on one e-mail: the unique index decides.
        if (String(err).toLowerCase().includes("unique")) return fail("email_taken");
        throw err;
      }
      const user = await this.getUser(id);
      return { ok: true, user: user! };
    },

    async signIn(email, password) {
      const row = await db.selectFrom("users").select(["id", "password_hash"]).where("email", "=", email).executeTakeFirst();
      // Verify against a dummy hash when the user is unknown, so timing does not reveal which e-mails exist.
      const hash = row?.password_hash ?? DUMMY_HASH;
      const valid = await argon2.verify(hash, password).catch(() => false);
      if (!row || !valid) return fail("invalid_credentials");
      const token = newSecret(32);
      const now = Date.now();
      const expiresAt = now + deps.sessionTtlMs;
      await db.insertInto("sessions").values({ token_hash: hashToken(token), user_id: row.id, created_at: now, expires_at: expiresAt }).execute();
      const user = (await this.getUser(row.id))!;
      return { ok: true, user, token, expiresAt };
    },

    async signOut(token) {
      const tokenHash = hashToken(token);
      await db.deleteFrom("sessions").where("token_hash", "=", tokenHash).execute();
      // After the delete: a look-up that kept the session before it is dropped here, and one in flight
      // across it is not kept (the drop moves the map's generation on).
      sessions.delete(tokenHash);
      bus?.publish({ type: "session.ended", tokenHash });
    },

    forgetKept() {
      sessions.clear();
    },

    async userForSession(token) {
      if (!token || token.length > 100) return null;
      const tokenHash = hashToken(token);
      let s = sessions.get(tokenHash);
      if (!s) {
        const generation = sessions.generation();
        const r = await userQuery()
          .innerJoin("sessions", "sessions.user_id", "users.id")
          .select("sessions.expires_at")
          .where("sessions.token_hash", "=", tokenHash)
          .executeTakeFirst();
        // A token that is not (yet) a session is not kept: the next request asks again.
        if (!r) return null;
        s = { user: toUser(r), expiresAt: Number(r.expires_at) };
        sessions.set(tokenHash, s, generation);
      }
      if (s.expiresAt < clock()) return null;
      return { ...s.user };
    },

    async getUser(id) {
      const r = await userQuery().where("users.id", "=", id).executeTakeFirst();
      return r ? toUser(r) : null;
    },

    async getMerchant(id) {
      return (await db.selectFrom("merchants").select(["id", "name"]).where("id", "=", id).executeTakeFirst()) ?? null;
    },
    async createMerchant(name, currency) {
      const id = newId("mer");
      await db.insertInto("merchants").values({ id, name, default_currency: currency, created_at: Date.now() }).execute();
      return { id };
    },

    async listHostsFor(merchantId) {
      const rows = await db
        .selectFrom("users")
        .select(["id", "display_name", "role"])
        .where((eb) => eb.or([eb("merchant_id", "=", merchantId), eb("role", "=", "host")]))
        .orderBy("display_name")
        .execute();
      return rows.map((r) => ({ id: r.id, displayName: r.display_name, role: r.role }));
    },
  };
}

// argon2id hash of a random string nobody knows; used only to equalize timing.
const DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$Q2uW3Uq1GqTqkGk7kQ1bqgQm7nV2yS8C3Qm9aVv1hZQ";
