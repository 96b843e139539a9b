import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { ClientMessage, MAX_CLIENT_FRAME_BYTES, RoomCloseCode, type ValidClientMessage } from "../../shared/contracts/room.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import { defaultMessages } from "../platform/errors.ts";
import type { Delivery, RoomFrames } from "./hub.ts";

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

interface EdgeConn extends EdgeConnInfo {
  ws: WebSocket;
  socket: Socket;
  chatTokens: number;
  msgTokens: number;
  lastRefill: number;
  rejected: number;
}

/**
 * An unmasked, unfragmented server→client text frame (RFC 6455 §5.2). No per-message compression on
 * the fan-out path, so a frame is just a header and the payload.
 */
export function encodeTextFrame(text: string): Buffer {
  const len = Buffer.byteLength(text);
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const buf = Buffer.allocUnsafe(headerLen + len);
  buf[0] = 0x81; // FIN + text
  if (len < 126) buf[1] = len;
  else if (len < 65536) {
    buf[1] = 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 127;
    buf.writeBigUInt64BE(BigInt(len), 2);
  }
  buf.write(text, headerLen, "utf8");
  return buf;
}

export class Edge implements Delivery {
  private conns = new Map<string, EdgeConn>();
  private rooms = new Map<string, Set<EdgeConn>>();

  constructor(private upstream: Upstream) {}

  get size(): number {
    return this.conns.size;
  }

  /** Takes over an open WebSocket: writes its first frames (snapshot, catch-up), then the room's. */
  adopt(ws: WebSocket, socket: Socket, info: EdgeConnInfo, initial: string[], closeWith?: { code: number; reason: string }) {
    if (closeWith) {
      ws.close(closeWith.code, closeWith.reason);
      return;
    }
    const c: EdgeConn = { ...info, ws, socket, chatTokens: CHAT_BURST, msgTokens: MSG_BURST, lastRefill: Date.now(), rejected: 0 };
    this.conns.set(c.connId, c);
    let room = this.rooms.get(c.showId);
    if (!room) this.rooms.set(c.showId, (room = new Set()));
    room.add(c);
    for (const text of initial) this.write(c, encodeTextFrame(text));
    ws.on("message", (raw, isBinary) => this.onMessage(c, raw as Buffer, isBinary));
    ws.on("close", () => {
      if (!this.conns.delete(c.connId)) return;
      const r = this.rooms.get(c.showId);
      r?.delete(c);
      if (r?.size === 0) this.rooms.delete(c.showId);
      this.upstream.left(c.connId);
    });
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
    this.conns.get(connId)?.ws.close(code, reason);
  }

  closeAll(code: number, reason: string) {
    for (const c of this.conns.values()) c.ws.close(code, reason);
  }

  /**
   * Writes a whole frame straight to the socket (`ws` writes its own frames, pings and close, whole
   * and synchronously too, so frames never interleave). A client that lets more than 1 MiB pile up
   * is closed with 4008 instead of growing this process's memory.
   */
  private write(c: EdgeConn, frame: Buffer) {
    if (c.ws.readyState !== c.ws.OPEN || c.socket.destroyed || !c.socket.writable) return;
    if (c.socket.writableLength > MAX_BUFFERED_BYTES) {
      c.ws.close(RoomCloseCode.slowConsumer, "too slow to keep up");
      return;
    }
    c.socket.write(frame);
  }

  private sendError(c: EdgeConn, code: ErrorCode, message?: string, retryAfterMs?: number) {
    this.write(c, encodeTextFrame(JSON.stringify([{ type: "error", code, message: message ?? defaultMessages[code], ...(retryAfterMs ? { retryAfterMs } : {}) }])));
  }

  private reject(c: EdgeConn, code: ErrorCode, message?: string, retryAfterMs?: number) {
    c.rejected++;
    if (c.rejected > MAX_REJECTED) {
      c.ws.close(RoomCloseCode.flooding, "flooding");
      return;
    }
    this.sendError(c, code, message, retryAfterMs);
  }

  private onMessage(c: EdgeConn, raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    const now = Date.now();
    const dt = (now - c.lastRefill) / 1000;
    c.lastRefill = now;
    c.chatTokens = Math.min(CHAT_BURST, c.chatTokens + dt * CHAT_RATE);
    c.msgTokens = Math.min(MSG_BURST, c.msgTokens + dt * MSG_RATE);
    if (c.msgTokens < 1) return this.reject(c, "rate_limited", undefined, Math.ceil(1000 / MSG_RATE));
    c.msgTokens -= 1;
    const size = Array.isArray(raw) ? raw.reduce((s, b) => s + b.length, 0) : raw.byteLength;
    if (isBinary || size > MAX_CLIENT_FRAME_BYTES) return this.reject(c, isBinary ? "validation_failed" : "payload_too_large", isBinary ? "Binary frames are not accepted." : undefined);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : Buffer.from(raw as ArrayBuffer).toString("utf8"));
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
