import type { Broker } from "../platform/broker.ts";
import type { RoomHub } from "./hub.ts";

const SUBJECT = "room.presence";
/** how often each node reports its rooms' connections */
export const PRESENCE_REPORT_MS = 1000;
/** a node not heard from for this long is gone: its viewers no longer count */
export const PRESENCE_STALE_MS = 4000;

interface Report {
  node: string;
  /** [showId, connections on that node]; rooms with none are left out */
  rooms: [string, number][];
  /** true on a node's last report (it is shutting down) */
  gone?: boolean;
}

/**
 * Viewer counts across nodes: each node publishes its per-show connection counts every second; each
 * keeps the latest report of every other node and drops a node silent for PRESENCE_STALE_MS (killed,
 * or cut off from the broker). `hub.viewerCount(showId)` is then this node's connections plus the sum
 * of the others' reports: what the room, the feed, the host's counters and analytics see.
 */
export function clusterPresence(broker: Broker, hub: RoomHub, opts: { reportMs?: number; staleMs?: number; now?: () => number } = {}) {
  const now = opts.now ?? Date.now;
  const staleMs = opts.staleMs ?? PRESENCE_STALE_MS;
  const reportMs = opts.reportMs ?? PRESENCE_REPORT_MS;
  const others = new Map<string, { at: number; rooms: Map<string, number> }>();
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  const off = broker.subscribe(SUBJECT, (data) => {
    let r: Report;
    try {
      r = JSON.parse(dec.decode(data));
    } catch {
      return;
    }
    if (typeof r.node !== "string" || r.node === broker.nodeId || !Array.isArray(r.rooms)) return;
    if (r.gone) others.delete(r.node);
    else
      others.set(r.node, {
        at: now(),
        rooms: new Map(r.rooms.filter(([id, n]) => typeof id === "string" && Number.isInteger(n) && n > 0)),
      });
  });

  const report = (gone = false) => {
    const rooms: [string, number][] = [];
    if (!gone) for (const id of hub.roomIds()) {
      const n = hub.localViewerCount(id);
      if (n > 0) rooms.push([id, n]);
    }
    broker.publish(SUBJECT, enc.encode(JSON.stringify({ node: broker.nodeId, rooms, ...(gone ? { gone } : {}) } satisfies Report)));
  };
  const timer = setInterval(() => {
    report();
    const t = now();
    for (const [node, r] of others) if (t - r.at > staleMs) others.delete(node);
  }, reportMs);
  timer.unref();

  hub.setRemoteViewers((showId) => {
    if (others.size === 0) return 0;
    const t = now();
    let sum = 0;
    for (const r of others.values()) if (t - r.at <= staleMs) sum += r.rooms.get(showId) ?? 0;
    return sum;
  });

  return {
    /** the other nodes currently counted */
    nodes: () => [...others.keys()],
    close() {
      clearInterval(timer);
      report(true);
      off();
      hub.setRemoteViewers(() => 0);
    },
  };
}
