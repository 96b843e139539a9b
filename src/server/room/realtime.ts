import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import type { User } from "../../shared/contracts/accounts.ts";
import { ClientMessage, MAX_CLIENT_FRAME_BYTES, RoomCloseCode, type ChatMessage, type ServerEvent } from "../../shared/contracts/room.ts";
import type { Question, Show, ShowCounters } from "../../shared/contracts/shows.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import type { EventBus } from "../platform/bus.ts";
import { defaultMessages } from "../platform/errors.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Orders } from "../checkout/orders.ts";
import type { FlashSales } from "../flash-sales/service.ts";
import { RoomHub, type RoomConnection } from "./hub.ts";
import type { RoomService } from "./service.ts";

/** Flood control: chat 2 msg/s (burst 5), any message 20/s (burst 40). */
const CHAT_RATE = 2;
const CHAT_BURST = 5;
const MSG_RATE = 20;
const MSG_BURST = 40;
/** A client that keeps flooding after being told is disconnected. */
const MAX_REJECTED = 100;
const LIKE_FLUSH_MS = 2000;

export interface Realtime {
  hub: RoomHub;
  accept(ws: WebSocket, socket: Socket, showId: string, user: User | null): Promise<void>;
  counters(showId: string): Promise<ShowCounters>;
  likeTotal(showId: string): number | undefined;
  close(): Promise<void>;
}

export function createRealtime(deps: {
  bus: EventBus;
  room: RoomService;
  shows: Shows;
  catalog: Catalog;
  orders: Orders;
  flashSales: Pick<FlashSales, "forShow" | "attempt">;
  onConnectionsChanged(total: number): void;
  onChat(): void;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}): Realtime {
  const hub = new RoomHub({ onConnectionsChanged: deps.onConnectionsChanged });
  /** Likes are aggregated in memory and written to the database every few seconds. */
  const likes = new Map<string, { total: number; unflushed: number }>();

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
        if (hub.viewerCount(showId) === 0) likes.delete(showId);
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

  const sendError = (c: RoomConnection, code: ErrorCode, message?: string, retryAfterMs?: number, ref?: string) =>
    hub.sendTo(c, [{ type: "error", code, message: message ?? defaultMessages[code], ...(retryAfterMs ? { retryAfterMs } : {}), ...(ref ? { ref } : {}) }]);

  function refill(c: RoomConnection) {
    const now = Date.now();
    const dt = (now - c.lastRefill) / 1000;
    c.lastRefill = now;
    c.chatTokens = Math.min(CHAT_BURST, c.chatTokens + dt * CHAT_RATE);
    c.msgTokens = Math.min(MSG_BURST, c.msgTokens + dt * MSG_RATE);
  }

  function reject(c: RoomConnection, code: ErrorCode, message?: string, retryAfterMs?: number) {
    c.rejected++;
    if (c.rejected > MAX_REJECTED) {
      c.ws.close(RoomCloseCode.flooding, "flooding");
      return;
    }
    sendError(c, code, message, retryAfterMs);
  }

  async function onMessage(c: RoomConnection, showId: string, raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    refill(c);
    if (c.msgTokens < 1) return reject(c, "rate_limited", undefined, Math.ceil(1000 / MSG_RATE));
    c.msgTokens -= 1;
    const size = Array.isArray(raw) ? raw.reduce((s, b) => s + b.length, 0) : raw.byteLength;
    if (isBinary || size > MAX_CLIENT_FRAME_BYTES) return reject(c, isBinary ? "validation_failed" : "payload_too_large", isBinary ? "Binary frames are not accepted." : undefined);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : Buffer.from(raw as ArrayBuffer).toString("utf8"));
    } catch {
      return reject(c, "malformed_json");
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      return reject(c, "validation_failed", first ? `${first.path.join(".") || "message"}: ${first.message}` : undefined);
    }
    const msg = parsed.data;
    switch (msg.type) {
      case "ping":
        return hub.sendTo(c, [{ type: "pong", at: msg.at }]);
      case "like.send": {
        const s = await likeState(showId);
        s.total += msg.count;
        s.unflushed += msg.count;
        hub.broadcastLatest(showId, "likes", { type: "likes.updated", total: s.total });
        return;
      }
      case "flash.buy": {
        if (!c.user) return sendError(c, "unauthenticated", "Sign in to buy.", undefined, msg.key);
        const r = await deps.flashSales.attempt(c.user, msg.saleId, msg.key);
        if (!r.ok) return sendError(c, r.code, r.message, undefined, msg.key);
        return hub.sendTo(c, [{ type: "flash.result", result: r.result }]);
      }
      case "chat.send":
      case "question.ask": {
        if (!c.user) return sendError(c, "unauthenticated", "Sign in to chat.");
        if (c.chatTokens < 1) return reject(c, "rate_limited", "You are sending messages too fast.", Math.ceil(1000 / CHAT_RATE));
        c.chatTokens -= 1;
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

  async function snapshot(showId: string, user: User | null, isHost: boolean): Promise<ServerEvent | null> {
    const state = await sharedState(showId);
    if (!state) return null;
    const { show, chat, questions } = state;
    const s = await likeState(showId);
    const visible = isHost ? questions : questions.filter((q) => q.status === "answered" || (q.status === "open" && q.author.id === user?.id));
    return {
      type: "room.snapshot",
      showId,
      status: show.status,
      you: user ? { id: user.id, name: user.displayName, canChat: show.status !== "ended", isHost } : null,
      viewers: hub.viewerCount(showId),
      likes: s.total,
      showcased: show.products.find((p) => p.id === show.showcasedProductId) ?? null,
      chat,
      questions: visible,
      counters: isHost ? await counters(showId) : null,
      flashSales: deps.flashSales.forShow(showId),
      recentOrders: isHost ? await deps.orders.recentForShow(showId, 20) : null,
    };
  }

  for (const type of ["chat.posted", "question.updated", "show.showcased", "show.started", "show.ended"] as const) {
    deps.bus.subscribe(type, (e) => void invalidate(e.showId));
  }
  deps.bus.subscribe("stock.changed", () => void invalidate());

  // Domain events → room frames. Everything here runs after the producing transaction committed.
  deps.bus.subscribe("chat.posted", (e) => hub.broadcast(e.showId, { type: "chat.message", message: e.message, ...(e.clientMsgId ? { clientMsgId: e.clientMsgId } : {}) }));
  deps.bus.subscribe("question.updated", (e) => {
    const event: ServerEvent = { type: "question.updated", question: e.question, ...(e.clientMsgId ? { clientMsgId: e.clientMsgId } : {}) };
    hub.broadcast(e.showId, event, e.question.status === "answered" ? { kind: "all" } : { kind: "hostsAnd", userId: e.question.author.id });
  });
  deps.bus.subscribe("show.showcased", async (e) => {
    const product = e.productId ? await deps.catalog.get(e.productId) : null;
    hub.broadcastLatest(e.showId, "showcased", { type: "product.showcased", product });
  });
  deps.bus.subscribe("stock.changed", async (e) => {
    // Refresh the card (stock left) in every live room showcasing this product.
    for (const showId of await deps.shows.liveShowIds()) {
      if (hub.viewerCount(showId) === 0) continue;
      if ((await deps.shows.showcasedProductId(showId)) !== e.productId) continue;
      hub.broadcastLatest(showId, "showcased", { type: "product.showcased", product: await deps.catalog.get(e.productId) });
    }
  });
  deps.bus.subscribe("order.paid", async (e) => {
    if (!e.showId) return;
    hub.broadcast(e.showId, { type: "order.note", note: { productTitle: e.hostOrder.productTitle, quantity: e.hostOrder.quantity, at: e.hostOrder.at } });
    hub.broadcast(e.showId, { type: "order.received", order: e.hostOrder }, { kind: "hosts" });
    await pushCounters(e.showId);
  });
  deps.bus.subscribe("order.status_changed", async (e) => {
    if (e.showId) await pushCounters(e.showId);
  });
  deps.bus.subscribe("flash.updated", (e) => hub.broadcastLatest(e.showId, `flash:${e.sale.id}`, { type: "flash.state", sale: e.sale }));
  deps.bus.subscribe("show.started", (e) => hub.broadcast(e.showId, { type: "show.status", status: "live" }));
  deps.bus.subscribe("show.ended", (e) => {
    hub.broadcast(e.showId, { type: "show.status", status: "ended" });
    hub.broadcastLatest(e.showId, "showcased", { type: "product.showcased", product: null });
  });

  return {
    hub,
    async accept(ws, socket, showId, user) {
      // Buffer what arrives while the snapshot is being built; handle messages one at a time per
      // connection so one sender's messages keep their order.
      let conn: RoomConnection | null = null;
      let queue: Promise<void> = Promise.resolve();
      const early: [Buffer, boolean][] = [];
      const handle = (raw: Buffer, isBinary: boolean) => {
        const c = conn!;
        queue = queue
          .then(() => onMessage(c, showId, raw, isBinary))
          .catch((err) => {
            deps.log.error({ err, showId }, "room message failed");
            sendError(c, "internal_error");
          });
      };
      ws.on("message", (raw, isBinary) => (conn ? handle(raw as Buffer, isBinary) : early.push([raw as Buffer, isBinary])));
      ws.on("close", () => {
        if (!conn) return;
        hub.leave(showId, conn);
        void pushCounters(showId).catch(() => {});
      });

      // A plain viewer account can never host a show, so only other roles need the check.
      const isHost = user && user.role !== "viewer" ? (await deps.shows.authorizeHost(user, showId)).ok : false;
      const snap = await snapshot(showId, user, isHost);
      if (!snap) {
        ws.close(RoomCloseCode.showNotFound, "no such show");
        return;
      }
      if (ws.readyState !== ws.OPEN) return; // left while we were preparing
      conn = { ws, socket, user, isHost, chatTokens: CHAT_BURST, msgTokens: MSG_BURST, lastRefill: Date.now(), rejected: 0 };
      hub.sendTo(conn, [snap]);
      hub.join(showId, conn);
      for (const [raw, isBinary] of early) handle(raw, isBinary);
      void pushCounters(showId).catch(() => {});
    },
    counters,
    likeTotal: (showId) => likes.get(showId)?.total,
    async close() {
      clearInterval(likeTimer);
      clearInterval(countersTimer);
      hub.close();
      await flushLikes();
    },
  };
}
