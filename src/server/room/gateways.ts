import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import fs from "node:fs";
import type { ValidClientMessage } from "../../shared/contracts/room.ts";
import type { Delivery, RoomFrames } from "./hub.ts";
import { Edge, type EdgeConnInfo, type Upstream } from "./edge.ts";
import { acceptUpgrade } from "./websocket.ts";

/** An upgrade request handed over by the HTTP server. */
export interface UpgradeTarget {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

/**
 * Where room sockets live. The hub talks to them through `delivery`; they talk back through the
 * upstream given to `connect`. Two implementations: in this process (the embedded default), and in
 * gateway child processes (`gateway-pool.ts`), which use every core and hold more sockets than one
 * process may open.
 */
export interface Gateways {
  readonly delivery: Delivery;
  connect(upstream: Upstream): void;
  /** Completes the WebSocket handshake on the socket and gives it its first frames. */
  admit(target: UpgradeTarget, info: EdgeConnInfo, initial: string[], closeWith?: { code: number; reason: string }): void;
  connections(): number;
  /** Closes every room socket (1001). Gateway processes stay up until `stop`, so the HTTP server can close first. */
  close(): Promise<void>;
  stop(): Promise<void>;
}

/** Forwards to an upstream that is connected later (the hub and the realtime core are built after). */
export function lateUpstream(): Upstream & { set(u: Upstream): void } {
  let target: Upstream | null = null;
  return {
    set: (u) => void (target = u),
    message: (connId: string, msg: ValidClientMessage) => target?.message(connId, msg),
    left: (connId: string) => target?.left(connId),
  };
}

/**
 * How many sockets one process may hold: its open-file limit (Linux's soft RLIMIT_NOFILE, read from
 * /proc) less room for everything else it opens. A process past its limit cannot even receive a socket.
 */
export function socketsPerProcess(): number {
  let limit = 20_000;
  try {
    const m = /Max open files\s+(\d+)/.exec(fs.readFileSync("/proc/self/limits", "utf8"));
    if (m) limit = Number(m[1]);
  } catch {
    /* not Linux: assume the common 20,000 */
  }
  return Math.max(100, limit - Math.min(1000, Math.floor(limit / 10)));
}

/** Refuses an upgrade the server cannot take now: 503 with Retry-After (clients back off and retry). */
export function refuseUpgrade(socket: Duplex, retryAfterSeconds = 5) {
  const body = "room is full on this server";
  if (socket.writable) socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${retryAfterSeconds}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Sockets in the server process itself. */
export function inProcessGateways(opts: { keepAliveMs?: number; maxConnections?: number } = {}): Gateways {
  const max = opts.maxConnections ?? socketsPerProcess();
  const upstream = lateUpstream();
  const edge = new Edge(upstream, opts);
  return {
    delivery: {
      frames: (showId: string, f: RoomFrames) => edge.frames(showId, f),
      reply: (connId, text) => edge.reply(connId, text),
      close: (connId, code, reason) => edge.close(connId, code, reason),
    },
    connect: (u) => upstream.set(u),
    admit({ req, socket, head }, info, initial, closeWith) {
      if (edge.size >= max) {
        refuseUpgrade(socket);
        if (!closeWith) upstream.left(info.connId);
        return;
      }
      if (acceptUpgrade(req, socket)) edge.adopt(socket as Socket, head, info, initial, closeWith);
      // A malformed handshake is refused without a connection: the hub must forget it.
      else if (!closeWith) upstream.left(info.connId);
    },
    connections: () => edge.size,
    async close() {
      edge.closeAll(1001, "server shutting down");
    },
    async stop() {},
  };
}
