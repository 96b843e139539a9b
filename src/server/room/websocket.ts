import { createHash } from "node:crypto";
import { isUtf8 } from "node:buffer";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

/**
 * The server side of RFC 6455 for room sockets, as lean as a connection can be: the handshake, a frame
 * reader that unmasks in place and hands over whole messages, the close handshake, ping/pong, and
 * writes of frames encoded once for many sockets. Why our own rather than `ws` (docs/room-protocol.md):
 * a room holds tens of thousands of mostly idle sockets, and `ws` keeps a WebSocket, a Receiver and a
 * Sender (two of them streams) per socket, about 7 KiB of heap each before any traffic; here a
 * connection is one object beside its net.Socket. The fan-out path never used `ws`'s writer anyway.
 *
 * Not supported, on purpose: extensions (no per-message compression on the fan-out path), subprotocols.
 */

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** Largest message (all fragments) read at all; bigger ones close the connection with 1009. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** How long a closing connection waits for the peer before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 5000;

export const CloseCode = { normal: 1000, goingAway: 1001, protocolError: 1002, unsupported: 1003, noStatus: 1005, abnormal: 1006, invalidPayload: 1007, tooBig: 1009 } as const;

/** The subset of an HTTP upgrade request the handshake reads. */
export interface UpgradeRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
}

const header = (req: UpgradeRequest, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * Answers a WebSocket upgrade: 101 and true when the request is a valid version-13 handshake, else a
 * plain 400 (426 for another version), the socket ended, and false.
 */
export function acceptUpgrade(req: UpgradeRequest, socket: Duplex): boolean {
  const key = header(req, "sec-websocket-key")?.trim();
  const version = header(req, "sec-websocket-version")?.trim();
  const upgrade = header(req, "upgrade")?.toLowerCase();
  const refuse = (status: string, extra = "") => {
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${status.length}\r\n\r\n${status}`);
    setTimeout(() => socket.destroy(), 1000).unref();
    return false;
  };
  if ((req.method ?? "GET") !== "GET" || upgrade !== "websocket") return refuse("400 Bad Request");
  if (version !== "13") return refuse("426 Upgrade Required", "Sec-WebSocket-Version: 13\r\n");
  if (!key || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return refuse("400 Bad Request");
  if (!socket.writable) return false;
  const accept = createHash("sha1").update(key + GUID).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  return true;
}

/**
 * An unmasked, unfragmented server→client frame (RFC 6455 §5.2): a header and the payload. Fan-out
 * encodes each room frame once with this and writes the same bytes to every socket.
 */
export function encodeFrame(opcode: number, payload: string | Buffer): Buffer {
  const len = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  const headerLen = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const buf = Buffer.allocUnsafe(headerLen + len);
  buf[0] = 0x80 | opcode;
  if (len < 126) buf[1] = len;
  else if (len < 65536) {
    buf[1] = 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 127;
    buf.writeBigUInt64BE(BigInt(len), 2);
  }
  if (typeof payload === "string") buf.write(payload, headerLen, "utf8");
  else payload.copy(buf, headerLen);
  return buf;
}

export const encodeTextFrame = (text: string) => encodeFrame(0x1, text);

/** The ping every connection gets from the keep-alive sweep: one shared buffer. */
export const PING_FRAME = encodeFrame(0x9, Buffer.alloc(0));

function closeFrame(code: number, reason: string): Buffer {
  const r = Buffer.from(reason);
  const payload = Buffer.allocUnsafe(2 + Math.min(r.length, 123));
  payload.writeUInt16BE(code, 0);
  r.copy(payload, 2, 0, 123);
  return encodeFrame(0x8, payload);
}

/** Close codes a peer may send (RFC 6455 §7.4): 1000–1003, 1007–1014, 3000–4999. */
const validPeerCode = (code: number) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

const enum State {
  Open,
  Closing,
  Closed,
}

/** What a connection reports to whoever owns it (one handler serves every connection). */
export interface WsHandler<C extends WsConnection> {
  /** a whole message: a text message already checked to be UTF-8; the buffer is only valid during the call */
  message(conn: C, data: Buffer, binary: boolean): void;
  /** the socket is gone; `code` is the close code the peer sent or we sent, 1006 when neither */
  closed(conn: C, code: number): void;
}

/**
 * One open WebSocket on a socket whose handshake `acceptUpgrade` completed. Subclass it to carry
 * per-connection state (the edge does), so a connection is one object beside its socket.
 */
export class WsConnection {
  private state = State.Open;
  /** bytes of an incomplete frame, kept until the rest arrives */
  private pending: Buffer | null = null;
  /** the fragments of a message being received, and its type */
  private fragments: Buffer[] | null = null;
  private fragmentsLength = 0;
  private fragmentBinary = false;
  private closeCode: number = CloseCode.abnormal;
  /** anything heard from the peer since the last keep-alive sweep */
  alive = true;

  constructor(
    readonly socket: Socket,
    private handler: WsHandler<never>,
    head?: Buffer,
  ) {
    socket.setNoDelay(true);
    socket.setTimeout(0);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.onSocketClose());
    if (head?.length) this.onData(Buffer.from(head));
  }

  get open(): boolean {
    return this.state === State.Open;
  }

  /** Bytes queued in this process, not yet taken by the kernel. */
  get buffered(): number {
    return this.socket.writableLength;
  }

  /** Writes an encoded frame (shared by many connections: it is not modified). */
  send(frame: Buffer) {
    if (this.state === State.Open && this.socket.writable) this.socket.write(frame);
  }

  /** Starts the close handshake: our close frame, then the end of the socket once it is written. */
  close(code: number, reason = "") {
    if (this.state !== State.Open) return;
    this.state = State.Closing;
    this.closeCode = code;
    if (this.socket.writable) this.socket.end(closeFrame(code, reason));
    setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS).unref();
  }

  /** Drops the connection without a close handshake. */
  terminate() {
    this.socket.destroy();
  }

  private fail(code: number, reason: string) {
    this.pending = null;
    this.fragments = null;
    this.close(code, reason);
  }

  private onSocketClose() {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.pending = null;
    this.fragments = null;
    (this.handler as WsHandler<WsConnection>).closed(this, this.closeCode);
  }

  private onData(chunk: Buffer) {
    this.alive = true;
    if (this.state !== State.Open) return;
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    while (this.state === State.Open) {
      const avail = buf.length - at;
      if (avail < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      const fin = (b0 & 0x80) !== 0;
      const opcode = b0 & 0x0f;
      if (b0 & 0x70) return this.fail(CloseCode.protocolError, "no extensions were negotiated");
      if (!(b1 & 0x80)) return this.fail(CloseCode.protocolError, "client frames must be masked");
      let len = b1 & 0x7f;
      let headerLen = 2;
      if (len === 126) {
        if (avail < 4) break;
        len = buf.readUInt16BE(at + 2);
        headerLen = 4;
      } else if (len === 127) {
        if (avail < 10) break;
        const big = buf.readBigUInt64BE(at + 2);
        if (big > BigInt(MAX_MESSAGE_BYTES)) return this.fail(CloseCode.tooBig, "message too big");
        len = Number(big);
        headerLen = 10;
      }
      const control = opcode >= 0x8;
      if (control && (len > 125 || !fin)) return this.fail(CloseCode.protocolError, "bad control frame");
      if (!control && (this.fragmentsLength + len > MAX_MESSAGE_BYTES)) return this.fail(CloseCode.tooBig, "message too big");
      if (avail < headerLen + 4 + len) break;
      const maskAt = at + headerLen;
      const payload = buf.subarray(maskAt + 4, maskAt + 4 + len);
      for (let i = 0; i < len; i++) payload[i]! ^= buf[maskAt + (i & 3)]!;
      at = maskAt + 4 + len;
      if (!this.onFrame(fin, opcode, payload)) return;
    }
    if (at < buf.length && this.state === State.Open) this.pending = Buffer.from(buf.subarray(at));
  }

  /** One unmasked frame; false when the connection stopped reading. */
  private onFrame(fin: boolean, opcode: number, payload: Buffer): boolean {
    switch (opcode) {
      case 0x1:
      case 0x2: {
        if (this.fragments) return this.fail(CloseCode.protocolError, "expected a continuation frame"), false;
        if (!fin) {
          this.fragments = [Buffer.from(payload)];
          this.fragmentsLength = payload.length;
          this.fragmentBinary = opcode === 0x2;
          return true;
        }
        return this.deliver(payload, opcode === 0x2);
      }
      case 0x0: {
        if (!this.fragments) return this.fail(CloseCode.protocolError, "unexpected continuation frame"), false;
        this.fragments.push(Buffer.from(payload));
        this.fragmentsLength += payload.length;
        if (!fin) return true;
        const whole = Buffer.concat(this.fragments, this.fragmentsLength);
        this.fragments = null;
        this.fragmentsLength = 0;
        return this.deliver(whole, this.fragmentBinary);
      }
      case 0x8: {
        if (payload.length === 1) return this.fail(CloseCode.protocolError, "bad close frame"), false;
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : CloseCode.noStatus;
        if (payload.length >= 2 && (!validPeerCode(code) || !isUtf8(payload.subarray(2)))) return this.fail(CloseCode.protocolError, "bad close frame"), false;
        // Echo the peer's close and end the socket; its code is what the connection closed with.
        this.state = State.Closing;
        this.closeCode = code;
        if (this.socket.writable) this.socket.end(code === CloseCode.noStatus ? encodeFrame(0x8, Buffer.alloc(0)) : closeFrame(code, ""));
        setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS).unref();
        return false;
      }
      case 0x9:
        this.send(encodeFrame(0xa, payload));
        return true;
      case 0xa:
        return true;
      default:
        return this.fail(CloseCode.protocolError, "unknown opcode"), false;
    }
  }

  private deliver(data: Buffer, binary: boolean): boolean {
    if (!binary && !isUtf8(data)) return this.fail(CloseCode.invalidPayload, "text is not UTF-8"), false;
    (this.handler as WsHandler<WsConnection>).message(this, data, binary);
    return this.state === State.Open;
  }
}
