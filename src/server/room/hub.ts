import { randomBytes } from "node:crypto";
import type { User } from "../../shared/contracts/accounts.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

/**
 * The room hub, the authority over every room on this server: it numbers the room's events,
 * coalesces each tick into one frame, samples chat that runs faster than people can read, keeps the
 * recent frames for reconnect catch-up, and hands the frames to a `Delivery`, which owns the sockets
 * (in this process, or in gateway processes). The hub never touches a socket.
 */

/** Who receives an event: everyone, only the show's hosts/moderators, or hosts plus one user. */
export type Audience = { kind: "all" } | { kind: "hosts" } | { kind: "hostsAnd"; userId: string };

/** A connection as the hub knows it; the socket itself lives with the `Delivery`. */
export interface Conn {
  connId: string;
  showId: string;
  user: User | null;
  /** host or merchant staff of the show: gets host-only events */
  isHost: boolean;
  /** host, staff or moderator: their chat is never sampled out */
  priority: boolean;
}

/** One tick's frames of one room: the same text for everyone, hosts' text, and per-connection texts. */
export interface RoomFrames {
  all: string | null;
  hosts: string | null;
  personal: [connId: string, text: string][];
}

/** Where frames go. Implementations write the same bytes to many sockets. */
export interface Delivery {
  frames(showId: string, frames: RoomFrames): void;
  /** a direct answer to one connection (errors, pong, flash.result), outside the tick */
  reply(connId: string, text: string): void;
  close(connId: string, code: number, reason: string): void;
}

export interface HubOptions {
  /** tick length, ms */
  tickMs?: number;
  /** chat shown to everyone, messages per second per room, before sampling starts */
  chatRate?: number;
  /**
   * Chat deliveries per second one room may cost (messages shown × connections): a room so big that
   * `chatRate` would exceed it shows fewer messages a second, never fewer than MIN_CHAT_RATE, which is
   * still more than anyone reads.
   */
  chatDeliveriesPerSecond?: number;
  /** frames kept per room for catch-up */
  historyFrames?: number;
  /**
   * Socket writes per second one room's frames may cost (connections × frames per second). A room
   * small enough gets a frame every tick; a bigger one gets longer frames (fewer, fuller ones), up to
   * one a second. Every write is one system call per socket, whatever it carries.
   */
  writesPerSecond?: number;
  now?: () => number;
}

/** The fewest chat messages a second a room shows, however big. */
export const MIN_CHAT_RATE = 20;

/** Chat messages a second a room of this size shows everyone before it samples. */
export function roomChatRate(connections: number, chatRate: number, deliveriesPerSecond: number): number {
  return Math.min(chatRate, Math.max(MIN_CHAT_RATE, deliveriesPerSecond / Math.max(1, connections)));
}

/** The longest a room's events wait for their frame. */
export const MAX_FRAME_INTERVAL_MS = 1000;

/**
 * How long one frame of a room of this size collects events: a tick while connections × ticks per
 * second stays within the write budget, else a whole number of ticks that keeps it there (≤ 1 s).
 */
export function frameIntervalMs(connections: number, tickMs: number, writesPerSecond: number): number {
  const ideal = (connections * 1000) / writesPerSecond;
  if (ideal <= tickMs) return tickMs;
  return Math.min(MAX_FRAME_INTERVAL_MS, Math.ceil(ideal / tickMs) * tickMs);
}

/** How often a frame carrying only latest values may go to a room of this size. */
export function latestIntervalMs(connections: number, frameMs: number): number {
  if (connections < 1000) return 0;
  return Math.max(500, frameMs);
}

/** An empty room is kept this long, with its numbering and recent frames, for reconnecting viewers. */
const ROOM_KEEP_MS = 120_000;

const frameText = (header: ServerEvent, events: ServerEvent[]) => JSON.stringify([header, ...events]);

interface ChatItem {
  event: ServerEvent;
  senderId: string;
  priority: boolean;
  order: number;
}

class Room {
  readonly conns = new Map<string, Conn>();
  readonly byUser = new Map<string, Set<string>>();
  hosts = 0;
  seq = 0;
  /** when the last connection left (rooms are kept a while, so a reconnect can still catch up) */
  emptySince = 0;
  private pending: { event: ServerEvent; audience: Audience; order: number }[] = [];
  private chat: ChatItem[] = [];
  private order = 0;
  private latest = new Map<string, { event: ServerEvent; audience: Audience }>();
  private lastViewerCount = -1;
  private lastLatestAt = 0;
  private lastFlushAt = 0;
  /** recent numbered frames (the "all" text), oldest first, for catch-up */
  private history: { seq: number; text: string }[] = [];
  /** chat budget (token bucket) and fairness: when each sender was last shown */
  private chatTokens: number;
  private lastChatRefill: number;
  private lastShown = new Map<string, number>();
  private window = { start: 0, received: 0, shown: 0 };
  private sampling = false;

  constructor(
    readonly showId: string,
    private opts: Required<HubOptions>,
  ) {
    this.chatTokens = opts.chatRate;
    this.lastChatRefill = opts.now();
    this.window.start = opts.now();
  }

  add(conn: Conn) {
    this.conns.set(conn.connId, conn);
    if (conn.isHost) this.hosts++;
    if (conn.user) {
      let set = this.byUser.get(conn.user.id);
      if (!set) this.byUser.set(conn.user.id, (set = new Set()));
      set.add(conn.connId);
    }
    this.lastViewerCount = -1;
  }

  remove(connId: string): boolean {
    const conn = this.conns.get(connId);
    if (!conn) return false;
    this.conns.delete(connId);
    if (conn.isHost) this.hosts--;
    if (conn.user) {
      const set = this.byUser.get(conn.user.id);
      set?.delete(connId);
      if (set?.size === 0) this.byUser.delete(conn.user.id);
    }
    return true;
  }

  enqueue(event: ServerEvent, audience: Audience) {
    this.pending.push({ event, audience, order: this.order++ });
  }
  enqueueChat(event: ServerEvent, senderId: string, priority: boolean) {
    this.chat.push({ event, senderId, priority, order: this.order++ });
  }
  setLatest(key: string, event: ServerEvent, audience: Audience) {
    this.latest.set(key, { event, audience });
  }

  catchUp(since: number): string[] | null {
    if (since === this.seq) return [];
    if (since > this.seq || this.history.length === 0 || this.history[0]!.seq > since + 1) return null;
    return this.history.filter((h) => h.seq > since).map((h) => h.text);
  }

  /**
   * The fair sample: everything while the room's chat stays under its budget; above it, priority
   * messages (hosts, moderators) always, then one message per sender in turn, senders shown least
   * recently first. Returns the chosen items in arrival order and the ones left out.
   */
  private sampleChat(now: number): { shown: ChatItem[]; dropped: ChatItem[] } {
    const items = this.chat;
    this.chat = [];
    const rate = roomChatRate(this.conns.size, this.opts.chatRate, this.opts.chatDeliveriesPerSecond);
    this.chatTokens = Math.min(rate, this.chatTokens + ((now - this.lastChatRefill) / 1000) * rate);
    this.lastChatRefill = now;
    this.window.received += items.length;
    if (items.length === 0) return { shown: [], dropped: [] };
    const regular = items.filter((i) => !i.priority);
    let shown: ChatItem[];
    let dropped: ChatItem[] = [];
    if (regular.length <= Math.floor(this.chatTokens)) {
      shown = items;
      this.chatTokens -= regular.length;
    } else {
      const budget = Math.max(0, Math.floor(this.chatTokens));
      this.chatTokens -= budget;
      const bySender = new Map<string, ChatItem[]>();
      for (const i of regular) {
        const list = bySender.get(i.senderId);
        if (list) list.push(i);
        else bySender.set(i.senderId, [i]);
      }
      const senders = [...bySender.keys()].sort((a, b) => (this.lastShown.get(a) ?? 0) - (this.lastShown.get(b) ?? 0));
      const chosen = new Set<ChatItem>(items.filter((i) => i.priority));
      let taken = 0;
      for (let round = 0; taken < budget; round++) {
        let any = false;
        for (const s of senders) {
          const m = bySender.get(s)![round];
          if (!m) continue;
          any = true;
          chosen.add(m);
          if (++taken >= budget) break;
        }
        if (!any) break;
      }
      shown = items.filter((i) => chosen.has(i));
      dropped = items.filter((i) => !chosen.has(i));
    }
    for (const i of shown) this.lastShown.set(i.senderId, now);
    if (this.lastShown.size > 10_000) {
      // forget the senders shown longest ago
      const keep = [...this.lastShown.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5_000);
      this.lastShown = new Map(keep);
    }
    this.window.shown += shown.length;
    return { shown, dropped };
  }

  /** Reports the sampling state once a second while the room is, or has just stopped, sampling. */
  private samplingNotice(now: number) {
    const elapsed = now - this.window.start;
    if (elapsed < 1000) return;
    const { received, shown } = this.window;
    const active = shown < received;
    if (active || this.sampling) {
      this.latest.set("chat.sampling", {
        event: { type: "chat.sampling", active, receivedPerSecond: Math.round((received * 1000) / elapsed), shownPerSecond: Math.round((shown * 1000) / elapsed) },
        audience: { kind: "all" },
      });
    }
    this.sampling = active;
    this.window = { start: now, received: 0, shown: 0 };
  }

  /** One tick: coalesce into one frame per audience, serialize once; the delivery writes the same bytes to each socket. */
  /** `remoteViewers`: this room's connections on the other nodes of the cluster (0 on a single node) */
  flush(delivery: Delivery, now: number, remoteViewers = 0) {
    const { tickMs, writesPerSecond } = this.opts;
    const frameMs = frameIntervalMs(this.conns.size, tickMs, writesPerSecond);
    // A big room's frame spans several ticks (half a tick of slack absorbs timer jitter).
    if (frameMs > tickMs && now - this.lastFlushAt < frameMs - tickMs / 2) return;
    this.lastFlushAt = now;
    const { shown, dropped } = this.sampleChat(now);
    this.samplingNotice(now);
    const viewers = this.conns.size + remoteViewers;
    if (viewers !== this.lastViewerCount) {
      this.lastViewerCount = viewers;
      this.latest.set("viewers", { event: { type: "viewers.updated", count: viewers }, audience: { kind: "all" } });
    }
    const ordered = [...this.pending, ...shown.map((c) => ({ event: c.event, audience: { kind: "all" } as Audience, order: c.order }))].sort((a, b) => a.order - b.order);
    this.pending = [];
    // Latest values (counts, stock left) ride along with any frame; on their own, a big room gets them
    // less often, since every frame costs one write per socket.
    const latestDue = this.latest.size > 0 && (ordered.length > 0 || now - this.lastLatestAt >= latestIntervalMs(this.conns.size, frameMs));
    if (ordered.length === 0 && !latestDue && dropped.length === 0) return;
    const latest = latestDue ? [...this.latest.values()] : [];
    if (latestDue) {
      this.latest.clear();
      this.lastLatestAt = now;
    }

    const forAllOrdered = ordered.filter((i) => i.audience.kind === "all").map((i) => i.event);
    const forAllLatest = latest.filter((i) => i.audience.kind === "all").map((i) => i.event);
    const hasHostOnly = ordered.some((i) => i.audience.kind !== "all") || latest.some((i) => i.audience.kind !== "all");
    const header: ServerEvent = forAllOrdered.length ? { type: "frame", seq: ++this.seq, ts: now } : { type: "frame", ts: now };
    const allEvents = [...forAllOrdered, ...forAllLatest];
    const all = allEvents.length ? frameText(header, allEvents) : null;
    if (all && forAllOrdered.length) {
      this.history.push({ seq: this.seq, text: all });
      if (this.history.length > this.opts.historyFrames) this.history.shift();
    }
    const hosts = hasHostOnly ? frameText(header, [...ordered.map((i) => i.event), ...latest.map((i) => i.event)]) : all;

    // Personal frames: a user's own events (an open question, a chat message left out of the sample)
    // go to that user's connections together with everything everyone else gets.
    const mine = new Map<string, ServerEvent[]>();
    const addMine = (userId: string, e: ServerEvent) => {
      const list = mine.get(userId);
      if (list) list.push(e);
      else mine.set(userId, [e]);
    };
    for (const i of ordered) if (i.audience.kind === "hostsAnd") addMine(i.audience.userId, i.event);
    for (const d of dropped) addMine(d.senderId, d.event);
    const personal: [string, string][] = [];
    for (const [userId, events] of mine) {
      const connIds = this.byUser.get(userId);
      if (!connIds) continue;
      let text: string | null = null;
      for (const connId of connIds) {
        if (this.conns.get(connId)!.isHost) continue; // hosts get everything already
        text ??= frameText(header, [...allEvents, ...events]);
        personal.push([connId, text]);
      }
    }
    delivery.frames(this.showId, { all, hosts, personal });
  }
}

/** Every room of this server. */
export class RoomHub {
  /**
   * Which hub numbered the frames: a room's numbers mean something only to the hub that gave them, so
   * a viewer resuming from another hub (another node, or this one before a restart) gets a full snapshot.
   */
  readonly epoch = `${Date.now().toString(36)}.${randomBytes(4).toString("hex")}`;
  private rooms = new Map<string, Room>();
  /** multi-node: the room's connections on the other nodes (cluster-presence.ts) */
  private remoteViewers: (showId: string) => number = () => 0;
  private conns = new Map<string, Conn>();
  private timer: NodeJS.Timeout;
  private opts: Required<HubOptions>;

  constructor(
    private delivery: Delivery,
    private hooks: {
      onConnectionsChanged(total: number): void;
      /** a connection joined or left a room; `roomSize`: the room's connections now (analytics samples it) */
      onPresence?(conn: Conn, roomSize: number, joined: boolean): void;
    },
    opts: HubOptions = {},
  ) {
    this.opts = { tickMs: opts.tickMs ?? 100, chatRate: opts.chatRate ?? 150, historyFrames: opts.historyFrames ?? 600, writesPerSecond: opts.writesPerSecond ?? 40_000, chatDeliveriesPerSecond: opts.chatDeliveriesPerSecond ?? 2_500_000, now: opts.now ?? Date.now };
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
    this.timer.unref();
  }

  private room(showId: string): Room {
    let room = this.rooms.get(showId);
    if (!room) this.rooms.set(showId, (room = new Room(showId, this.opts)));
    return room;
  }

  join(conn: Conn) {
    this.conns.set(conn.connId, conn);
    const room = this.room(conn.showId);
    room.add(conn);
    this.hooks.onConnectionsChanged(this.conns.size);
    this.hooks.onPresence?.(conn, room.conns.size, true);
  }

  leave(connId: string) {
    const conn = this.conns.get(connId);
    if (!conn) return;
    this.conns.delete(connId);
    const room = this.rooms.get(conn.showId);
    if (room?.remove(connId) && room.conns.size === 0) room.emptySince = this.opts.now();
    this.hooks.onConnectionsChanged(this.conns.size);
    this.hooks.onPresence?.(conn, room?.conns.size ?? 0, false);
  }

  conn(connId: string): Conn | undefined {
    return this.conns.get(connId);
  }

  /** Is this user a host, staff member or moderator on any of their connections to the room? */
  isPriority(showId: string, userId: string): boolean {
    const room = this.rooms.get(showId);
    for (const connId of room?.byUser.get(userId) ?? []) if (room!.conns.get(connId)?.priority) return true;
    return false;
  }

  /** The connections of one user in one room (to close them on a ban, say). */
  connsOf(showId: string, userId: string): string[] {
    return [...(this.rooms.get(showId)?.byUser.get(userId) ?? [])];
  }

  /** The room's viewers: this node's connections plus, in a cluster, the other nodes' latest reports. */
  viewerCount(showId: string): number {
    return this.localViewerCount(showId) + this.remoteViewers(showId);
  }

  /** The room's connections on this node only. */
  localViewerCount(showId: string): number {
    return this.rooms.get(showId)?.conns.size ?? 0;
  }

  /** Multi-node: where the other nodes' viewer counts come from. */
  setRemoteViewers(count: (showId: string) => number) {
    this.remoteViewers = count;
  }

  hasHosts(showId: string): boolean {
    return (this.rooms.get(showId)?.hosts ?? 0) > 0;
  }

  roomIds(): string[] {
    return [...this.rooms.keys()];
  }

  totalConnections(): number {
    return this.conns.size;
  }

  /** The room's latest sequence number: a joiner's snapshot covers everything up to it. */
  seq(showId: string): number {
    return this.rooms.get(showId)?.seq ?? 0;
  }

  /** Frames numbered after `since`, or null when they are no longer kept (the client takes the snapshot). */
  catchUp(showId: string, since: number): string[] | null {
    return this.rooms.get(showId)?.catchUp(since) ?? (since === 0 ? [] : null);
  }

  broadcast(showId: string, event: ServerEvent, audience: Audience = { kind: "all" }) {
    this.rooms.get(showId)?.enqueue(event, audience);
  }

  /** A chat message: subject to the room's fair sample unless `priority` (hosts, moderators). */
  chat(showId: string, event: ServerEvent, senderId: string, priority: boolean) {
    this.rooms.get(showId)?.enqueueChat(event, senderId, priority);
  }

  /** Latest-value events (counts, stock, counters): only the last one of a tick is sent. */
  broadcastLatest(showId: string, key: string, event: ServerEvent, audience: Audience = { kind: "all" }) {
    this.rooms.get(showId)?.setLatest(key, event, audience);
  }

  /** Direct reply to one connection, outside the tick (errors, pong, flash results). */
  sendTo(connId: string, events: ServerEvent[]) {
    this.delivery.reply(connId, JSON.stringify(events));
  }

  close(connId: string, code: number, reason: string) {
    this.delivery.close(connId, code, reason);
  }

  tick() {
    const now = this.opts.now();
    for (const room of this.rooms.values()) {
      // Empty rooms keep numbering their events, so a viewer who comes back can catch up.
      room.flush(this.delivery, now, this.remoteViewers(room.showId));
      if (room.conns.size === 0 && now - room.emptySince > ROOM_KEEP_MS) this.rooms.delete(room.showId);
    }
  }

  stop() {
    clearInterval(this.timer);
  }
}
