import type { ChatMessage, HostOrder } from "../shared/contracts/room.ts";
import type { Question } from "../shared/contracts/shows.ts";
import type { OrderStatus } from "../shared/contracts/checkout.ts";
import type { FlashSale } from "../shared/contracts/flash-sales.ts";
import type { ModerationSettings } from "../shared/contracts/moderation.ts";
import type { Created as NotificationCreated } from "./notifications/fanout.ts";

/** Every domain event. Published after commit; consumers must tolerate duplicates across restarts. */
export type DomainEvent =
  /** a show was put on the calendar (a merchant's show or a creator's campaign show); `scheduledAt` epoch ms */
  | { type: "show.scheduled"; showId: string; scheduledAt: number }
  | { type: "show.started"; showId: string; at: number }
  | { type: "show.ended"; showId: string; at: number; reason: string }
  | { type: "show.showcased"; showId: string; productId: string | null; at: number }
  | { type: "chat.posted"; showId: string; message: ChatMessage; clientMsgId?: string }
  | { type: "question.updated"; showId: string; question: Question; clientMsgId?: string }
  | { type: "likes.added"; showId: string; count: number }
  | {
      type: "order.paid";
      orderId: string;
      merchantId: string;
      showId: string | null;
      buyerId: string;
      hostOrder: HostOrder;
      productIds: string[];
    }
  | { type: "order.status_changed"; orderId: string; merchantId: string; showId: string | null; status: OrderStatus; at: number }
  | { type: "stock.changed"; productId: string }
  /** a product was created or edited (title, description, status, images, price…) */
  | { type: "product.changed"; productId: string }
  /** a show was scheduled or edited (title, description, host, cover, products); status changes are show.started/ended */
  | { type: "show.changed"; showId: string }
  /** a creator profile was turned on or edited, or its verification changed */
  | { type: "creator.changed"; creatorId: string }
  /** coalesced: at most one per sale per 100 ms, with the sale's current state */
  /** `at`: the instant of the sale's latest visible change (launch, opening, sold out, end), for the frame clock */
  | { type: "flash.updated"; showId: string; sale: FlashSale; at?: number }
  /** a moderator removed a chat message; `by` is the moderator's user id */
  | { type: "chat.deleted"; showId: string; messageId: string; by: string }
  /** `until`: epoch ms when a mute or ban ends by itself, null when it lasts until lifted (always null for unmute/unban) */
  | { type: "room.sanctioned"; showId: string; userId: string; kind: "mute" | "ban" | "unmute" | "unban"; until: number | null }
  /** carries the banned-words list: moderators' eyes only, never forward it to viewers as is */
  | { type: "room.settings_changed"; showId: string; settings: ModerationSettings }
  | { type: "room.moderators_changed"; showId: string }
  /** a verified buyer posted a review (reviews domain); `photos`: how many it has */
  | { type: "review.posted"; reviewId: string; productId: string; merchantId: string; authorId: string; rating: number; photos: number }
  /** its author edited it */
  | { type: "review.updated"; reviewId: string; productId: string; merchantId: string; rating: number; photos: number }
  /** its author deleted it */
  | { type: "review.deleted"; reviewId: string; productId: string; merchantId: string }
  /** hidden or shown again by moderation, or hidden because the purchase it was verified by was cancelled */
  | { type: "review.moderated"; reviewId: string; productId: string; merchantId: string; hidden: boolean; by: string | null }
  /** the product's shop replied to it */
  | { type: "review.replied"; reviewId: string; productId: string; merchantId: string; authorId: string }
  /** a 24-hour channel was taken over by a live show, handed back, or put a new schedule on air */
  | { type: "channel.changed"; channelId: string; reason: "takeover" | "handback" | "schedule" }
  /** in-app notifications just committed (one fan-out batch), for the recipients' open streams on any node */
  | { type: "notifications.created"; items: NotificationCreated[] }
  /** a user's unread count changed (they marked notifications read), for their open streams on any node */
  | { type: "notifications.unread"; userId: string; unread: number }
  /** the search index was written: cached result pages are stale on every node */
  | { type: "search.index_written" }
  /** a session was signed out (its token's SHA-256): every node drops it from its session cache */
  | { type: "session.ended"; tokenHash: string }
  /** a user followed or unfollowed a creator or a shop: every node drops the follows it keeps for them (feed) */
  | { type: "follows.changed"; userId: string };

export type DomainEventType = DomainEvent["type"];
