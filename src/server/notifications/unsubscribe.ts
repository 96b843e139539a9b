import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../platform/db.ts";
import type { NotificationsTables } from "./schema.ts";

/**
 * Unsubscribe links carry `<userId>.<HMAC-SHA256(key, "unsubscribe:" + userId)>`: one click, no
 * sign-in, and nobody can forge a link for another user. The key is generated once and kept in the
 * database, so every node (and every restart) signs and checks alike, and there is no default secret.
 */
export async function unsubscribeTokens(db: Db) {
  const k = db.withTables<NotificationsTables>();
  await k
    .insertInto("notification_keys")
    .values({ name: "unsubscribe", value: randomBytes(32).toString("base64url"), created_at: Date.now() })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const key = Buffer.from((await k.selectFrom("notification_keys").select("value").where("name", "=", "unsubscribe").executeTakeFirstOrThrow()).value, "base64url");
  const sign = (userId: string) => createHmac("sha256", key).update(`unsubscribe:${userId}`).digest("base64url");
  return {
    tokenFor: (userId: string) => `${userId}.${sign(userId)}`,
    /** The user a token unsubscribes, or null when it is not one of ours. */
    verify(token: string): string | null {
      const dot = token.lastIndexOf(".");
      if (dot <= 0) return null;
      const userId = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1));
      const expected = Buffer.from(sign(userId));
      return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
    },
  };
}

export type UnsubscribeTokens = Awaited<ReturnType<typeof unsubscribeTokens>>;
