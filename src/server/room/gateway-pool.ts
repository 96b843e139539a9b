import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import path from "node:path";
import type { ValidClientMessage } from "../../shared/contracts/room.ts";
import type { RoomFrames } from "./hub.ts";
import type { EdgeConnInfo } from "./edge.ts";
import { lateUpstream, refuseUpgrade, socketsPerProcess, type Gateways } from "./gateways.ts";

/**
 * Room sockets in gateway child processes: each runs an `Edge` (gateway-main.ts). The server's HTTP
 * listener takes the upgrade request, decides who the viewer is and builds the snapshot, then passes
 * the socket itself to the gateway with the fewest connections (Node IPC, SCM_RIGHTS). The gateway
 * completes the WebSocket handshake. Afterwards the server sends each gateway one message per room
 * per tick (the frame texts), and the gateway encodes them once and writes them to its sockets; what
 * clients send comes back batched.
 *
 * Messages (structured clone over the IPC channel):
 *   server → gateway: i initial frames {connId, initial} (sent just before its `a`)
 *                     a adopt {info, closeWith?, method, headers, head} + socket
 *                     f frames {showId, all, hosts, personal}
 *                     r replies [[connId, text]...]
 *                     c close {connId, code, reason}
 *                     x shut down
 *   gateway → server: y ready (listening for messages)
 *                     m messages [[connId, msg]...]
 *                     o adopted [connId...]
 *                     l left {connId}
 *
 * Node gives up on a passed socket now and then under a burst of joins (the handle and its message
 * arrive in different reads; after three retransmissions it warns "SentHandleNotReceivedWarning" and
 * closes it). The client sees its socket close and reconnects; the server must not keep a connection
 * that never arrived, so every socket a gateway adopts is confirmed (`o`), and one unconfirmed after
 * ADOPT_TIMEOUT_MS is forgotten.
 */
export type ToGateway =
  | { t: "i"; connId: string; initial: string[] }
  | { t: "a"; info: EdgeConnInfo; closeWith?: { code: number; reason: string }; method: string; headers: Record<string, string | string[] | undefined>; head: Uint8Array }
  | { t: "f"; showId: string; frames: RoomFrames }
  | { t: "r"; replies: [string, string][] }
  | { t: "c"; connId: string; code: number; reason: string }
  | { t: "x" };
export type FromGateway = { t: "y" } | { t: "m"; messages: [string, ValidClientMessage][] } | { t: "o"; connIds: string[] } | { t: "l"; connId: string };

/** Gateways started on demand, beyond the configured count, when every one is nearly full. */
const MAX_GATEWAYS = 32;

/** A socket handed to a gateway and not confirmed within this long never arrived. */
const ADOPT_TIMEOUT_MS = 15_000;

interface Gw {
  child: ChildProcess;
  ready: boolean;
  conns: Set<string>;
  replies: [string, string][];
  exited: boolean;
}

export function gatewayProcesses(opts: { count: number; keepAliveMs?: number; maxPerGateway?: number; log: { error(o: object, m: string): void; warn(o: object, m: string): void } }): Gateways {
  const upstream = lateUpstream();
  /** A gateway holds at most this many sockets (its open-file limit); a new one starts at 80 %. */
  const maxPerGateway = opts.maxPerGateway ?? socketsPerProcess();
  const gws: Gw[] = [];
  const where = new Map<string, Gw>();
  /** per room, the gateways holding its connections and how many */
  const roomGws = new Map<string, Map<Gw, number>>();
  const connRoom = new Map<string, string>();
  /** sockets handed over and not yet confirmed, with when */
  const unconfirmed = new Map<string, number>();
  let closing = false;
  let flushScheduled = false;

  const forget = (gw: Gw, connId: string) => {
    unconfirmed.delete(connId);
    if (!gw.conns.delete(connId)) return;
    where.delete(connId);
    const showId = connRoom.get(connId);
    connRoom.delete(connId);
    const per = showId ? roomGws.get(showId) : undefined;
    if (per) {
      const n = (per.get(gw) ?? 1) - 1;
      if (n <= 0) per.delete(gw);
      else per.set(gw, n);
      if (per.size === 0) roomGws.delete(showId!);
    }
    upstream.left(connId);
  };

  const spawn = (i: number): Gw => {
    const child = fork(path.join(import.meta.dirname, "gateway-main.ts"), opts.keepAliveMs ? [`--keepalive-ms=${opts.keepAliveMs}`] : [], {
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const gw: Gw = { child, ready: false, conns: new Set(), replies: [], exited: false };
    child.on("message", (m: FromGateway) => {
      if (m.t === "y") gw.ready = true;
      else if (m.t === "m") for (const [connId, msg] of m.messages) upstream.message(connId, msg);
      else if (m.t === "o") for (const connId of m.connIds) unconfirmed.delete(connId);
      else if (m.t === "l") forget(gw, m.connId);
    });
    child.on("exit", (code, signal) => {
      gw.exited = true;
      // Its sockets died with it: the hub forgets them (their clients reconnect); a new gateway takes its place.
      for (const connId of [...gw.conns]) forget(gw, connId);
      if (closing) return;
      opts.log.error({ code, signal, gateway: i }, "room gateway exited; starting another");
      gws[i] = spawn(i);
    });
    return gw;
  };
  for (let i = 0; i < opts.count; i++) gws.push(spawn(i));
  const sweep = setInterval(() => {
    const before = Date.now() - ADOPT_TIMEOUT_MS;
    for (const [connId, at] of unconfirmed) {
      if (at > before) continue;
      const gw = where.get(connId);
      if (gw) forget(gw, connId);
      else unconfirmed.delete(connId);
    }
  }, 5000);
  sweep.unref();

  const send = (gw: Gw, m: ToGateway, handle?: Socket) => {
    if (gw.exited || !gw.child.connected) return false;
    gw.child.send(m, handle as never);
    return true;
  };
  const flushReplies = () => {
    flushScheduled = false;
    for (const gw of gws) {
      if (gw.replies.length === 0) continue;
      send(gw, { t: "r", replies: gw.replies });
      gw.replies = [];
    }
  };

  return {
    delivery: {
      frames(showId, frames) {
        const per = roomGws.get(showId);
        if (!per) return;
        for (const gw of per.keys()) {
          if (gw.replies.length) {
            send(gw, { t: "r", replies: gw.replies });
            gw.replies = [];
          }
          const personal = frames.personal.length ? frames.personal.filter(([connId]) => gw.conns.has(connId)) : frames.personal;
          send(gw, { t: "f", showId, frames: { all: frames.all, hosts: frames.hosts, personal } });
        }
      },
      reply(connId, text) {
        const gw = where.get(connId);
        if (!gw) return;
        gw.replies.push([connId, text]);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushReplies);
        }
      },
      close(connId, code, reason) {
        const gw = where.get(connId);
        if (gw) send(gw, { t: "c", connId, code, reason });
      },
    },
    connect: (u) => upstream.set(u),
    admit({ req, socket, head }, info, initial, closeWith) {
      const live = gws.filter((g) => !g.exited && g.child.connected);
      // Ready gateways first (a new one is still loading), then the emptiest.
      const gw = live.sort((a, b) => Number(b.ready) - Number(a.ready) || a.conns.size - b.conns.size)[0];
      if (gw && gw.conns.size >= 0.8 * maxPerGateway && gws.length < MAX_GATEWAYS && !gws.some((g) => !g.ready && !g.exited)) {
        opts.log.warn({ gateways: gws.length + 1, perGateway: maxPerGateway }, "room gateways nearly full; starting another");
        gws.push(spawn(gws.length));
      }
      if (!gw || gw.conns.size >= maxPerGateway) {
        refuseUpgrade(socket);
        if (!closeWith) upstream.left(info.connId);
        return;
      }
      if (!closeWith) {
        unconfirmed.set(info.connId, Date.now());
        gw.conns.add(info.connId);
        where.set(info.connId, gw);
        connRoom.set(info.connId, info.showId);
        let per = roomGws.get(info.showId);
        if (!per) roomGws.set(info.showId, (per = new Map()));
        per.set(gw, (per.get(gw) ?? 0) + 1);
      }
      // Replies queued for this gateway go first, so frame order per gateway stays the hub's order.
      flushReplies();
      // The socket travels with a small message of its own: Node drops a passed handle now and then
      // ("SentHandleNotReceivedWarning") when its message is big, and a snapshot can be tens of KB.
      if (initial.length) send(gw, { t: "i", connId: info.connId, initial });
      send(gw, { t: "a", info, closeWith, method: req.method ?? "GET", headers: req.headers, head: new Uint8Array(head) }, socket as Socket);
    },
    connections: () => where.size,
    async close() {
      // Sockets first (the server's HTTP close asks the gateways about the sockets it handed them).
      for (const gw of gws) send(gw, { t: "x" });
      const until = Date.now() + 2000;
      while (where.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    },
    async stop() {
      closing = true;
      clearInterval(sweep);
      await Promise.all(
        gws.map(
          (gw) =>
            new Promise<void>((resolve) => {
              if (gw.exited) return resolve();
              gw.child.once("exit", () => resolve());
              gw.child.kill("SIGTERM");
              setTimeout(() => gw.child.kill("SIGKILL"), 3000).unref();
            }),
        ),
      );
    },
  };
}
