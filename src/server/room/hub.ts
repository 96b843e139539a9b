import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { User } from "../../shared/contracts/accounts.ts";
import { RoomCloseCode, type ServerEvent } from "../../shared/contracts/room.ts";

/** Who receives an event: everyone, only the show's hosts/merchant staff, or hosts plus one user. */
export type Audience = { kind: "all" } | { kind: "hosts" } | { kind: "hostsAnd"; userId: string };

export interface RoomConnection {
  ws: WebSocket;
  /** the TCP socket under `ws`: fan-out writes pre-encoded frames to it directly */
  socket: Socket;
  user: User | null;
  isHost: boolean;
  /** token buckets for flood control */
  chatTokens: number;
  msgTokens: number;
  lastRefill: number;
  rejected: number;
}

const TICK_MS = 100;
/** A socket whose unsent bytes exceed this is too slow to keep up and is disconnected. */
const MAX_BUFFERED_BYTES = 1 << 20;

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

/**
 * Writes a whole frame straight to the socket. `ws` writes its own frames (pings, close) whole and
 * synchronously too, so frames never interleave mid-frame.
 */
function writeFrame(c: RoomConnection, frame: Buffer) {
  if (c.ws.readyState !== c.ws.OPEN || c.socket.destroyed || !c.socket.writable) return;
  c.socket.write(frame);
}

/** How often a frame carrying only latest values may go to a room of this size. */
export function latestIntervalMs(connections: number): number {
  if (connections < 1000) return 0;
  return 500;
}

class Room {
  readonly conns = new Set<RoomConnection>();
  hosts = 0;
  private pending: { event: ServerEvent; audience: Audience }[] = [];
  /** latest-value events merged per tick */
  private latest = new Map<string, { event: ServerEvent; audience: Audience }>();
  private lastViewerCount = -1;
  private lastLatestAt = 0;
  constructor(readonly showId: string) {}

  /** A newcomer's snapshot predates its own arrival: send the count on the next tick regardless. */
  countChanged() {
    this.lastViewerCount = -1;
  }

  enqueue(event: ServerEvent, audience: Audience) {
    this.pending.push({ event, audience });
  }
  setLatest(key: string, event: ServerEvent, audience: Audience) {
    this.latest.set(key, { event, audience });
  }

  /** One tick: coalesce into one frame per audience, serialize once, write the same bytes to each socket. */
  flush(onSlow: (c: RoomConnection) => void, now = Date.now()) {
    if (this.conns.size !== this.lastViewerCount) {
      this.lastViewerCount = this.conns.size;
      this.latest.set("viewers", { event: { type: "viewers.updated", count: this.conns.size }, audience: { kind: "all" } });
    }
    // Latest values (counts, stock left) ride along with any frame; on their own, a big room gets them
    // less often, since every frame costs one write per socket.
    const latestDue = this.latest.size > 0 && (this.pending.length > 0 || now - this.lastLatestAt >= latestIntervalMs(this.conns.size));
    if (this.pending.length === 0 && !latestDue) return;
    const items = latestDue ? [...this.pending, ...this.latest.values()] : this.pending;
    this.pending = [];
    if (latestDue) {
      this.latest.clear();
      this.lastLatestAt = now;
    }

    const forAll = items.filter((i) => i.audience.kind === "all").map((i) => i.event);
    const forHosts = items.filter((i) => i.audience.kind !== "all").map((i) => i.event);
    const personal = new Map<string, ServerEvent[]>();
    for (const i of items) {
      if (i.audience.kind === "hostsAnd") {
        const list = personal.get(i.audience.userId) ?? [];
        list.push(i.event);
        personal.set(i.audience.userId, list);
      }
    }
    // Events keep their relative order within each frame; hosts get everything. Each frame is
    // serialized and WebSocket-encoded once, and the same bytes are written to every socket.
    const allFrame = forAll.length ? encodeTextFrame(JSON.stringify(forAll)) : null;
    const hostFrame = forHosts.length ? encodeTextFrame(JSON.stringify(items.map((i) => i.event))) : allFrame;
    for (const c of this.conns) {
      let frame: Buffer | null;
      if (c.isHost) frame = hostFrame;
      else {
        const mine = c.user ? personal.get(c.user.id) : undefined;
        frame = mine
          ? encodeTextFrame(JSON.stringify(items.filter((i) => i.audience.kind === "all" || (i.audience.kind === "hostsAnd" && i.audience.userId === c.user!.id)).map((i) => i.event)))
          : allFrame;
      }
      if (!frame) continue;
      if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        onSlow(c);
        continue;
      }
      writeFrame(c, frame);
    }
  }
}

/** The realtime fan-out of every room on this process. */
export class RoomHub {
  private rooms = new Map<string, Room>();
  private timer: NodeJS.Timeout;
  constructor(private hooks: { onConnectionsChanged(total: number): void }) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  join(showId: string, conn: RoomConnection) {
    let room = this.rooms.get(showId);
    if (!room) this.rooms.set(showId, (room = new Room(showId)));
    room.conns.add(conn);
    if (conn.isHost) room.hosts++;
    room.countChanged();
    this.hooks.onConnectionsChanged(this.totalConnections());
  }

  leave(showId: string, conn: RoomConnection) {
    const room = this.rooms.get(showId);
    if (!room || !room.conns.delete(conn)) return;
    if (conn.isHost) room.hosts--;
    if (room.conns.size === 0) {
      room.flush(() => {});
      this.rooms.delete(showId);
    }
    this.hooks.onConnectionsChanged(this.totalConnections());
  }

  viewerCount(showId: string): number {
    return this.rooms.get(showId)?.conns.size ?? 0;
  }

  hasHosts(showId: string): boolean {
    return (this.rooms.get(showId)?.hosts ?? 0) > 0;
  }

  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  totalConnections(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.conns.size;
    return n;
  }

  broadcast(showId: string, event: ServerEvent, audience: Audience = { kind: "all" }) {
    this.rooms.get(showId)?.enqueue(event, audience);
  }

  /** Latest-value events (counts, stock, counters): only the last one of a tick is sent. */
  broadcastLatest(showId: string, key: string, event: ServerEvent, audience: Audience = { kind: "all" }) {
    this.rooms.get(showId)?.setLatest(key, event, audience);
  }

  /** Direct reply to one connection, outside the tick (errors, pong). */
  sendTo(conn: RoomConnection, events: ServerEvent[]) {
    writeFrame(conn, encodeTextFrame(JSON.stringify(events)));
  }

  tick() {
    for (const room of this.rooms.values()) {
      room.flush((c) => c.ws.close(RoomCloseCode.slowConsumer, "too slow to keep up"));
    }
  }

  close() {
    clearInterval(this.timer);
    for (const room of this.rooms.values()) for (const c of room.conns) c.ws.close(RoomCloseCode.serverShutdown, "server shutting down");
    this.rooms.clear();
  }
}
