import { z } from "zod";
import { Id } from "./common.ts";
import { Product } from "./catalog.ts";
import { Question, ShowCounters, ShowStatus } from "./shows.ts";
import { errorCodes } from "./errors.ts";
import { FlashAttemptResult, FlashSale } from "./flash-sales.ts";

export const CHAT_MAX_LENGTH = 300;
export const MAX_CLIENT_FRAME_BYTES = 4096;

/* ---------- client → server ---------- */
export const ClientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("chat.send"), text: z.string().trim().min(1).max(CHAT_MAX_LENGTH), clientMsgId: z.string().max(64).optional() }),
  z.object({ type: z.literal("like.send"), count: z.number().int().min(1).max(50).default(1) }),
  z.object({
    type: z.literal("question.ask"),
    text: z.string().trim().min(1).max(CHAT_MAX_LENGTH),
    productId: Id.nullable().default(null),
    clientMsgId: z.string().max(64).optional(),
  }),
  z.object({ type: z.literal("ping"), at: z.number().optional() }),
  /** A flash-sale purchase attempt riding the open room connection; answered by flash.result. */
  z.object({ type: z.literal("flash.buy"), saleId: Id, key: z.string().min(8).max(100).regex(/^[A-Za-z0-9_.:-]+$/) }),
]);
export type ClientMessage = z.input<typeof ClientMessage>;
/** A client message once validated (defaults applied). */
export type ValidClientMessage = z.output<typeof ClientMessage>;

/* ---------- server → client ---------- */
export const ChatAuthor = z.object({ id: Id, name: z.string(), role: z.enum(["viewer", "host", "merchant", "admin"]) });
export const ChatMessage = z.object({ id: Id, author: ChatAuthor, text: z.string(), at: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;

export const OrderNote = z.object({ productTitle: z.string(), quantity: z.number().int(), at: z.string() });

export const HostOrder = z.object({
  orderId: Id,
  number: z.string(),
  buyerName: z.string(),
  productTitle: z.string(),
  variantTitle: z.string(),
  quantity: z.number().int(),
  total: z.number().int(),
  currency: z.string(),
  at: z.string(),
});

export const ServerEvent = z.discriminatedUnion("type", [
  /**
   * First event of every tick's frame: the server instant (epoch ms) and, when the frame carries the
   * room's numbered events (anything but latest values), the room's sequence number. A client keeps
   * the highest `seq` it saw and reconnects with `?since=<seq>` to get what it missed.
   */
  z.object({ type: z.literal("frame"), seq: z.number().int().positive().optional(), ts: z.number() }),
  z.object({
    type: z.literal("room.snapshot"),
    /** the room's sequence number this snapshot covers */
    seq: z.number().int().nonnegative(),
    /** true when the client asked to resume (`since`) and the frames it missed follow this one: `chat` is then empty */
    resumed: z.boolean(),
    /** which hub numbered `seq` (a server, until it restarts): resume with `&epoch=` too, so another hub's numbers are never taken for its own */
    epoch: z.string().max(64).optional(),
    showId: Id,
    status: ShowStatus,
    you: z.object({ id: Id, name: z.string(), canChat: z.boolean(), isHost: z.boolean() }).nullable(),
    viewers: z.number().int(),
    likes: z.number().int(),
    showcased: Product.nullable(),
    chat: z.array(ChatMessage),
    questions: z.array(Question),
    counters: ShowCounters.nullable(),
    flashSales: z.array(FlashSale),
    /** the show's latest orders, newest first: hosts and merchant staff only */
    recentOrders: z.array(HostOrder).nullable(),
    /** the room's slow mode now: seconds between one person's chat messages, 0 = off (`room.settings` changes it) */
    slowModeSeconds: z.number().int().nonnegative(),
  }),
  z.object({ type: z.literal("chat.message"), message: ChatMessage, clientMsgId: z.string().optional() }),
  z.object({ type: z.literal("likes.updated"), total: z.number().int() }),
  /** a host or moderator removed a chat message */
  z.object({ type: z.literal("chat.deleted"), messageId: Id }),
  /** the room's chat rules changed (slow mode: seconds between one person's messages, 0 = off) */
  z.object({ type: z.literal("room.settings"), slowModeSeconds: z.number().int() }),
  /** chat runs faster than the room shows: everyone sees a fair sample (own, hosts' and moderators' messages always) */
  z.object({ type: z.literal("chat.sampling"), active: z.boolean(), receivedPerSecond: z.number().int(), shownPerSecond: z.number().int() }),
  z.object({ type: z.literal("viewers.updated"), count: z.number().int() }),
  /**
   * `at`: the server instant (epoch ms) the host showcased it. The stream's PROGRAM-DATE-TIME is on the
   * same clock, so a player shows the card on the first frame stamped at or after `at`. No `at`: a
   * refresh of the card already shown (stock left), applied at once.
   */
  z.object({ type: z.literal("product.showcased"), product: Product.nullable(), at: z.number().int().optional() }),
  z.object({ type: z.literal("order.note"), note: OrderNote }),
  z.object({ type: z.literal("question.updated"), question: Question, clientMsgId: z.string().optional() }),
  z.object({ type: z.literal("show.status"), status: ShowStatus }),
  /* host and merchant staff only */
  z.object({ type: z.literal("counters.updated"), counters: ShowCounters }),
  z.object({ type: z.literal("order.received"), order: HostOrder }),
  z.object({ type: z.literal("pong"), at: z.number().optional() }),
  /**
   * Latest state of a flash sale: countdown instants, phase, stock left. `at`: the server instant (epoch
   * ms, the stream's PROGRAM-DATE-TIME clock) of the sale's latest change a viewer sees happen on the
   * host's camera: its launch, its opening, its last unit taken (sold out), its end. Stock refreshes
   * repeat the `at` of the change they follow, so the latest value of a sale always carries the right
   * one; a player applies an `at` it has not yet presented on the first frame stamped at or after it.
   */
  z.object({ type: z.literal("flash.state"), sale: FlashSale, at: z.number().int().optional() }),
  /** the answer to this connection's flash.buy, sent once the decision is durable */
  z.object({ type: z.literal("flash.result"), result: FlashAttemptResult }),
  /** `ref`: the clientMsgId or flash key of the message this answers, when it had one */
  z.object({ type: z.literal("error"), code: z.enum(errorCodes), message: z.string(), retryAfterMs: z.number().int().optional(), ref: z.string().optional() }),
]);
export type ServerEvent = z.infer<typeof ServerEvent>;

/** Each server frame is a JSON array of events: one tick's worth, serialized once for every socket. */
export const ServerFrame = z.array(ServerEvent);

/** Close codes the room uses (4000–4999 are application-defined). */
export const RoomCloseCode = {
  showNotFound: 4404,
  slowConsumer: 4008,
  /** banned from this show's room by its host or a moderator */
  banned: 4403,
  flooding: 4029,
  serverShutdown: 1001,
} as const;

/** Merchant live feed (server-sent events): orders as they are paid. */
export const MerchantFeedEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("order.created"), orderId: Id, number: z.string(), total: z.number().int(), currency: z.string(), at: z.string() }),
  z.object({ type: z.literal("order.updated"), orderId: Id, status: z.string(), at: z.string() }),
]);
export type MerchantFeedEvent = z.infer<typeof MerchantFeedEvent>;
export type HostOrder = z.infer<typeof HostOrder>;
export type OrderNote = z.infer<typeof OrderNote>;
