import type { Shows } from "./service.ts";

/** The reason a show ended because the node streaming it stopped renewing its lease. */
export const INGEST_LOST = "ingest_lost";

export interface IngestLeaseDeps {
  shows: Pick<Shows, "renewIngestLease" | "endOrphaned">;
  /** this node's id (the broker's), written next to the heartbeat so an operator sees who streams a show */
  node: string;
  /** the shows this node's ingest is streaming now */
  ingesting(): string[];
  /** a show this node streams was ended by another node (End show pressed there, or our lease ran out): stop streaming it */
  stopStreaming(showId: string): Promise<void>;
  /** shows this node just ended because their lease ran out (their recordings are unfinished) */
  onOrphansEnded(showIds: string[]): Promise<void>;
  /** a show is orphaned when its lease is this old */
  leaseMs: number;
  /** how often the lease is renewed and orphans looked for; default a third of the lease */
  renewMs?: number;
  clock?: () => number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Multi-node only (docs/deployment.md, "Failures"): a live show is streamed by one node, which renews a
 * lease on it (`shows.ingest_heartbeat_at`) for all its shows in one statement every `renewMs`; every
 * node ends the live shows whose lease is older than `leaseMs` — the node that streamed them was killed
 * or cut off — through the shows domain's ending (`show.ended` reaches every room). The conditional
 * update makes exactly one node end each. A node that finds one of its own shows ended stops streaming
 * it, so a node that lost its lease (cut off from the database for longer than the lease) does not
 * stream an ended show.
 *
 * A node ends others' shows only after a whole lease of reaching the database without a failure: after
 * an outage every node saw (the database down), the nodes that stream shows have had time to renew
 * their leases before anyone judges them, so an outage alone ends no show.
 */
export function startIngestLease(deps: IngestLeaseDeps): { close(): Promise<void> } {
  const now = deps.clock ?? Date.now;
  const renewMs = deps.renewMs ?? Math.max(250, Math.floor(deps.leaseMs / 3));
  let running: Promise<void> | null = null;
  let closed = false;
  /** since when every database round trip of this loop has succeeded (null: the last one failed, or none yet) */
  let healthySince: number | null = null;

  async function tick() {
    let ok = true;
    try {
      const endedElsewhere = await deps.shows.renewIngestLease(deps.node, deps.ingesting(), now());
      for (const showId of endedElsewhere) {
        deps.log.warn({ showId }, "a show this node streams was ended by another node: streaming stopped");
        await deps.stopStreaming(showId);
      }
    } catch (err) {
      ok = false;
      deps.log.error({ err }, "ingest lease not renewed");
    }
    if (closed) return;
    try {
      const t = now();
      const mayEnd = ok && healthySince !== null && t - healthySince >= deps.leaseMs;
      // Not yet allowed to end anything: the same query with a cutoff nothing is older than, as a health probe.
      const orphans = await deps.shows.endOrphaned(mayEnd ? t - deps.leaseMs : 0, INGEST_LOST);
      if (orphans.length) {
        deps.log.warn({ showIds: orphans, leaseMs: deps.leaseMs }, "ended live shows whose ingesting node stopped renewing its lease");
        await deps.onOrphansEnded(orphans);
      }
    } catch (err) {
      ok = false;
      deps.log.error({ err }, "orphaned live shows not checked");
    }
    if (!ok) healthySince = null;
    else healthySince ??= now();
  }

  const timer = setInterval(() => {
    if (running) return;
    running = tick().finally(() => (running = null));
  }, renewMs);
  timer.unref();

  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
