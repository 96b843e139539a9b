import type SQLite from "better-sqlite3";
import type { FlashOutcome } from "../../shared/contracts/flash-sales.ts";
import type { Db } from "../platform/db.ts";
import type { Hold } from "./engine.ts";

/** One unit of durability: an attempt (and the hold it won), or holds that expired. */
export type JournalEntry =
  | { kind: "attempt"; saleId: string; seq: number; buyerId: string; key: string; outcome: FlashOutcome; holdId: string | null; at: number; hold: Hold | null }
  | { kind: "expired"; holdIds: string[]; at: number };

/** Writes a batch of decisions in one transaction: all of them are durable, or none is. */
export interface FlashJournal {
  write(entries: JournalEntry[], now: number): Promise<void>;
}

const CHUNK = 400;

/**
 * The journal's writer. On SQLite it runs prepared statements on the raw connection inside one
 * transaction (a batch of thousands of rows costs a few microseconds per row, where building and
 * compiling Kysely queries cost several times that); on PostgreSQL it sends multi-row inserts.
 */
export function createJournal(handle: { db: Db; sqlite?: SQLite.Database }): FlashJournal {
  const { db, sqlite } = handle;
  if (sqlite) {
    let txn: ((entries: JournalEntry[], now: number) => void) | undefined;
    const prepare = () => {
      const attempt = sqlite.prepare(
        "insert into flash_attempts (sale_id, seq, buyer_user_id, idempotency_key, outcome, hold_id, received_at) values (?, ?, ?, ?, ?, ?, ?)",
      );
      const hold = sqlite.prepare(
        "insert into flash_holds (id, sale_id, buyer_user_id, seq, status, created_at, expires_at, order_id, payment_attempts, shipping, updated_at) values (?, ?, ?, ?, 'held', ?, ?, null, 0, null, ?)",
      );
      const expire = sqlite.prepare("update flash_holds set status = 'expired', updated_at = ? where id = ? and status = 'held'");
      return sqlite.transaction((entries: JournalEntry[], now: number) => {
        for (const e of entries) {
          if (e.kind === "attempt") {
            attempt.run(e.saleId, e.seq, e.buyerId, e.key, e.outcome, e.holdId, e.at);
            const h = e.hold;
            if (h) hold.run(h.id, h.saleId, h.buyerId, h.seq, h.createdAt, h.expiresAt, h.createdAt);
          } else {
            for (const id of e.holdIds) expire.run(now, id);
          }
        }
      });
    };
    return {
      // Holding Kysely's one connection keeps every other query out while the raw transaction runs.
      write: (entries, now) => db.connection().execute(async () => (txn ??= prepare())(entries, now)),
    };
  }
  return {
    async write(entries, now) {
      const attempts = entries.filter((e): e is Extract<JournalEntry, { kind: "attempt" }> => e.kind === "attempt");
      const expired = entries.flatMap((e) => (e.kind === "expired" ? e.holdIds : []));
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < attempts.length; i += CHUNK) {
          const chunk = attempts.slice(i, i + CHUNK);
          await tx
            .insertInto("flash_attempts")
            .values(chunk.map((a) => ({ sale_id: a.saleId, seq: a.seq, buyer_user_id: a.buyerId, idempotency_key: a.key, outcome: a.outcome, hold_id: a.holdId, received_at: a.at })))
            .execute();
          const holds = chunk.flatMap((a) => (a.hold ? [a.hold] : []));
          if (holds.length)
            await tx
              .insertInto("flash_holds")
              .values(
                holds.map((h) => ({
                  id: h.id,
                  sale_id: h.saleId,
                  buyer_user_id: h.buyerId,
                  seq: h.seq,
                  status: "held" as const,
                  created_at: h.createdAt,
                  expires_at: h.expiresAt,
                  order_id: null,
                  payment_attempts: 0,
                  shipping: null,
                  updated_at: h.createdAt,
                })),
              )
              .execute();
        }
        for (let i = 0; i < expired.length; i += CHUNK) {
          await tx.updateTable("flash_holds").set({ status: "expired", updated_at: now }).where("id", "in", expired.slice(i, i + CHUNK)).where("status", "=", "held").execute();
        }
      });
    },
  };
}
