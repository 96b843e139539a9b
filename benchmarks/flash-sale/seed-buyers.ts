import { createHash, randomBytes } from "node:crypto";
import type { Database, Db } from "../../src/server/platform/db.ts";

/**
 * Seeds N shoppers with live sessions straight into the database: signing 100,000 people up through
 * the API would spend minutes in argon2, which is not what the benchmark measures.
 */
export async function seedBuyers(db: Db, n: number, prefix = "bench"): Promise<string[]> {
  const tokens: string[] = [];
  const now = Date.now();
  const hash = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2htYXJrc2FsdA$0000000000000000000000000000000000000000000";
  const CHUNK = 500;
  for (let start = 0; start < n; start += CHUNK) {
    const users: Database["users"][] = [];
    const sessions: Database["sessions"][] = [];
    for (let i = start; i < Math.min(n, start + CHUNK); i++) {
      const id = `usr_${prefix}${i.toString(36).padStart(6, "0")}`;
      const token = `${prefix}-${i}-${randomBytes(12).toString("base64url")}`;
      tokens.push(token);
      users.push({ id, email: `${prefix}${i}@bench.test`, display_name: `Buyer ${i}`, password_hash: hash, role: "viewer" as const, merchant_id: null, created_at: now });
      sessions.push({ token_hash: createHash("sha256").update(token).digest("hex"), user_id: id, created_at: now, expires_at: now + 86_400_000 });
    }
    await db.transaction().execute(async (tx) => {
      await tx.insertInto("users").values(users).execute();
      await tx.insertInto("sessions").values(sessions).execute();
    });
  }
  return tokens;
}
