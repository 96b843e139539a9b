import { useCallback, useEffect, useMemo, useReducer, useRef } from "preact/hooks";
import type { Product } from "../../../src/shared/contracts/catalog.ts";
import type { ChatMessage, HostOrder, OrderNote, ServerEvent } from "../../../src/shared/contracts/room.ts";
import type { FlashAttemptResult, FlashSale } from "../../../src/shared/contracts/flash-sales.ts";
import type { Question, ShowCounters, ShowStatus } from "../../../src/shared/contracts/shows.ts";
import { roomUrl } from "../api/endpoints.ts";
import { uuid } from "../lib/ids.ts";
import { serverClock } from "../lib/server-clock.ts";
import { nextFlashInstant } from "./flash.ts";
import { LikeBatcher, RoomSocket, type ConnectionState } from "./socket.ts";
import { arrive, due, FrameClock, type TimedEvent, type Waiting } from "./timed.ts";

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
  /**
   * Showcases and flash-sale changes waiting for the video to reach the frame they happened on (`at`,
   * server clock = stream PDT), in arrival order. Only in a room that waits for frames (a viewer's).
   */
  waiting: readonly Waiting[];
  /** the program date of the latest frame the room looked at (one that reached an instant that matters) */
  frame: number | null;
  chat: ChatLine[];
  questions: Question[];
  counters: ShowCounters | null;
  orders: HostOrder[];
  notes: { key: number; note: OrderNote }[];
  /** the last refusal or problem the room reported to us; `at` is when it arrived (Date.now()) */
  error: { key: number; code: string; message: string; retryAfterMs?: number; at: number } | null;
  /** incremented on every like from anyone, to animate hearts */
  likeBursts: number;
  /** flash sales of this show by id, as last announced (for a viewer: as far as the video has shown them) */
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

export type Action =
  /** `shown`: the program date up to which the video has presented frames (see `arrive`) */
  | { kind: "events"; events: ServerEvent[]; shown: number }
  | { kind: "connection"; state: ConnectionState }
  | { kind: "chat.pending"; line: ChatLine }
  | { kind: "like.local"; count: number }
  | { kind: "note.dismiss"; key: number }
  | { kind: "error.dismiss" }
  /** a presented frame stamped `pdt` (null: the player has no clock) */
  | { kind: "frame"; pdt: number | null }
  /** the video will not reach them in time: show what waits now */
  | { kind: "release" };

export const initial: RoomState = {
  connection: "connecting",
  ready: false,
  status: null,
  you: null,
  viewers: 0,
  likes: 0,
  showcased: null,
  showcasedAtFrame: null,
  waiting: [],
  frame: null,
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

/** A timed event goes on screen; `frame`: the program date of the frame it is shown on, when it is one. */
function show(s: RoomState, e: TimedEvent, frame: number | null): RoomState {
  if (e.type === "flash.state") return { ...s, flashSales: { ...s.flashSales, [e.sale.id]: e.sale } };
  // A refresh (no `at`) of the card keeps the frame the card appeared on.
  return e.at === undefined ? { ...s, showcased: e.product } : { ...s, showcased: e.product, showcasedAtFrame: frame };
}

/** Shows the waiting events due on a presented frame stamped `pdt` (null: all of them, on no frame). */
function release(s: RoomState, pdt: number | null): RoomState {
  const r = due(s.waiting, pdt);
  return r.due.reduce((next, w) => show(next, w.event, pdt), r.due.length ? { ...s, waiting: r.waiting } : s);
}

function apply(s: RoomState, e: ServerEvent, shown: number): RoomState {
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
        // The snapshot is the server's present: nothing from before it waits any more.
        waiting: [],
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
    case "product.showcased":
    case "flash.state": {
      // A showcase or a flash-sale change waits for its frame; a refresh (stock left) of one waiting
      // updates it there, else what is on screen.
      const r = arrive(s.waiting, e, shown);
      const next = r.waiting === s.waiting ? s : { ...s, waiting: r.waiting };
      return r.now ? show(next, r.now, null) : next;
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
    case "flash.result":
      // The answer to this buyer's own attempt: at once, whatever frame the video is on.
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

/** The room's state machine (exported for tests). */
export function reducer(s: RoomState, a: Action): RoomState {
  switch (a.kind) {
    case "events":
      return a.events.reduce((next, e) => apply(next, e, a.shown), s);
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
    case "frame":
      // The player presents a frame stamped `pdt` (null: no clock, so nothing waits for one).
      return { ...release(s, a.pdt), frame: a.pdt };
    case "release":
      return release(s, null);
  }
}

/** The room as pages see it: its state, plus the latest showcase still waiting for its frame (the host's latest choice). */
export type RoomView = RoomState & { pendingShowcase: { product: Product | null; at: number } | null };

export interface Room {
  state: RoomView;
  sendChat(text: string): boolean;
  ask(text: string, productId: string | null): boolean;
  like(): void;
  dismissNote(key: number): void;
  dismissError(): void;
  /**
   * The video presents a frame stamped `pdt` (the stream's PROGRAM-DATE-TIME, ms), or null when the
   * player has no such clock: an event waiting for its frame is applied once the video reaches it.
   * Cheap: called for every frame, it re-renders only on frames that reach an instant that matters.
   */
  frameShown(pdt: number | null): void;
  /** Applies every waiting event now (the video did not reach them in time, or does not play). */
  releaseWaiting(): void;
  /** The player's frame clock: the program dates of the frame on screen and of the one before, and "video now" (null without a clock). */
  frames: { readonly pdt: number | null; readonly previousPdt: number | null; now(): number | null };
  /** One flash-sale attempt on the open connection; false when the socket is not open. */
  flashBuy(saleId: string, key: string): boolean;
}

/**
 * Joins a show's room for as long as the component is mounted. With `waitForFrames` (a viewer's
 * player, which reports its frames through `frameShown`), showcases and flash-sale changes wait for
 * the frame stamped at or after their instant; without (the studio), they apply on arrival.
 */
export function useRoom(showId: string, options: { onEvents?: (events: ServerEvent[]) => void; waitForFrames?: boolean } = {}): Room {
  const [state, dispatch] = useReducer(reducer, initial);
  const clock = useMemo(() => new FrameClock(), []);
  const waitForFrames = useRef(options.waitForFrames ?? false);
  waitForFrames.current = options.waitForFrames ?? false;
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
        dispatch({ kind: "events", events, shown: waitForFrames.current ? (clock.pdt ?? -Infinity) : Infinity });
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

  // The next instant at which something on screen changes: a waiting event's, or a flash sale's next
  // second on the video's clock. Frames before it change nothing, so they cost no render.
  clock.waiting = state.waiting.length > 0;
  const frame = clock.pdt;
  clock.wakeAt = Math.min(...state.waiting.map((w) => w.at), frame === null ? Infinity : nextFlashInstant(Object.values(state.flashSales), frame));
  const frameShown = useCallback((pdt: number | null) => {
    if (clock.present(pdt)) dispatch({ kind: "frame", pdt });
  }, []);
  const releaseWaiting = useCallback(() => dispatch({ kind: "release" }), []);

  const view = useMemo<RoomView>(() => {
    let pendingShowcase: RoomView["pendingShowcase"] = null;
    for (const w of state.waiting) if (w.event.type === "product.showcased") pendingShowcase = { product: w.event.product, at: w.at };
    return { ...state, pendingShowcase };
  }, [state]);

  return { state: view, sendChat, ask, like, dismissNote, dismissError, frameShown, releaseWaiting, frames: clock, flashBuy };
}
