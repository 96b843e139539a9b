import pg from "pg";
import type { JournalEntry, FlashJournal } from "./journal.ts";

/**
 * Which node owns which flash sale, in a cluster (PostgreSQL + BROKER_URL; docs/multi-node.md#flash-sales-across-nodes).
 *
 * A sale is owned by the node holding the PostgreSQL session-level advisory lock
 * `(hashtext('vetrina-flash:' || schema), hashtext(sale id))` on its **lock connection**: one dedicated
 * connection per node, opened here and never returned to a pool. PostgreSQL releases the lock when
 * that session ends (the node died, or the connection broke), and only then can another node take it.
 *
 * Fencing: the owner writes its journal batches **on the lock connection itself**. A batch can only
 * commit through the session that holds the sale's lock; once that session is gone, the write fails
 * and the owner fail-stops (as a single node does when a batch cannot commit). A new owner takes the
 * lock only after the old session has ended, so every batch the old owner committed is visible to the
 * new owner's rebuild, and none can land after it.
 */
export interface SaleOwnership {
  /** Tries to take the sale's lock now (never waits); true when this node holds it (already or now). */
  tryOwn(saleId: string): Promise<boolean>;
  /** Gives the sale up (its lock released): a closed sale needs no owner. */
  release(saleId: string): Promise<void>;
  owns(saleId: string): boolean;
  /** The journal of owned sales: every batch in one transaction on the lock connection. */
  journal: FlashJournal;
  close(): Promise<void>;
}

const CHUNK = 400;

export async function openSaleOwnership(opts: {
  url: string;
  schema?: string;
  /** names the lock connection in pg_stat_activity (which node holds which sale's lock) */
  applicationName?: string;
  /** the lock connection broke while this node owned sales: it must stop (fail-stop) */
  onLost(err: unknown): void;
  log: { warn(o: object, m: string): void };
}): Promise<SaleOwnership> {
  const owned = new Set<string>();
  let closing = false;
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;

  const connect = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= (async () => {
      // Keepalives so PostgreSQL notices a vanished machine (and frees its locks) within ~15 s.
      const options = [...(opts.schema ? [`-c search_path=${opts.schema}`] : []), "-c tcp_keepalives_idle=5", "-c tcp_keepalives_interval=2", "-c tcp_keepalives_count=5"].join(" ");
      const c = new pg.Client({ connectionString: opts.url, options, keepAlive: true, connectionTimeoutMillis: 5000, application_name: opts.applicationName });
      c.on("error", (err) => lost(c, err));
      c.on("end", () => lost(c, new Error("lock connection ended")));
      await c.connect();
      client = c;
      return c;
    })().finally(() => (connecting = null));
    return connecting;
  };

  function lost(c: pg.Client, err: unknown) {
    if (client !== c) return;
    client = null;
    if (closing) return;
    if (owned.size) {
      // The locks went with the session: another node may own these sales now. Our books must not act.
      opts.onLost(err);
    } else {
      opts.log.warn({ err }, "flash-sale lock connection lost (no sale owned); reconnecting on demand");
    }
  }

  // One statement sequence at a time on the lock connection: a lock taken between a batch's BEGIN and
  // COMMIT would run inside the batch's transaction (and fail with it).
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };

  const lockArgs = (saleId: string) => [`vetrina-flash:${opts.schema ?? "public"}`, saleId];

  async function writeBatch(entries: JournalEntry[], now: number) {
    if (!client) throw new Error("flash-sale lock connection lost: this node no longer owns its sales");
    const c = client;
    const attempts = entries.filter((e): e is Extract<JournalEntry, { kind: "attempt" }> => e.kind === "attempt");
    const expired = entries.flatMap((e) => (e.kind === "expired" ? e.holdIds : []));
    await c.query("begin");
    try {
      for (let i = 0; i < attempts.length; i += CHUNK) {
        const chunk = attempts.slice(i, i + CHUNK);
        await c.query(insert("flash_attempts", ["sale_id", "seq", "buyer_user_id", "idempotency_key", "outcome", "hold_id", "received_at"], chunk.length), chunk.flatMap((a) => [a.saleId, a.seq, a.buyerId, a.key, a.outcome, a.holdId, a.at]));
        const holds = chunk.flatMap((a) => (a.hold ? [a.hold] : []));
        if (holds.length)
          await c.query(
            insert("flash_holds", ["id", "sale_id", "buyer_user_id", "seq", "status", "created_at", "expires_at", "payment_attempts", "updated_at"], holds.length),
            holds.flatMap((h) => [h.id, h.saleId, h.buyerId, h.seq, "held", h.createdAt, h.expiresAt, 0, h.createdAt]),
          );
      }
      for (let i = 0; i < expired.length; i += CHUNK)
        await c.query("update flash_holds set status = 'expired', updated_at = $1 where id = any($2) and status = 'held'", [now, expired.slice(i, i + CHUNK)]);
      await c.query("commit");
    } catch (err) {
      await c.query("rollback").catch(() => {});
      throw err;
    }
  }

  return {
    owns: (saleId) => owned.has(saleId),

    tryOwn: (saleId) =>
      exclusive(async () => {
        if (owned.has(saleId)) return true;
        const c = await connect();
        const r = await c.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext($1), hashtext($2)) as ok", lockArgs(saleId));
        if (r.rows[0]?.ok) owned.add(saleId);
        return owned.has(saleId);
      }),

    release: (saleId) =>
      exclusive(async () => {
        if (!owned.delete(saleId) || !client) return;
        await client.query("select pg_advisory_unlock(hashtext($1), hashtext($2))", lockArgs(saleId));
      }),

    journal: {
      write: (entries: JournalEntry[], now: number) => exclusive(() => writeBatch(entries, now)),
    },

    async close() {
      closing = true;
      owned.clear();
      const c = client;
      client = null;
      // Ending the session releases every lock it holds.
      await c?.end().catch(() => {});
    },
  };
}

function insert(table: string, columns: string[], rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) values.push(`(${columns.map((_, i) => `$${r * columns.length + i + 1}`).join(", ")})`);
  return `insert into ${table} (${columns.join(", ")}) values ${values.join(", ")}`;
}
