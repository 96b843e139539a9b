import type { Socket } from "node:net";
import { ClientMessage, MAX_CLIENT_FRAME_BYTES, RoomCloseCode, type ValidClientMessage } from "../../shared/contracts/room.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import { defaultMessages } from "../platform/errors.ts";
import type { Delivery, RoomFrames } from "./hub.ts";
import { PING_FRAME, WsConnection, encodeTextFrame, type WsHandler } from "./websocket.ts";

export { encodeTextFrame };

/**
 * The edge: the sockets of room connections. It runs in the server process (embedded default) or in
 * gateway processes, and does the per-socket work so the hub never has to: it writes each frame's bytes
 * to every socket of the room, parses and validates what clients send, throttles floods, and
 * disconnects clients too slow to keep up. Valid messages go upstream to the hub's owner.
 */

/** What the edge knows of a connection. */
export interface EdgeConnInfo {
  connId: string;
  showId: string;
  userId: string | null;
  isHost: boolean;
}

export interface Upstream {
  message(connId: string, msg: ValidClientMessage): void;
  left(connId: string): void;
}

/** Flood control: chat 2 msg/s (burst 5), any message 20/s (burst 40). */
export const CHAT_RATE = 2;
const CHAT_BURST = 5;
const MSG_RATE = 20;
const MSG_BURST = 40;
/** A client that keeps flooding after being told is disconnected. */
const MAX_REJECTED = 100;
/** A socket whose unsent bytes exceed this is too slow to keep up and is disconnected. */
export const MAX_BUFFERED_BYTES = 1 << 20;

/** How often every socket is pinged; one that stayed silent since the last ping is dropped. */
export const KEEPALIVE_MS = 30_000;

/** A room socket: the WebSocket, who it is, and its flood-control buckets, in one object. */
class EdgeConn extends WsConnection implements EdgeConnInfo {
  readonly connId: string;
  readonly showId: string;
  readonly userId: string | null;
  readonly isHost: boolean;
  chatTokens = CHAT_BURST;
  msgTokens = MSG_BURST;
  lastRefill = Date.now();
  rejected = 0;
  constructor(socket: Socket, handler: WsHandler<EdgeConn>, info: EdgeConnInfo, head?: Buffer) {
    super(socket, handler as WsHandler<never>, head);
    this.connId = info.connId;
    this.showId = info.showId;
    this.userId = info.userId;
    this.isHost = info.isHost;
  }
}

export class Edge implements Delivery {
  private conns = new Map<string, EdgeConn>();
  private rooms = new Map<string, Set<EdgeConn>>();
  private keepAliveTimer: NodeJS.Timeout;

  constructor(
    private upstream: Upstream,
    opts: { keepAliveMs?: number } = {},
  ) {
    this.keepAliveTimer = setInterval(() => this.keepAlive(), opts.keepAliveMs ?? KEEPALIVE_MS);
    this.keepAliveTimer.unref();
  }

  get size(): number {
    return this.conns.size;
  }

  /**
   * Takes over a socket whose WebSocket handshake was just answered (`acceptUpgrade`): writes its first
   * frames (snapshot, catch-up), then the room's. `head`: bytes the client sent after its handshake.
   */
  adopt(socket: Socket, head: Buffer | undefined, info: EdgeConnInfo, initial: string[], closeWith?: { code: number; reason: string }) {
    const c = new EdgeConn(socket, this.handler, info, head);
    if (closeWith) return c.close(closeWith.code, closeWith.reason);
    this.conns.set(c.connId, c);
    let room = this.rooms.get(c.showId);
    if (!room) this.rooms.set(c.showId, (room = new Set()));
    room.add(c);
    for (const text of initial) this.write(c, encodeTextFrame(text));
  }

  private handler: WsHandler<EdgeConn> = {
    message: (c, data, binary) => this.onMessage(c, data, binary),
    closed: (c) => {
      if (!this.conns.delete(c.connId)) return;
      const r = this.rooms.get(c.showId);
      r?.delete(c);
      if (r?.size === 0) this.rooms.delete(c.showId);
      this.upstream.left(c.connId);
    },
  };

  /** Pings every socket; drops those that did not answer (nor say anything) since the last round. */
  private keepAlive() {
    for (const c of this.conns.values()) {
      if (!c.alive) c.terminate();
      else {
        c.alive = false;
        c.send(PING_FRAME);
      }
    }
  }

  frames(showId: string, f: RoomFrames) {
    const room = this.rooms.get(showId);
    if (!room || room.size === 0) return;
    // Each text is WebSocket-encoded once; the same bytes go to every socket.
    const all = f.all ? encodeTextFrame(f.all) : null;
    const hosts = f.hosts === f.all ? all : f.hosts ? encodeTextFrame(f.hosts) : null;
    let personal: Map<string, Buffer> | null = null;
    if (f.personal.length) {
      personal = new Map();
      const cache = new Map<string, Buffer>();
      for (const [connId, text] of f.personal) {
        if (!this.conns.has(connId)) continue;
        let b = cache.get(text);
        if (!b) cache.set(text, (b = encodeTextFrame(text)));
        personal.set(connId, b);
      }
    }
    for (const c of room) {
      const frame = (personal && personal.get(c.connId)) ?? (c.isHost ? hosts : all);
      if (frame) this.write(c, frame);
    }
  }

  reply(connId: string, text: string) {
    const c = this.conns.get(connId);
    if (c) this.write(c, encodeTextFrame(text));
  }

  close(connId: string, code: number, reason: string) {
    this.conns.get(connId)?.close(code, reason);
  }

  closeAll(code: number, reason: string) {
    clearInterval(this.keepAliveTimer);
    for (const c of this.conns.values()) c.close(code, reason);
  }

  /**
   * Writes a whole frame to the socket (every write is a whole frame, so frames never interleave). A
   * client that lets more than 1 MiB pile up in this process is closed with 4008 instead of growing
   * this process's memory.
   */
  private write(c: EdgeConn, frame: Buffer) {
    if (!c.open) return;
    if (c.buffered > MAX_BUFFERED_BYTES) return c.close(RoomCloseCode.slowConsumer, "too slow to keep up");
    c.send(frame);
  }

  private sendError(c: EdgeConn, code: ErrorCode, message?: string, retryAfterMs?: number) {
    this.write(c, encodeTextFrame(JSON.stringify([{ type: "error", code, message: message ?? defaultMessages[code], ...(retryAfterMs ? { retryAfterMs } : {}) }])));
  }

  private reject(c: EdgeConn, code: ErrorCode, message?: string, retryAfterMs?: number) {
    c.rejected++;
    if (c.rejected > MAX_REJECTED) {
      c.close(RoomCloseCode.flooding, "flooding");
      return;
    }
    this.sendError(c, code, message, retryAfterMs);
  }

  private onMessage(c: EdgeConn, raw: Buffer, isBinary: boolean) {
    const now = Date.now();
    const dt = (now - c.lastRefill) / 1000;
    c.lastRefill = now;
    c.chatTokens = Math.min(CHAT_BURST, c.chatTokens + dt * CHAT_RATE);
    c.msgTokens = Math.min(MSG_BURST, c.msgTokens + dt * MSG_RATE);
    if (c.msgTokens < 1) return this.reject(c, "rate_limited", undefined, Math.ceil(1000 / MSG_RATE));
    c.msgTokens -= 1;
    const size = raw.length;
    if (isBinary || size > MAX_CLIENT_FRAME_BYTES) return this.reject(c, isBinary ? "validation_failed" : "payload_too_large", isBinary ? "Binary frames are not accepted." : undefined);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString("utf8"));
    } catch {
      return this.reject(c, "malformed_json");
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return this.reject(c, "validation_failed", first ? `${first.path.join(".") || "message"}: ${first.message}` : undefined);
    }
    const msg = parsed.data;
    if (msg.type === "chat.send" || msg.type === "question.ask") {
      if (c.userId && c.chatTokens < 1) return this.reject(c, "rate_limited", "You are sending messages too fast.", Math.ceil(1000 / CHAT_RATE));
      if (c.userId) c.chatTokens -= 1;
    }
    this.upstream.message(c.connId, msg);
  }
}
