/**
 * A bare WebSocket client for the load generator: an HTTP/1.1 upgrade by hand over `net`, then a frame
 * reader that hands over each whole message as a slice of the bytes received (no copy when a message
 * arrives in one read, no UTF-8 decoding, no events per frame beyond one callback).
 *
 * Why not `ws`: tens of thousands of viewers share two cores with the server being measured, and the
 * `ws` client's per-message cost (stream machinery, buffer lists, emitters) made the load generator,
 * not the server, the bottleneck. Reads land in one buffer shared by every socket of the process
 * (`onread`): no allocation and no stream events per read. This client does only what a counting
 * viewer needs: read frames,
 * answer pings, send small masked text frames, report the close code. It is not a general client: it
 * trusts the server (no Sec-WebSocket-Accept check, no extensions, no fragmented messages from us).
 */
import net from "node:net";
import crypto from "node:crypto";

export interface RawWsOptions {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
  headers?: Record<string, string>;
}

export interface RawWsHandlers {
  /** the upgrade was accepted */
  open(): void;
  /** a whole text or binary message (a view into the received bytes: read it now or copy it) */
  message(data: Buffer): void;
  /** the connection ended: the server's close code, 1006 when it ended without one */
  close(code: number): void;
  /** the upgrade failed or the socket errored before opening */
  error(reason: string): void;
}

const enum State {
  Handshake,
  Open,
  Closed,
}

const CRLFCRLF = Buffer.from("\r\n\r\n");

/**
 * Every socket of the process reads into this buffer; a read is handled before the next one starts
 * (one thread), and bytes that must outlive it (an incomplete frame) are copied out.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export class RawWs {
  private socket: net.Socket;
  private state = State.Handshake;
  /** bytes of an incomplete frame (or response head), kept until the rest arrives */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** payloads of a fragmented message so far */
  private fragments: Buffer[] = [];
  private closeCode = 1006;

  constructor(
    opts: RawWsOptions,
    private h: RawWsHandlers,
  ) {
    const key = crypto.randomBytes(16).toString("base64");
    const extra = Object.entries(opts.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    this.socket = net.connect({
      host: opts.host,
      port: opts.port,
      localAddress: opts.localAddress,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, buf: Uint8Array) => {
          this.onData(Buffer.from(buf.buffer, buf.byteOffset, nread));
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on("connect", () => {
      this.socket.write(
        `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    this.socket.on("error", (err: Error & { code?: string }) => {
      if (this.state === State.Handshake) this.fail(err.code ?? err.message.slice(0, 60));
    });
    this.socket.on("close", () => {
      const was = this.state;
      this.state = State.Closed;
      if (was === State.Handshake) this.h.error("closed before upgrade");
      else if (was === State.Open) this.h.close(this.closeCode);
    });
  }

  get open(): boolean {
    return this.state === State.Open;
  }

  /** Sends a text message, masked with a zero key (the mask is mandatory from clients; its value is not). */
  send(text: string) {
    if (this.state !== State.Open) return;
    this.writeFrame(0x1, Buffer.from(text));
  }

  terminate() {
    const was = this.state;
    this.state = State.Closed;
    this.socket.destroy();
    if (was === State.Handshake) this.h.error("terminated");
  }

  private fail(reason: string) {
    if (this.state !== State.Handshake) return;
    this.state = State.Closed;
    this.socket.destroy();
    this.h.error(reason);
  }

  private writeFrame(opcode: number, payload: Buffer) {
    const len = payload.length;
    const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(head + 4 + len);
    frame[0] = 0x80 | opcode;
    if (len < 126) frame[1] = 0x80 | len;
    else if (len < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(len, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(len), 2);
    }
    frame.writeUInt32BE(0, head); // the zero mask leaves the payload as it is
    payload.copy(frame, head + 4);
    this.socket.write(frame);
  }

  private onData(chunk: Buffer) {
    let buf = chunk;
    if (this.partsLength) {
      this.parts.push(chunk);
      buf = Buffer.concat(this.parts, this.partsLength + chunk.length);
      this.parts = [];
      this.partsLength = 0;
    }
    let at = 0;
    if (this.state === State.Handshake) {
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) return this.keep(buf, 0);
      const status = buf.toString("latin1", 0, buf.indexOf("\r\n"));
      if (!/^HTTP\/1\.1 101 /.test(status)) return this.fail(`HTTP ${status.split(" ")[1] ?? "?"}`);
      this.state = State.Open;
      this.h.open();
      at = end + 4;
    }
    while (at < buf.length && this.state === State.Open) {
      const avail = buf.length - at;
      if (avail < 2) break;
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (avail < 4) break;
        len = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (avail < 10) break;
        len = Number(buf.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (b1 & 0x80) head += 4; // servers do not mask; skip a mask should one come
      if (avail < head + len) break;
      this.onFrame(b0 & 0x80, b0 & 0x0f, buf.subarray(at + head, at + head + len));
      at += head + len;
    }
    if (at < buf.length && this.state === State.Open) this.keep(buf, at);
  }

  private keep(buf: Buffer, from: number) {
    // Copy: `buf` may be a slice of a larger pooled chunk we must not pin.
    const rest = Buffer.from(buf.subarray(from));
    this.parts = [rest];
    this.partsLength = rest.length;
  }

  private onFrame(fin: number, opcode: number, payload: Buffer) {
    switch (opcode) {
      case 0x0: // continuation
      case 0x1:
      case 0x2:
        if (!fin) {
          this.fragments.push(Buffer.from(payload));
          return;
        }
        if (this.fragments.length) {
          this.fragments.push(payload);
          const whole = Buffer.concat(this.fragments);
          this.fragments = [];
          return this.h.message(whole);
        }
        return this.h.message(payload);
      case 0x8:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.writeFrame(0x8, payload.subarray(0, 2));
        this.socket.end();
        return;
      case 0x9:
        return this.writeFrame(0xa, Buffer.from(payload));
      default:
        return; // pong or reserved: ignore
    }
  }
}
