import { z } from "zod";
import { Id, IsoInstant } from "./common.ts";
import { Locale } from "./accounts.ts";
import { ShowSummary } from "./shows.ts";

/** Why a notification was sent: a followed account scheduled a show, it starts soon, it is live. */
export const NotificationKind = z.enum(["show_scheduled", "show_starting_soon", "show_live"]);
export type NotificationKind = z.infer<typeof NotificationKind>;

/** One in-app notification (always about a show); `url` is the show's page. */
export const Notification = z.object({
  id: Id,
  kind: NotificationKind,
  showId: Id,
  showTitle: z.string(),
  hostName: z.string(),
  hostHandle: z.string().nullable(),
  merchantName: z.string(),
  scheduledAt: IsoInstant,
  url: z.string(),
  createdAt: IsoInstant,
  readAt: IsoInstant.nullable(),
});
export type Notification = z.infer<typeof Notification>;

export const NotificationPage = z.object({ items: z.array(Notification), nextCursor: z.string().nullable(), unread: z.number().int().min(0) });
export type NotificationPage = z.infer<typeof NotificationPage>;

export const NotificationQuery = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const UnreadCount = z.object({ unread: z.number().int().min(0) });
export type UnreadCount = z.infer<typeof UnreadCount>;

/** Marks some notifications read (`ids`, your own only; others are ignored) or all of them. */
export const MarkReadBody = z.union([z.object({ all: z.literal(true) }).strict(), z.object({ ids: z.array(Id).min(1).max(100) }).strict()]);
export type MarkReadBody = z.infer<typeof MarkReadBody>;

export const NotificationSettingsInput = z.object({ email: z.boolean(), locale: Locale.optional() }).strict();
export type NotificationSettingsInput = z.infer<typeof NotificationSettingsInput>;

/** `emailAvailable`: this server sends e-mail at all (SMTP is configured). */
export const NotificationSettings = z.object({ email: z.boolean(), locale: Locale.nullable(), emailAvailable: z.boolean() });
export type NotificationSettings = z.infer<typeof NotificationSettings>;

export const ReminderState = z.object({ showId: Id, reminded: z.boolean() });
export type ReminderState = z.infer<typeof ReminderState>;

/** The upcoming shows you asked to be reminded of. */
export const MyReminders = z.object({ showIds: z.array(Id) });
export type MyReminders = z.infer<typeof MyReminders>;

/** A merchant's public page: name, followers, whether you follow it, its live and upcoming shows. */
export const MerchantPage = z.object({
  id: Id,
  name: z.string(),
  followerCount: z.number().int().min(0),
  following: z.boolean(),
  live: z.array(ShowSummary),
  upcoming: z.array(ShowSummary),
});
export type MerchantPage = z.infer<typeof MerchantPage>;

/**
 * Server-sent events of `GET /api/v1/me/notifications/stream`: the unread count at once (`unread`),
 * then each new notification with the count after it (`notification`).
 */
export const NotificationStreamEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("unread"), unread: z.number().int().min(0) }),
  z.object({ type: z.literal("notification"), notification: Notification, unread: z.number().int().min(0) }),
]);
export type NotificationStreamEvent = z.infer<typeof NotificationStreamEvent>;
