import { z } from "zod";
import { Id } from "./common.ts";

/**
 * 24-hour channels: a merchant's playlist of replays and short videos played as one continuous live
 * stream (virtual live playout, no re-encoding), taken over by the merchant's live shows scheduled on
 * it. See docs/media-jobs.md, "Channels".
 */
export const ChannelItemKind = z.enum(["replay", "video"]);
export type ChannelItemKind = z.infer<typeof ChannelItemKind>;

/** One playlist entry: the replay of an ended show (`refId` = show id) or a published short video (`refId` = video id). */
export const ChannelItemRef = z.object({ kind: ChannelItemKind, refId: Id });
export type ChannelItemRef = z.infer<typeof ChannelItemRef>;

export const ChannelInput = z.object({
  name: z.string().trim().min(1).max(80),
  coverUrl: z.string().max(500).nullable().default(null),
  items: z.array(ChannelItemRef).max(200),
  /** the merchant's shows that take the channel over while they are live */
  takeoverShowIds: z.array(Id).max(50).default([]),
});
export type ChannelInput = z.input<typeof ChannelInput>;

export const ChannelCompile = z.object({
  status: z.enum(["none", "queued", "running", "done", "failed"]),
  /** 0..1 */
  progress: z.number(),
  error: z.string().nullable(),
  /** the playlist changed since the schedule on air was compiled */
  stale: z.boolean(),
});

/** A playlist item as the merchant sees it. */
export const ChannelItem = ChannelItemRef.extend({
  title: z.string(),
  posterUrl: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  /** why the compiled schedule leaves it out (its codecs differ from the channel's, nothing playable…); null when it plays */
  problem: z.string().nullable(),
});

/** A product card of the schedule: from `startMs` to `endMs` of the loop, `product` is on screen (null: none). */
export const ChannelCard = z.object({
  startMs: z.number().int().nonnegative(),
  endMs: z.number().int().nonnegative(),
  item: z.number().int().nonnegative(),
  product: z.object({ id: Id, title: z.string(), imageUrl: z.string().nullable() }).nullable(),
  /** the show an order made from this card is attributed to (a replay's show, a clip's show) */
  showId: Id.nullable(),
});
export type ChannelCard = z.infer<typeof ChannelCard>;

export const Channel = z.object({
  id: Id,
  merchantId: Id,
  merchantName: z.string(),
  name: z.string(),
  coverUrl: z.string().nullable(),
  items: z.array(ChannelItem),
  takeoverShowIds: z.array(Id),
  compile: ChannelCompile,
  /** the live media playlist; null until a schedule is compiled */
  playlistUrl: z.string().nullable(),
  /** one loop of the schedule on air: its length and its cards, to follow playback by EXT-X-PROGRAM-DATE-TIME */
  loopMs: z.number().int().nonnegative(),
  /** epoch ms when the current loop position 0 was (or would have been) on air; cards are at `epoch + k·loopMs + startMs` */
  epoch: z.number().int(),
  cards: z.array(ChannelCard),
});
export type Channel = z.infer<typeof Channel>;

export const ChannelSummary = Channel.pick({ id: true, merchantId: true, merchantName: true, name: true, coverUrl: true, playlistUrl: true }).extend({
  live: z.boolean(),
});
export type ChannelSummary = z.infer<typeof ChannelSummary>;

/** What a channel is playing now, and when that changes. */
export const ChannelNow = z.object({
  channelId: Id,
  /** "playout": the schedule plays; "live": a show has taken over; "off": nothing compiled yet */
  state: z.enum(["playout", "live", "off"]),
  at: z.string(),
  item: z.object({ index: z.number().int(), kind: ChannelItemKind, refId: Id, title: z.string() }).nullable(),
  card: ChannelCard.nullable(),
  /** the next instant the item or the card changes (ISO); null when live or off */
  nextChangeAt: z.string().nullable(),
  live: z.object({ showId: Id, title: z.string(), playbackUrl: z.string().nullable() }).nullable(),
  playlistUrl: z.string().nullable(),
});
export type ChannelNow = z.infer<typeof ChannelNow>;

/** What the merchant can build a channel from. */
export const ChannelSources = z.object({
  replays: z.array(z.object({ showId: Id, title: z.string(), coverUrl: z.string().nullable() })),
  videos: z.array(z.object({ videoId: Id, title: z.string(), posterUrl: z.string().nullable() })),
  shows: z.array(z.object({ showId: Id, title: z.string(), scheduledAt: z.string() })),
});
export type ChannelSources = z.infer<typeof ChannelSources>;

/** Server-sent events of `GET /api/v1/channels/:id/events`: something changed, fetch `now` (and the channel) again. */
export const ChannelEvent = z.object({ type: z.literal("channel.changed"), channelId: Id, reason: z.enum(["takeover", "handback", "schedule"]) });
export type ChannelEvent = z.infer<typeof ChannelEvent>;
