import { z } from "zod";
import { http, qs } from "./client.ts";
import { Me, User, type SignInBody, type SignUpBody } from "../../../src/shared/contracts/accounts.ts";
import { ImageUploaded, Product, type ProductInput } from "../../../src/shared/contracts/catalog.ts";
import { HostOption, Question, Show, ShowCounters, ShowSummary, StudioInfo, type ShowInput, type ShowStatus } from "../../../src/shared/contracts/shows.ts";
import { Order, type BuyNowBody, type OrderStatus } from "../../../src/shared/contracts/checkout.ts";
import { Ok, page } from "../../../src/shared/contracts/common.ts";
import { ModerationSettings, Moderator, Sanction, type ModerationSettingsInput, type SanctionInput, type SanctionKind } from "../../../src/shared/contracts/moderation.ts";
import { FlashAttemptResult, FlashAuditEntry, FlashHoldCheckoutBody, FlashSale, FlashSaleStats, type FlashSaleInput } from "../../../src/shared/contracts/flash-sales.ts";
import { serverClock } from "../lib/server-clock.ts";
import { Creator, CreatorPage, FollowState, type CreatorInput } from "../../../src/shared/contracts/creators.ts";
import { Campaign, CreatorCampaign, type CampaignInput, type CampaignShowInput } from "../../../src/shared/contracts/campaigns.ts";
import { Earnings, Payout, Statement } from "../../../src/shared/contracts/commissions.ts";
import { PartnerSecret, PartnerSettings } from "../../../src/shared/contracts/partners.ts";
import { MyShares, ShareLink, type CreateShareBody } from "../../../src/shared/contracts/sharing.ts";
import { roomShareQuery, shareHeader } from "../lib/share-attribution.ts";
import { AgencyEarnings, AgencyInvitation, CreatorAgencyView, MyAgency, RosterDashboard, RosterEntry, type AgencyInput } from "../../../src/shared/contracts/agencies.ts";
import { AnalyticsReport, LiveAnalytics } from "../../../src/shared/contracts/analytics.ts";
import { MerchantPage, MyReminders, NotificationPage, NotificationSettings, ReminderState, UnreadCount, type MarkReadBody, type NotificationSettingsInput } from "../../../src/shared/contracts/notifications.ts";
import { SearchPage, type SearchType } from "../../../src/shared/contracts/search.ts";
import { ShortVideo, ShortVideoPage, StudioClip, UploadOptions } from "../../../src/shared/contracts/videos.ts";
import { FeedPage } from "../../../src/shared/contracts/feed.ts";
import { Review, ReviewableList, ReviewPage, ReviewSummary, type ReviewInput, type ReviewSort } from "../../../src/shared/contracts/reviews.ts";
import { Channel, ChannelNow, ChannelSources, ChannelSummary, type ChannelInput } from "../../../src/shared/contracts/channels.ts";

const enc = encodeURIComponent;
const UserReply = z.object({ user: User });
const ShowList = z.object({ items: z.array(ShowSummary) });
const ProductPage = page(Product);
const OrderPage = page(Order);
const QuestionList = z.object({ items: z.array(Question) });
const HostList = z.object({ items: z.array(HostOption) });
const FlashSaleList = z.object({ items: z.array(FlashSale) });
const FlashAuditPage = z.object({ items: z.array(FlashAuditEntry) });
const SanctionList = z.object({ items: z.array(Sanction) });
const ModeratorList = z.object({ items: z.array(Moderator) });
const CampaignList = z.object({ items: z.array(Campaign) });
const CreatorCampaignList = z.object({ items: z.array(CreatorCampaign) });
export type FlashAuditItem = z.infer<typeof FlashAuditEntry>;
export type FlashHoldCheckout = z.input<typeof FlashHoldCheckoutBody>;

/** Answers that carry the server's time also tune the countdown clock. */
function timed<T extends { serverTime: string }>(p: Promise<T>): Promise<T> {
  return p.then((v) => {
    serverClock.observe(v.serverTime);
    return v;
  });
}

export type HostOption = z.infer<typeof HostOption>;
/** A report's period (dates or ISO instants) and its filters. */
export type ReportParams = { from?: string; to?: string; showId?: string; productId?: string; creatorId?: string; campaignId?: string };

/** The REST API, one function per endpoint, every answer parsed with its contract. */
export const api = {
  auth: {
    me: () => http.get("/api/v1/me", Me),
    signIn: (body: SignInBody) => http.post("/api/v1/auth/sign-in", UserReply, body),
    signUp: (body: SignUpBody) => http.post("/api/v1/auth/sign-up", UserReply, body),
    signOut: () => http.post("/api/v1/auth/sign-out", null, {}),
  },
  /** shows, products and creators; public */
  feed: (cursor?: string | null, limit?: number) => http.get(`/api/v1/feed${qs({ cursor: cursor ?? undefined, limit: limit === undefined ? undefined : String(limit) })}`, FeedPage),
  search: (q: string, type: SearchType, cursor?: string | null, opts: { limit?: number; signal?: AbortSignal } = {}) =>
    http.get(`/api/v1/search${qs({ q, type, cursor: cursor ?? undefined, limit: opts.limit })}`, SearchPage, { signal: opts.signal }),
  shows: {
    list: (status: ShowStatus) => http.get(`/api/v1/shows${qs({ status })}`, ShowList),
    get: (id: string) => http.get(`/api/v1/shows/${enc(id)}`, Show),
  },
  /** a product's public page: the product and the shows selling it */
  products: {
    get: (id: string) => http.get(`/api/v1/products/${enc(id)}`, Product),
    shows: (id: string) => http.get(`/api/v1/products/${enc(id)}/shows`, ShowList),
  },
  /** verified buyers' reviews (docs/discovery.md, "Reviews") */
  reviews: {
    list: (productId: string, p: { cursor?: string | null; sort?: ReviewSort; limit?: number } = {}) =>
      http.get(`/api/v1/products/${enc(productId)}/reviews${qs({ cursor: p.cursor ?? undefined, sort: p.sort, limit: p.limit })}`, ReviewPage),
    summary: (productId: string) => http.get(`/api/v1/products/${enc(productId)}/reviews/summary`, ReviewSummary),
    post: (productId: string, body: ReviewInput) => http.post(`/api/v1/products/${enc(productId)}/reviews`, Review, body),
    edit: (reviewId: string, body: ReviewInput) => http.patch(`/api/v1/reviews/${enc(reviewId)}`, Review, body),
    remove: (reviewId: string) => http.del(`/api/v1/reviews/${enc(reviewId)}`, null),
    helpful: (reviewId: string, on: boolean) => (on ? http.put(`/api/v1/reviews/${enc(reviewId)}/helpful`, Review, {}) : http.del(`/api/v1/reviews/${enc(reviewId)}/helpful`, Review)),
    reviewable: (productId?: string) => http.get(`/api/v1/me/reviewable${qs({ productId })}`, ReviewableList),
    /** any signed-in account uploads its review photos through the image endpoint */
    uploadPhoto: (file: File) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return http.upload("/api/v1/uploads/images", ImageUploaded, form);
    },
  },
  /** share links (with the sharer's token when signed in) and what came through them */
  shares: {
    create: (body: CreateShareBody) => http.post("/api/v1/shares", ShareLink, body),
    mine: () => http.get("/api/v1/me/shares", MyShares),
  },
  host: {
    shows: () => http.get("/api/v1/host/shows", ShowList),
    studio: (id: string) => http.get(`/api/v1/shows/${enc(id)}/studio`, StudioInfo),
    rotateKey: (id: string) => http.post(`/api/v1/shows/${enc(id)}/stream-key`, StudioInfo, {}),
    showcase: (id: string, productId: string | null) => http.post(`/api/v1/shows/${enc(id)}/showcase`, null, { productId }),
    end: (id: string) => http.post(`/api/v1/shows/${enc(id)}/end`, null, {}),
    counters: (id: string) => http.get(`/api/v1/shows/${enc(id)}/counters`, ShowCounters),
    openQuestions: (id: string) => http.get(`/api/v1/shows/${enc(id)}/questions?status=open`, QuestionList),
    answer: (id: string, qid: string, text: string) => http.post(`/api/v1/shows/${enc(id)}/questions/${enc(qid)}/answer`, Question, { text }),
    dismiss: (id: string, qid: string) => http.post(`/api/v1/shows/${enc(id)}/questions/${enc(qid)}/dismiss`, Question, {}),
  },
  merchant: {
    products: (p: { cursor?: string | null; limit?: number; q?: string }) => http.get(`/api/v1/merchant/products${qs(p)}`, ProductPage),
    createProduct: (body: ProductInput) => http.post("/api/v1/merchant/products", Product, body),
    updateProduct: (id: string, body: ProductInput) => http.put(`/api/v1/merchant/products/${enc(id)}`, Product, body),
    uploadImage: (file: File) => {
      const form = new FormData();
      form.append("file", file, file.name);
      return http.upload("/api/v1/uploads/images", ImageUploaded, form);
    },
    shows: () => http.get("/api/v1/merchant/shows", ShowList),
    hosts: () => http.get("/api/v1/merchant/hosts", HostList),
    createShow: (body: ShowInput) => http.post("/api/v1/merchant/shows", Show, body),
    updateShow: (id: string, body: ShowInput) => http.put(`/api/v1/merchant/shows/${enc(id)}`, Show, body),
    orders: (p: { status?: OrderStatus | ""; cursor?: string | null }) => http.get(`/api/v1/merchant/orders${qs(p)}`, OrderPage),
    order: (id: string) => http.get(`/api/v1/orders/${enc(id)}`, Order),
    setOrderStatus: (id: string, status: "shipped" | "delivered" | "cancelled") => http.post(`/api/v1/merchant/orders/${enc(id)}/status`, Order, { status }),
    partner: () => http.get("/api/v1/merchant/partner", PartnerSettings),
    rotatePartnerSecret: () => http.post("/api/v1/merchant/partner/secret", PartnerSecret, {}),
  },
  flash: {
    /** host or merchant staff: launch a flash sale during a live show */
    create: (showId: string, body: FlashSaleInput) => timed(http.post(`/api/v1/shows/${enc(showId)}/flash-sales`, FlashSale, body)),
    list: (showId: string) => http.get(`/api/v1/shows/${enc(showId)}/flash-sales`, FlashSaleList),
    /** one purchase attempt over HTTP (the room's flash.buy is the usual way); same key, same answer */
    attempt: (saleId: string, key: string) => http.post(`/api/v1/flash-sales/${enc(saleId)}/attempts`, FlashAttemptResult, { key }),
    payHold: (saleId: string, holdId: string, body: FlashHoldCheckout) => http.post(`/api/v1/flash-sales/${enc(saleId)}/holds/${enc(holdId)}/checkout`, Order, body),
    stats: (saleId: string, signal?: AbortSignal) => timed(http.get(`/api/v1/flash-sales/${enc(saleId)}/stats`, FlashSaleStats, { signal })),
    audit: (saleId: string, afterSeq = 0, limit = 100) => http.get(`/api/v1/flash-sales/${enc(saleId)}/audit${qs({ afterSeq, limit })}`, FlashAuditPage),
  },
  /** short videos: a show's clips (its host, merchant staff), publish / discard; published ones for everyone */
  videos: {
    clips: (showId: string) => http.get(`/api/v1/shows/${enc(showId)}/clips`, z.object({ items: z.array(StudioClip) })),
    publish: (videoId: string) => http.post(`/api/v1/videos/${enc(videoId)}/publish`, StudioClip, {}),
    discard: (videoId: string) => http.post(`/api/v1/videos/${enc(videoId)}/discard`, StudioClip, {}),
    list: (cursor?: string | null) => http.get(`/api/v1/videos${qs({ cursor })}`, ShortVideoPage),
    /** a published video (its page) */
    get: (videoId: string) => http.get(`/api/v1/videos/${enc(videoId)}`, ShortVideo),
    /** uploads: where (which shops) and how much; the creator's own; one in any status; its product tags */
    uploadOptions: () => http.get("/api/v1/studio/uploads/options", UploadOptions),
    taggable: (merchantId: string, q?: string) => http.get(`/api/v1/studio/uploads/products${qs({ merchantId, q })}`, z.object({ items: z.array(Product) })),
    mine: () => http.get("/api/v1/studio/videos", z.object({ items: z.array(StudioClip) })),
    studio: (videoId: string) => http.get(`/api/v1/videos/${enc(videoId)}/studio`, StudioClip),
    setProducts: (videoId: string, productIds: string[]) => http.put(`/api/v1/videos/${enc(videoId)}/products`, StudioClip, { productIds }),
  },
  /** a show's room rules, mutes and bans, deleted messages and moderators: hosts, staff and the show's moderators */
  moderation: {
    settings: (showId: string) => http.get(`/api/v1/shows/${enc(showId)}/moderation`, ModerationSettings),
    /** fields left out keep their value */
    updateSettings: (showId: string, body: ModerationSettingsInput) => http.put(`/api/v1/shows/${enc(showId)}/moderation`, ModerationSettings, body),
    sanctions: (showId: string) => http.get(`/api/v1/shows/${enc(showId)}/moderation/sanctions`, SanctionList),
    sanction: (showId: string, body: SanctionInput) => http.post(`/api/v1/shows/${enc(showId)}/moderation/sanctions`, Sanction, body),
    lift: (showId: string, userId: string, kind: SanctionKind) => http.del(`/api/v1/shows/${enc(showId)}/moderation/sanctions/${enc(userId)}${qs({ kind })}`, Ok),
    deleteMessage: (showId: string, messageId: string) => http.del(`/api/v1/shows/${enc(showId)}/chat/${enc(messageId)}`, Ok),
    moderators: (showId: string) => http.get(`/api/v1/shows/${enc(showId)}/moderators`, ModeratorList),
    /** hosts and merchant staff only */
    addModerator: (showId: string, email: string) => http.post(`/api/v1/shows/${enc(showId)}/moderators`, Moderator, { email }),
    removeModerator: (showId: string, userId: string) => http.del(`/api/v1/shows/${enc(showId)}/moderators/${enc(userId)}`, Ok),
  },
  /** creator profiles and pages: any signed-in user may turn one on; anyone reads a page */
  creators: {
    mine: () => http.get("/api/v1/me/creator", Creator),
    turnOn: (body: z.input<typeof CreatorInput>) => http.post("/api/v1/me/creator", Creator, body),
    edit: (body: z.input<typeof CreatorInput>) => http.put("/api/v1/me/creator", Creator, body),
    page: (handle: string) => http.get(`/api/v1/creators/${enc(handle)}`, CreatorPage),
    follow: (handle: string) => http.post(`/api/v1/creators/${enc(handle)}/follow`, FollowState, {}),
    unfollow: (handle: string) => http.del(`/api/v1/creators/${enc(handle)}/follow`, FollowState),
    /** admin only */
    verify: (creatorId: string, verified: boolean) => http.post(`/api/v1/admin/creators/${enc(creatorId)}/verify`, Creator, { verified }),
  },
  /** follows of merchants, "remind me", the notification inbox and its settings (the live stream: notificationStreamUrl) */
  notify: {
    merchant: (id: string) => http.get(`/api/v1/merchants/${enc(id)}`, MerchantPage),
    followMerchant: (id: string) => http.post(`/api/v1/merchants/${enc(id)}/follow`, FollowState, {}),
    unfollowMerchant: (id: string) => http.del(`/api/v1/merchants/${enc(id)}/follow`, FollowState),
    reminders: () => http.get("/api/v1/me/reminders", MyReminders),
    remind: (showId: string) => http.post(`/api/v1/shows/${enc(showId)}/reminder`, ReminderState, {}),
    unremind: (showId: string) => http.del(`/api/v1/shows/${enc(showId)}/reminder`, ReminderState),
    calendarUrl: (showId: string) => `/api/v1/shows/${enc(showId)}/calendar.ics`,
    list: (cursor?: string | null) => http.get(`/api/v1/me/notifications${qs({ cursor })}`, NotificationPage),
    unread: () => http.get("/api/v1/me/notifications/unread", UnreadCount),
    read: (body: MarkReadBody) => http.post("/api/v1/me/notifications/read", UnreadCount, body),
    settings: () => http.get("/api/v1/me/notification-settings", NotificationSettings),
    setSettings: (body: NotificationSettingsInput) => http.put("/api/v1/me/notification-settings", NotificationSettings, body),
    streamUrl: "/api/v1/me/notifications/stream",
  },
  /** a creator's campaigns, campaign shows and earnings (always its own) */
  creator: {
    campaigns: () => http.get("/api/v1/creator/campaigns", CreatorCampaignList),
    respond: (id: string, action: "accept" | "join" | "decline") => http.post(`/api/v1/creator/campaigns/${enc(id)}/${action}`, CreatorCampaign, {}),
    shows: () => http.get("/api/v1/creator/shows", ShowList),
    scheduleShow: (body: z.input<typeof CampaignShowInput>) => http.post("/api/v1/creator/shows", Show, body),
    earnings: () => http.get("/api/v1/me/earnings", Earnings),
    payouts: () => http.get("/api/v1/me/payouts", z.object({ items: z.array(Payout) })),
    /** the same URL with format=csv is the download */
    statement: (url: string) => http.get(url, Statement),
  },
  /** the brand's campaigns: merchant staff, own campaigns only */
  campaigns: {
    list: () => http.get("/api/v1/merchant/campaigns", CampaignList),
    get: (id: string) => http.get(`/api/v1/merchant/campaigns/${enc(id)}`, Campaign),
    create: (body: z.input<typeof CampaignInput>) => http.post("/api/v1/merchant/campaigns", Campaign, body),
    invite: (id: string, handles: string[]) => http.post(`/api/v1/merchant/campaigns/${enc(id)}/invitations`, Campaign, { handles }),
  },
  buyer: {
    buyNow: (body: BuyNowBody, idempotencyKey: string) => http.post("/api/v1/checkout/buy-now", Order, body, { headers: { "idempotency-key": idempotencyKey, ...shareHeader(body.showId) } }),
    orders: (cursor?: string | null) => http.get(`/api/v1/me/orders${qs({ cursor })}`, OrderPage),
  },
  /** live analytics and reports: a show's merchant staff, its host (creator) and admins; reports scoped to their shows */
  analytics: {
    live: (showId: string, signal?: AbortSignal) => http.get(`/api/v1/analytics/shows/${enc(showId)}/live`, LiveAnalytics, { signal }),
    /** server-sent events: `analytics.live`, each a LiveAnalytics */
    liveStreamUrl: (showId: string) => `/api/v1/analytics/shows/${enc(showId)}/live/stream`,
    report: (q: ReportParams, signal?: AbortSignal) => http.get(`/api/v1/analytics/report${qs(q)}`, AnalyticsReport, { signal }),
    reportCsvUrl: (q: ReportParams, by: "day" | "show" | "product") => `/api/v1/analytics/report${qs({ ...q, format: "csv", by })}`,
  },
  /** an MCN agency's staff: its roster, invitations, earnings and roster creators' live shows */
  agency: {
    mine: (signal?: AbortSignal) => http.get("/api/v1/me/agency", MyAgency, { signal }),
    create: (body: AgencyInput) => http.post("/api/v1/me/agency", MyAgency, body),
    roster: (p: { from: string; to: string }) => http.get(`/api/v1/agency/roster${qs(p)}`, RosterDashboard),
    invite: (handle: string, shareBps: number) => http.post("/api/v1/agency/invitations", AgencyInvitation, { handle, shareBps }),
    revoke: (id: string) => http.del(`/api/v1/agency/invitations/${enc(id)}`, AgencyInvitation),
    setShare: (creatorId: string, shareBps: number) => http.put(`/api/v1/agency/roster/${enc(creatorId)}/share`, RosterEntry, { shareBps }),
    remove: (creatorId: string) => http.del(`/api/v1/agency/roster/${enc(creatorId)}`, Ok),
    earnings: () => http.get("/api/v1/agency/earnings", AgencyEarnings),
    statementCsvUrl: (p: { from: string; to: string }) => `/api/v1/agency/earnings/statement${qs({ ...p, format: "csv" })}`,
    live: (showId: string, signal?: AbortSignal) => http.get(`/api/v1/agency/shows/${enc(showId)}/live`, LiveAnalytics, { signal }),
    liveStreamUrl: (showId: string) => `/api/v1/agency/shows/${enc(showId)}/live/stream`,
    /** the creator's side */
    creatorView: () => http.get("/api/v1/creator/agency", CreatorAgencyView),
    accept: (id: string) => http.post(`/api/v1/creator/agency-invitations/${enc(id)}/accept`, CreatorAgencyView, {}),
    decline: (id: string) => http.post(`/api/v1/creator/agency-invitations/${enc(id)}/decline`, CreatorAgencyView, {}),
    leave: () => http.post("/api/v1/creator/agency/leave", CreatorAgencyView, {}),
  },
  /** 24-hour channels: a merchant's playlist of replays and videos played as one live stream */
  channels: {
    get: (id: string) => http.get(`/api/v1/channels/${enc(id)}`, Channel),
    now: (id: string) => http.get(`/api/v1/channels/${enc(id)}/now`, ChannelNow),
    eventsUrl: (id: string) => `/api/v1/channels/${enc(id)}/events`,
    ofMerchant: (merchantId: string) => http.get(`/api/v1/merchants/${enc(merchantId)}/channels`, z.object({ items: z.array(ChannelSummary) })),
    create: (body: ChannelInput) => http.post("/api/v1/channels", Channel, body),
    update: (id: string, body: ChannelInput) => http.put(`/api/v1/channels/${enc(id)}`, Channel, body),
    sources: () => http.get("/api/v1/merchant/channel-sources", ChannelSources),
  },
};

/** The merchant's live order feed (server-sent events). */
export const MERCHANT_FEED_URL = "/api/v1/merchant/live";

export function roomUrl(showId: string): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const share = roomShareQuery(showId);
  return `${proto}//${location.host}/api/v1/shows/${enc(showId)}/room${share ? `?${share}` : ""}`;
}
