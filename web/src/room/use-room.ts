import { useCallback, useEffect, useReducer, useRef } from "preact/hooks";
import type { Product } from "../../../src/shared/contracts/catalog.ts";
import type { ChatMessage, HostOrder, OrderNote, ServerEvent } from "../../../src/shared/contracts/room.ts";
import type { FlashAttemptResult, FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import type { Question, ShowCounters, ShowStatus } from "../../../src/shared/contracts/shows.ts";
import { roomUrl } from "../api/endpoints.ts";
import { uuid } from "../lib/ids.ts";
import { serverClock } from "../lib/server-clock.ts";
import { LikeBatcher, RoomSocket, type ConnectionState } from "./socket.ts";

export interface ChatLine extends ChatMessage {
  /** set while our own message is on its way */
  pending?: boolean;
  clientMsgId?: string;
}

export interface RoomYou {
  id: string;
  name: string;
  canChat: boolean;
  isHost: boolean;
}

export interface RoomState {
  connection: ConnectionState;
  /** false until the first snapshot arrives */
  ready: boolean;
  status: ShowStatus | null;
  you: RoomYou | null;
  viewers: number;
  likes: number;
  showcased: Product | null;
  /** the stream's frame instant (PROGRAM-DATE-TIME, ms) on which the shown card was applied, when known */
  showcasedAtFrame: number | null;
  /** a showcase waiting for the video to reach the frame it happened on (`at`, server clock = stream PDT) */
  pendingShowcase: { product: Product | null; at: number } | null;
  chat: ChatLine[];
  questions: Question[];
  counters: ShowCounters | null;
  orders: HostOrder[];
  notes: { key: number; note: OrderNote }[];
  /** the last refusal or problem the room reported to us; `at` is when it arrived (Date.now()) */
  error: { key: number; code: string; message: string; retryAfterMs?: number; at: number } | null;
  /** incremented on every like from anyone, to animate hearts */
  likeBursts: number;
  /** flash sales of this show by id, as last announced */
  flashSales: Record<string, FlashSale>;
  /** answers to this connection's flash.buy attempts, by attempt key */
  flashResults: Record<string, FlashAttemptResult>;
  /** set while the room shows a sample of a chat running faster than anyone can read */
  chatSampling: { received: number; shown: number } | null;
  /** the room's slow mode: seconds between one person's chat messages, 0 = off */
  slowModeSeconds: number;
}

const CHAT_KEEP = 100;
const ORDERS_KEEP = 50;

type Action =
  | { kind: "events"; events: ServerEvent[] }
  | { kind: "connection"; state: ConnectionState }
  | { kind: "chat.pending"; line: ChatLine }
  | { kind: "like.local"; count: number }
  | { kind: "note.dismiss"; key: number }
  | { kind: "error.dismiss" }
  | { kind: "frame"; pdt: number | null };

const initial: RoomState = {
  connection: "connecting",
  ready: false,
  status: null,
  you: null,
  viewers: 0,
  likes: 0,
  showcased: null,
  showcasedAtFrame: null,
  pendingShowcase: null,
  chat: [],
  questions: [],
  counters: null,
  orders: [],
  notes: [],
  error: null,
  likeBursts: 0,
  flashSales: {},
  flashResults: {},
  chatSampling: null,
  slowModeSeconds: 0,
};

let seq = 0;

function upsertQuestion(list: Question[], q: Question): Question[] {
  const i = list.findIndex((x) => x.id === q.id);
  if (i === -1) return [...list, q];
  const next = list.slice();
  next[i] = q;
  return next;
}

function apply(s: RoomState, e: ServerEvent): RoomState {
  switch (e.type) {
    case "room.snapshot": {
      // The snapshot's chat is the truth: a message still "sending" when the connection dropped is
      // either in it or was never received.
      return {
        ...s,
        ready: true,
        status: e.status,
        you: e.you,
        viewers: e.viewers,
        likes: Math.max(e.likes, s.ready ? s.likes : 0),
        showcased: e.showcased,
        pendingShowcase: null,
        // Resumed: the frames we missed follow, so the chat we have stays.
        chat: e.resumed ? s.chat.filter((c) => !c.pending) : e.chat.slice(-CHAT_KEEP),
        questions: e.questions,
        counters: e.counters,
        flashSales: Object.fromEntries(e.flashSales.map((f) => [f.id, f])),
        orders: e.recentOrders ? e.recentOrders.slice(0, ORDERS_KEEP) : s.orders,
        slowModeSeconds: e.slowModeSeconds,
      };
    }
    case "chat.message": {
      const chat = e.clientMsgId ? s.chat.filter((c) => !(c.pending && c.clientMsgId === e.clientMsgId)) : s.chat;
      if (chat.some((c) => c.id === e.message.id)) return s;
      return { ...s, chat: [...chat, e.message].slice(-CHAT_KEEP) };
    }
    case "likes.updated":
      // Likes only grow; our optimistic taps may already be ahead of the server's total.
      return e.total > s.likes ? { ...s, likes: e.total, likeBursts: s.likeBursts + 1 } : s;
    case "viewers.updated":
      return { ...s, viewers: e.count };
    case "product.showcased": {
      // A fresh showcase waits for its frame (see applyShowcaseAt); a refresh (no `at`) of the card
      // waiting or shown updates it in place.
      if (e.at !== undefined) return { ...s, pendingShowcase: { product: e.product, at: e.at } };
      if (s.pendingShowcase && s.pendingShowcase.product?.id === e.product?.id) return { ...s, pendingShowcase: { ...s.pendingShowcase, product: e.product } };
      return { ...s, showcased: e.product };
    }
    case "order.note":
      return { ...s, notes: [...s.notes, { key: ++seq, note: e.note }].slice(-3) };
    case "question.updated":
      return { ...s, questions: upsertQuestion(s.questions, e.question) };
    case "show.status":
      return { ...s, status: e.status };
    case "counters.updated":
      return { ...s, counters: e.counters, viewers: e.counters.viewers };
    case "order.received":
      return s.orders.some((o) => o.orderId === e.order.orderId) ? s : { ...s, orders: [e.order, ...s.orders].slice(0, ORDERS_KEEP) };
    case "pong":
    case "frame":
      return s;
    case "room.settings":
      return { ...s, slowModeSeconds: e.slowModeSeconds };
    case "chat.deleted":
      return { ...s, chat: s.chat.filter((c) => c.id !== e.messageId) };
    case "chat.sampling":
      return { ...s, chatSampling: e.active ? { received: e.receivedPerSecond, shown: e.shownPerSecond } : null };
    case "flash.state":
      return { ...s, flashSales: { ...s.flashSales, [e.sale.id]: e.sale } };
    case "flash.result":
      return { ...s, flashResults: { ...s.flashResults, [e.result.key]: e.result } };
    case "error":
      // A refused message (rate limit, validation) is not coming back: stop showing it as sending.
      return {
        ...s,
        chat: s.chat.filter((c) => !c.pending),
        error: { key: ++seq, code: e.code, message: e.message, ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}), at: Date.now() },
      };
  }
}

function reducer(s: RoomState, a: Action): RoomState {
  switch (a.kind) {
    case "events":
      return a.events.reduce(apply, s);
    case "connection":
      return { ...s, connection: a.state };
    case "chat.pending":
      return { ...s, chat: [...s.chat, a.line].slice(-CHAT_KEEP) };
    case "like.local":
      return { ...s, likes: s.likes + a.count };
    case "note.dismiss":
      return { ...s, notes: s.notes.filter((n) => n.key !== a.key) };
    case "error.dismiss":
      return { ...s, error: null };
    case "frame": {
      // The player presents a frame stamped `pdt` (null: no clock, so do not wait for one).
      const p = s.pendingShowcase;
      if (!p || (a.pdt !== null && a.pdt < p.at)) return s;
      return { ...s, showcased: p.product, showcasedAtFrame: a.pdt, pendingShowcase: null };
    }
  }
}

export interface Room {
  state: RoomState;
  sendChat(text: string): boolean;
  ask(text: string, productId: string | null): boolean;
  like(): void;
  dismissNote(key: number): void;
  dismissError(): void;
  /**
   * The video presents a frame stamped `pdt` (the stream's PROGRAM-DATE-TIME, ms), or null when the
   * player has no such clock: a showcase waiting for its frame is applied once the video reaches it.
   */
  frameShown(pdt: number | null): void;
  /** One flash-sale attempt on the open connection; false when the socket is not open. */
  flashBuy(saleId: string, key: string): boolean;
}

/** Joins a show's room for as long as the component is mounted. */
export function useRoom(showId: string, options: { onEvents?: (events: ServerEvent[]) => void } = {}): Room {
  const [state, dispatch] = useReducer(reducer, initial);
  const socket = useRef<RoomSocket | null>(null);
  const likes = useRef<LikeBatcher | null>(null);
  const onEvents = useRef(options.onEvents);
  onEvents.current = options.onEvents;

  useEffect(() => {
    const s = new RoomSocket(roomUrl(showId), {
      onEvents: (events) => {
        // Flash sales carry the server's time: it keeps everyone's countdown on the same instant.
        const at = Date.now();
        for (const e of events) {
          if (e.type === "flash.state") serverClock.observe(e.sale.serverTime, at);
          else if (e.type === "room.snapshot") for (const f of e.flashSales) serverClock.observe(f.serverTime, at);
        }
        dispatch({ kind: "events", events });
        onEvents.current?.(events);
      },
      onState: (state) => dispatch({ kind: "connection", state }),
    });
    socket.current = s;
    likes.current = new LikeBatcher((count) => s.send({ type: "like.send", count }));
    s.start();
    return () => {
      likes.current?.dispose();
      s.stop();
      socket.current = null;
    };
  }, [showId]);

  const sendChat = useCallback((text: string) => {
    const clientMsgId = uuid();
    const ok = socket.current?.send({ type: "chat.send", text, clientMsgId }) ?? false;
    if (ok) {
      // Shown at once, greyed, until the server echoes it back with the same clientMsgId.
      dispatch({ kind: "chat.pending", line: { id: `pending-${clientMsgId}`, clientMsgId, pending: true, text, at: new Date().toISOString(), author: { id: "me", name: "", role: "viewer" } } });
    }
    return ok;
  }, []);

  const ask = useCallback((text: string, productId: string | null) => socket.current?.send({ type: "question.ask", text, productId, clientMsgId: uuid() }) ?? false, []);

  const like = useCallback(() => {
    likes.current?.tap();
    dispatch({ kind: "like.local", count: 1 });
  }, []);

  const dismissNote = useCallback((key: number) => dispatch({ kind: "note.dismiss", key }), []);
  const dismissError = useCallback(() => dispatch({ kind: "error.dismiss" }), []);

  const flashBuy = useCallback((saleId: string, key: string) => socket.current?.send({ type: "flash.buy", saleId, key }) ?? false, []);

  // Called for every presented frame: dispatch only while a showcase waits for one.
  const pending = state.pendingShowcase;
  const frameShown = useCallback((pdt: number | null) => {
    if (pending && (pdt === null || pdt >= pending.at)) dispatch({ kind: "frame", pdt });
  }, [pending]);

  return { state, sendChat, ask, like, dismissNote, dismissError, frameShown, flashBuy };
}
