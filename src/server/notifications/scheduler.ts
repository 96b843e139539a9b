import type { Logger } from "pino";
import type { NotificationKind } from "../../shared/contracts/notifications.ts";
import type { Db } from "../platform/db.ts";
import type { Shows } from "../shows/service.ts";
import type { Fanout } from "./fanout.ts";
import type { NotificationsTables } from "./schema.ts";

/** A claim not finished within this long was left by a crashed process: another pass takes it over. */
const LEASE_MS = 2 * 60_000;
/** A show whose start passed less than this long ago and that is not live yet still gets "starting soon". */
const LATE_GRACE_MS = 5 * 60_000;

/**
 * Every fan-out runs under a claim in `notification_dispatches` (show, kind): one process at a time
 * does it, and `done_at` records that it finished. The starting-soon pass (every ~30 s) claims the
 * shows that start within the notice period; the same pass re-runs claims a crash left unfinished.
 * Fan-outs are idempotent, so taking over a half-done one only fills in who is missing.
 */
export function createDispatcher(deps: { db: Db; shows: Pick<Shows, "startingBetween">; fanout: Fanout; beforeMs: number; clock: () => number; log: Logger }) {
  const db = deps.db.withTables<NotificationsTables>();

  async function claim(showId: string, kind: NotificationKind, now: number): Promise<boolean> {
    const inserted = await db
      .insertInto("notification_dispatches")
      .values({ show_id: showId, kind, claimed_at: now, done_at: null })
      .onConflict((oc) => oc.columns(["show_id", "kind"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return true;
    const taken = await db
      .updateTable("notification_dispatches")
      .set({ claimed_at: now })
      .where("show_id", "=", showId)
      .where("kind", "=", kind)
      .where("done_at", "is", null)
      .where("claimed_at", "<", now - LEASE_MS)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1;
  }

  async function run(showId: string, kind: NotificationKind): Promise<boolean> {
    if (!(await claim(showId, kind, deps.clock()))) return false;
    await deps.fanout.fanOut(showId, kind);
    await db.updateTable("notification_dispatches").set({ done_at: deps.clock() }).where("show_id", "=", showId).where("kind", "=", kind).execute();
    return true;
  }

  return {
    /** Fans out once per show and kind (a duplicate event finds the claim taken). */
    run,
    /** One scheduler pass: unfinished claims of crashed processes, then the shows starting soon. */
    async tick(now = deps.clock()): Promise<{ startingSoon: number; recovered: number }> {
      let recovered = 0;
      const stale = await db.selectFrom("notification_dispatches").select(["show_id", "kind"]).where("done_at", "is", null).where("claimed_at", "<", now - LEASE_MS).limit(100).execute();
      for (const d of stale) if (await run(d.show_id, d.kind)) recovered++;
      if (recovered) deps.log.warn({ recovered }, "finished notification fan-outs left unfinished by a previous run");

      let startingSoon = 0;
      const due = await deps.shows.startingBetween(now - LATE_GRACE_MS, now + deps.beforeMs, 500);
      if (due.length) {
        const done = new Set(
          (
            await db
              .selectFrom("notification_dispatches")
              .select("show_id")
              .where("kind", "=", "show_starting_soon")
              .where("show_id", "in", due)
              .execute()
          ).map((r) => r.show_id),
        );
        for (const showId of due) if (!done.has(showId) && (await run(showId, "show_starting_soon"))) startingSoon++;
      }
      return { startingSoon, recovered };
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
