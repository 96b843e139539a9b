import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { User } from "../../shared/contracts/accounts.ts";
import { RoomCloseCode, type ChatMessage, type ServerEvent, type ValidClientMessage } from "../../shared/contracts/room.ts";
import type { Question, Show, ShowCounters } from "../../shared/contracts/shows.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import type { EventBus } from "../platform/bus.ts";
import { defaultMessages } from "../platform/errors.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Orders } from "../checkout/orders.ts";
import type { FlashSales, FlashUpdated } from "../flash-sales/service.ts";
import { newId } from "../platform/ids.ts";
import { RoomHub, type Conn, type HubOptions } from "./hub.ts";
import type { Gateways } from "./gateways.ts";
import type { RoomService } from "./service.ts";
import type { Moderation } from "../moderation/service.ts";
import type { Broker } from "../platform/broker.ts";
import { clusterPresence } from "./cluster-presence.ts";

const LIKE_FLUSH_MS = 2000;
/** multi-node: how often a node tells the others the likes it received */
const LIKE_SHARE_MS = 200;
const ROOM_PATH = /^\/api\/v1\/shows\/([A-Za-z0-9_-]{1,64})\/room(?:\?(.*))?$/;

export interface Realtime {
  hub: RoomHub;
  /** The HTTP upgrade of a room URL: who is it, which show, and the snapshot; then a gateway takes the socket. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Does this request path belong to the room? */
  isRoomPath(url: string): boolean;
  counters(showId: string): Promise<ShowCounters>;
  likeTotal(showId: string): number | undefined;
  /** Closes every room connection. */
  close(): Promise<void>;
  /** Stops the gateway processes; after the HTTP server has closed. */
  stop(): Promise<void>;
}

export function createRealtime(deps: {
  bus: EventBus;
  room: RoomService;
  shows: Shows;
  catalog: Catalog;
  orders: Orders;
  flashSales: Pick<FlashSales, "forShow" | "attempt">;
  gateways: Gateways;
  moderation: Pick<Moderation, "load" | "canJoin" | "checkChat" | "isModerator" | "settings">;
  userForSession(token: string | undefined): Promise<User | null>;
  onConnectionsChanged(total: number): void;
  onChat(): void;
  /** analytics: a connection joined or left a room (`viewers`: the room's size now); likes arrived */
  onPresence?(showId: string, userId: string | null, viewers: number, joined: boolean): void;
  onLikes?(showId: string, count: number): void;
  /** a viewer was admitted; `share` and `visitor`: the share token and browser id of the handshake (`?share=…&visitor=…`), if any */
  onJoin?(join: { showId: string; userId: string | null; share: string | null; visitor: string | null }): void;
  hub?: HubOptions;
  /**
   * Multi-node (BROKER_URL): the room's events come from every node (the bus's cluster scope), likes
   * are shared, viewer counts are summed over nodes. See docs/multi-node.md.
   */
  cluster?: { broker: Broker };
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}): Realtime {
  const gateways = deps.gateways;
  const hub = new RoomHub(
    gateways.delivery,
    // The room's size as analytics samples it: the whole cluster's (equal to this hub's on one node).
    { onConnectionsChanged: deps.onConnectionsChanged, onPresence: (c, local, joined) => deps.onPresence?.(c.showId, c.user?.id ?? null, local + hub.viewerCount(c.showId) - hub.localViewerCount(c.showId), joined) },
    deps.hub,
  );
  /** Likes are aggregated in memory and written to the database every few seconds. */
  const likes = new Map<string, { total: number; unflushed: number }>();
  const presence = deps.cluster ? clusterPresence(deps.cluster.broker, hub) : null;
  // After a broker outage the events missed meanwhile may have left cached snapshots stale, and the
  // likes totals short of the other nodes' likes: those are read again once every node has written its own.
  deps.cluster?.broker.onHealthChange((h) => {
    if (h.status !== "up") return;
    invalidate();
    setTimeout(() => void resyncLikes().catch((err) => deps.log.error({ err }, "likes not re-read after the broker outage")), LIKE_FLUSH_MS + 500).unref();
  });
  async function resyncLikes() {
    for (const [showId, s] of likes) {
      const stored = (await deps.shows.get(showId))?.likeCount;
      if (stored === undefined || likes.get(showId) !== s) continue;
      s.total = stored + s.unflushed;
      hub.broadcastLatest(showId, "likes", { type: "likes.updated", total: s.total });
    }
  }
  /** Multi-node: this node's likes not yet told to the other nodes (sent every LIKE_SHARE_MS as `likes.added`). */
  const likesToShare = new Map<string, number>();
  const shareTimer = deps.cluster
    ? setInterval(() => {
        for (const [showId, count] of likesToShare) deps.bus.publish({ type: "likes.added", showId, count });
        likesToShare.clear();
      }, LIKE_SHARE_MS)
    : null;
  shareTimer?.unref();
  /** Events a room shows come from every node (each node's hub delivers them to its own sockets). */
  const cluster = { scope: "cluster" } as const;

  async function likeState(showId: string) {
    let s = likes.get(showId);
    if (!s) {
      const show = await deps.shows.get(showId);
      s = likes.get(showId) ?? { total: show?.likeCount ?? 0, unflushed: 0 };
      likes.set(showId, s);
    }
    return s;
  }

  async function flushLikes() {
    for (const showId of hub.roomIds()) {
      await deps.shows.recordPeakViewers(showId, hub.viewerCount(showId)).catch(() => {});
    }
    for (const [showId, s] of likes) {
      if (s.unflushed === 0) {
        if (hub.localViewerCount(showId) === 0) likes.delete(showId);
        continue;
      }
      const n = s.unflushed;
      s.unflushed = 0;
      try {
        await deps.shows.addLikes(showId, n);
      } catch (err) {
        s.unflushed += n;
        deps.log.error({ err, showId }, "could not save likes; will retry");
      }
    }
  }
  const likeTimer = setInterval(() => void flushLikes(), LIKE_FLUSH_MS);
  likeTimer.unref();

  async function counters(showId: string): Promise<ShowCounters> {
    const sales = await deps.orders.showSales(showId);
    const show = likes.get(showId);
    const likeCount = show ? show.total : ((await deps.shows.get(showId))?.likeCount ?? 0);
    return { viewers: hub.viewerCount(showId), likes: likeCount, orders: sales.orders, revenue: sales.revenue };
  }

  /** Host counters are recomputed at most every 250 ms per show, and only while a host is watching. */
  const countersDirty = new Set<string>();
  const pushCounters = async (showId: string) => void countersDirty.add(showId);
  const countersTimer = setInterval(() => {
    for (const showId of countersDirty) {
      countersDirty.delete(showId);
      if (!hub.hasHosts(showId)) continue;
      counters(showId)
        .then((c) => hub.broadcastLatest(showId, "counters", { type: "counters.updated", counters: c }, { kind: "hosts" }))
        .catch((err) => deps.log.error({ err, showId }, "counters failed"));
    }
  }, 250);
  countersTimer.unref();

  const sendError = (c: Conn, code: ErrorCode, message?: string, retryAfterMs?: number, ref?: string) =>
    hub.sendTo(c.connId, [{ type: "error", code, message: message ?? defaultMessages[code], ...(retryAfterMs ? { retryAfterMs } : {}), ...(ref ? { ref } : {}) }]);

  /** A validated message from a connection (flood control and validation happened at the edge). */
  async function onMessage(c: Conn, msg: ValidClientMessage) {
    const showId = c.showId;
    switch (msg.type) {
      case "ping":
        return hub.sendTo(c.connId, [{ type: "pong", at: msg.at }]);
      case "like.send": {
        const s = await likeState(showId);
        s.total += msg.count;
        s.unflushed += msg.count;
        deps.onLikes?.(showId, msg.count);
        if (deps.cluster) likesToShare.set(showId, (likesToShare.get(showId) ?? 0) + msg.count);
        hub.broadcastLatest(showId, "likes", { type: "likes.updated", total: s.total });
        return;
      }
      case "flash.buy": {
        if (!c.user) return sendError(c, "unauthenticated", "Sign in to buy.", undefined, msg.key);
        const r = await deps.flashSales.attempt(c.user, msg.saleId, msg.key);
        if (!r.ok) return sendError(c, r.code, r.message, undefined, msg.key);
        return hub.sendTo(c.connId, [{ type: "flash.result", result: r.result }]);
      }
      case "chat.send":
      case "question.ask": {
        if (!c.user) return sendError(c, "unauthenticated", "Sign in to chat.");
        // Bans, mutes, slow mode and banned words (hosts and moderators pass).
        const verdict = deps.moderation.checkChat(c.user, showId, msg.text);
        if (!verdict.ok) return sendError(c, verdict.code, verdict.message, verdict.retryAfterMs, msg.clientMsgId);
        const r =
          msg.type === "chat.send"
            ? await deps.room.postChat(c.user, showId, msg.text, msg.clientMsgId)
            : await deps.room.ask(c.user, showId, msg.text, msg.productId, msg.clientMsgId);
        if (!r.ok) return sendError(c, r.code, r.message, undefined, msg.clientMsgId);
        if (msg.type === "chat.send") deps.onChat();
        return;
      }
    }
  }

  /** Messages of one connection are handled one at a time, in order. */
  const queues = new Map<string, Promise<void>>();
  function handle(connId: string, msg: ValidClientMessage) {
    const c = hub.conn(connId);
    if (!c) return;
    const next = (queues.get(connId) ?? Promise.resolve())
      .then(() => onMessage(c, msg))
      .catch((err) => {
        deps.log.error({ err, showId: c.showId }, "room message failed");
        sendError(c, "internal_error");
      });
    queues.set(connId, next);
    void next.then(() => {
      if (queues.get(connId) === next) queues.delete(connId);
    });
  }
  gateways.connect({
    message: handle,
    left: (connId) => {
      const c = hub.conn(connId);
      hub.leave(connId);
      if (c) void pushCounters(c.showId);
    },
  });

  /**
   * What every newcomer's snapshot shares (show, recent chat, questions), cached per show until an
   * event of that show changes it, so a crowd joining at once costs one build, not one per viewer.
   */
  const shared = new Map<string, Promise<{ show: Show; chat: ChatMessage[]; questions: Question[] } | null>>();
  const sharedState = (showId: string) => {
    let p = shared.get(showId);
    if (!p) {
      p = (async () => {
        const show = await deps.shows.get(showId);
        if (!show) return null;
        const [chat, questions] = await Promise.all([deps.room.recentChat(showId, 50), deps.room.questions(showId, { limit: 200 })]);
        return { show, chat, questions };
      })();
      p.catch(() => shared.delete(showId));
      shared.set(showId, p);
    }
    return p;
  };
  const invalidate = (showId?: string) => (showId ? shared.delete(showId) : shared.clear());

  async function snapshot(showId: string, user: User | null, isHost: boolean, resumed: boolean, seq: number): Promise<ServerEvent | null> {
    const state = await sharedState(showId);
    if (!state) return null;
    const { show, chat, questions } = state;
    const s = await likeState(showId);
    const visible = isHost ? questions : questions.filter((q) => q.status === "answered" || (q.status === "open" && q.author.id === user?.id));
    return {
      type: "room.snapshot",
      seq,
      resumed,
      epoch: hub.epoch,
      showId,
      status: show.status,
      you: user ? { id: user.id, name: user.displayName, canChat: show.status !== "ended", isHost } : null,
      viewers: hub.viewerCount(showId),
      likes: s.total,
      showcased: show.products.find((p) => p.id === show.showcasedProductId) ?? null,
      chat: resumed ? [] : chat,
      questions: visible,
      counters: isHost ? await counters(showId) : null,
      flashSales: deps.flashSales.forShow(showId),
      recentOrders: isHost ? await deps.orders.recentForShow(showId, 20) : null,
      // Last, so it is as fresh as can be: the moderation cache the join loaded (a later change arrives as room.settings).
      slowModeSeconds: (await deps.moderation.settings(showId))?.slowModeSeconds ?? 0,
    };
  }

  for (const type of ["chat.posted", "question.updated", "show.showcased", "show.started", "show.ended"] as const) {
    deps.bus.subscribe(type, (e) => void invalidate(e.showId), cluster);
  }
  deps.bus.subscribe("stock.changed", () => void invalidate(), cluster);
  // Another node's likes: the cluster's total (the node that received them writes them to the database).
  deps.bus.subscribe(
    "likes.added",
    (e, meta) => {
      if (meta.origin !== "remote") return;
      const s = likes.get(e.showId);
      if (!s) return; // read from the database when this node next needs it
      s.total += e.count;
      hub.broadcastLatest(e.showId, "likes", { type: "likes.updated", total: s.total });
      void pushCounters(e.showId);
    },
    cluster,
  );

  // Domain events → room frames. Everything here runs after the producing transaction committed.
  // A message from another node: its author's connections are there, so its role stands in for the
  // room's priority check (hosts and staff are never sampled out).
  deps.bus.subscribe(
    "chat.posted",
    (e, meta) =>
      hub.chat(
        e.showId,
        { type: "chat.message", message: e.message, ...(e.clientMsgId ? { clientMsgId: e.clientMsgId } : {}) },
        e.message.author.id,
        meta.origin === "remote" ? e.message.author.role !== "viewer" : hub.isPriority(e.showId, e.message.author.id),
      ),
    cluster,
  );
  // Moderation takes effect for every viewer at once.
  deps.bus.subscribe("chat.deleted", (e) => {
    invalidate(e.showId);
    hub.broadcast(e.showId, { type: "chat.deleted", messageId: e.messageId });
  }, cluster);
  deps.bus.subscribe("room.sanctioned", (e) => {
    if (e.kind !== "ban") return;
    for (const connId of hub.connsOf(e.showId, e.userId)) hub.close(connId, RoomCloseCode.banned, "banned from this room");
  }, cluster);
  deps.bus.subscribe("room.settings_changed", (e) => hub.broadcastLatest(e.showId, "settings", { type: "room.settings", slowModeSeconds: e.settings.slowModeSeconds }), cluster);
  deps.bus.subscribe("question.updated", (e) => {
    const event: ServerEvent = { type: "question.updated", question: e.question, ...(e.clientMsgId ? { clientMsgId: e.clientMsgId } : {}) };
    hub.broadcast(e.showId, event, e.question.status === "answered" ? { kind: "all" } : { kind: "hostsAnd", userId: e.question.author.id });
  }, cluster);
  deps.bus.subscribe("show.showcased", async (e) => {
    const product = e.productId ? await deps.catalog.get(e.productId) : null;
    hub.broadcastLatest(e.showId, "showcased", { type: "product.showcased", product, at: e.at });
  }, cluster);
  deps.bus.subscribe("stock.changed", async (e) => {
    // Refresh the card (stock left) in every live room showcasing this product.
    for (const showId of await deps.shows.liveShowIds()) {
      if (hub.localViewerCount(showId) === 0) continue;
      if ((await deps.shows.showcasedProductId(showId)) !== e.productId) continue;
      // Its own key: merged into the same frame as a fresh showcase, it must not replace that one's `at`.
      hub.broadcastLatest(showId, "showcased.stock", { type: "product.showcased", product: await deps.catalog.get(e.productId) });
    }
  }, cluster);
  deps.bus.subscribe("order.paid", async (e) => {
    if (!e.showId) return;
    hub.broadcast(e.showId, { type: "order.note", note: { productTitle: e.hostOrder.productTitle, quantity: e.hostOrder.quantity, at: e.hostOrder.at } });
    hub.broadcast(e.showId, { type: "order.received", order: e.hostOrder }, { kind: "hosts" });
    await pushCounters(e.showId);
  }, cluster);
  deps.bus.subscribe("order.status_changed", async (e) => {
    if (e.showId) await pushCounters(e.showId);
  }, cluster);
  // One latest value per sale: each carries the instant of the sale's latest change (`at`), so coalescing
  // never loses it.
  deps.bus.subscribe("flash.updated", (e: FlashUpdated) =>
    hub.broadcastLatest(e.showId, `flash:${e.sale.id}`, { type: "flash.state", sale: e.sale, ...(e.at !== undefined ? { at: e.at } : {}) }),
  cluster);
  deps.bus.subscribe("show.started", (e) => hub.broadcast(e.showId, { type: "show.status", status: "live" }), cluster);
  deps.bus.subscribe("show.ended", (e) => {
    hub.broadcast(e.showId, { type: "show.status", status: "ended" });
    hub.broadcastLatest(e.showId, "showcased", { type: "product.showcased", product: null });
  }, cluster);

  async function admit(req: IncomingMessage, socket: Duplex, head: Buffer, showId: string, since: number | null, params: URLSearchParams) {
    // Numbers given by another hub (another node, or this one before a restart) mean nothing here.
    const epoch = params.get("epoch");
    if (epoch !== null && epoch !== hub.epoch) since = null;
    const user = await deps.userForSession(sessionCookie(req.headers.cookie));
    // A plain viewer account can never host a show, so only other roles need the check.
    const isHost = user && user.role !== "viewer" ? (await deps.shows.authorizeHost(user, showId)).ok : false;
    const known = await deps.moderation.load(showId);
    if (known && user && !deps.moderation.canJoin(user.id, showId)) {
      return gateways.admit({ req, socket, head }, { connId: newId("con"), showId, userId: user.id, isHost: false }, [], { code: RoomCloseCode.banned, reason: "banned from this room" });
    }
    const priority = isHost || (user ? await deps.moderation.isModerator(user, showId) : false);
    // Resume from `since` when the frames after it are still kept; otherwise a full snapshot, read no
    // earlier than the room's current number, so the frames after that number complete it.
    const resumed = since !== null && hub.catchUp(showId, since) !== null;
    const from = resumed ? since! : hub.seq(showId);
    const snap = await snapshot(showId, user, isHost, resumed, from);
    const connId = newId("con");
    const info = { connId, showId, userId: user?.id ?? null, isHost };
    if (!snap) return gateways.admit({ req, socket, head }, info, [], { code: RoomCloseCode.showNotFound, reason: "no such show" });
    // Nothing awaits between here and the hand-over, so no frame of this room can slip between the
    // snapshot (with the frames numbered after it) and the room's next frame.
    const initial = [JSON.stringify([snap]), ...(hub.catchUp(showId, from) ?? [])];
    const conn: Conn = { connId, showId, user, isHost, priority };
    hub.join(conn);
    deps.onJoin?.({ showId, userId: user?.id ?? null, share: params.get("share"), visitor: params.get("visitor") });
    gateways.admit({ req, socket, head }, info, initial);
    void pushCounters(showId);
  }

  return {
    hub,
    isRoomPath: (url) => ROOM_PATH.test(url),
    upgrade(req, socket, head) {
      const m = ROOM_PATH.exec(req.url ?? "");
      if (!m) return void socket.destroy();
      const showId = m[1]!;
      const params = new URLSearchParams(m[2] ?? "");
      const since = Number(params.get("since") ?? NaN);
      socket.on("error", () => socket.destroy());
      admit(req, socket, head, showId, Number.isInteger(since) && since >= 0 ? since : null, params).catch((err) => {
        deps.log.error({ err, showId }, "room join failed");
        socket.destroy();
      });
    },
    counters,
    likeTotal: (showId) => likes.get(showId)?.total,
    async close() {
      clearInterval(likeTimer);
      clearInterval(countersTimer);
      if (shareTimer) clearInterval(shareTimer);
      presence?.close();
      hub.stop();
      await gateways.close();
      await flushLikes();
    },
    stop: () => gateways.stop(),
  };
}

function sessionCookie(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === "vetrina_session") return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
