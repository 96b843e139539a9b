import type { User } from "../../shared/contracts/accounts.ts";
import type { Show, ShowcaseEntry, ShowInput, ShowStatus, ShowSummary, StudioInfo } from "../../shared/contracts/shows.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId, newSecret } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Catalog } from "../catalog/service.ts";
import type { RecordingState } from "./schema.ts";

/** What the shows domain needs from others, wired in the composition root. */
export interface ShowsDeps {
  db: Db;
  bus: EventBus;
  catalog: Catalog;
  viewerCount(showId: string): number;
  playbackUrl(showId: string): string | null;
  /** where the replay of a show whose recording is ready is played from */
  replayUrl(showId: string): string;
  rtmpUrl: string;
  whipUrl: string;
  /**
   * For a creator's campaign show: may this product be showcased in it now? (The campaigns domain
   * answers: the host has joined the campaign, it has not ended, the product is part of it.)
   */
  campaignShowcase?(campaignId: string, hostUserId: string, productId: string): Promise<Result<{}>>;
}

/** A creator's campaign show: everything a merchant's show has except the host, who is the creator. */
export type CampaignShowFields = Omit<ShowInput, "hostId">;

export interface ShowAccess {
  show: { id: string; merchant_id: string; host_user_id: string; status: ShowStatus; campaign_id: string | null };
}

export interface Shows {
  create(merchantId: string, input: ShowInput): Promise<Result<{ show: Show }>>;
  update(merchantId: string, showId: string, input: ShowInput): Promise<Result<{ show: Show }>>;
  get(showId: string): Promise<Show | null>;
  list(opts: { status?: ShowStatus; merchantId?: string; hostId?: string; limit: number }): Promise<ShowSummary[]>;
  /** Host of the show, staff of its merchant, or an admin. */
  authorizeHost(user: User, showId: string): Promise<Result<ShowAccess>>;
  studio(showId: string): Promise<StudioInfo | null>;
  rotateStreamKey(showId: string): Promise<StudioInfo | null>;
  showcase(showId: string, productId: string | null): Promise<Result<{ at: number }>>;
  showcasedProductId(showId: string): Promise<string | null>;
  /** Every showcase of the show, in order (the replay shows the cards from it); null when there is no such show. */
  timeline(showId: string): Promise<ShowcaseEntry[] | null>;
  /** The recorder's news: the show is being recorded, its replay is ready, or it has none after all (null). */
  setRecording(showId: string, state: RecordingState | null): Promise<void>;
  /** Ended shows whose recording was never finalized (the server stopped mid-show): finalize them at start. */
  unfinishedRecordings(): Promise<string[]>;
  /** Just the status (one indexed read: chat checks it for every message). */
  status(showId: string): Promise<ShowStatus | null>;
  /** Ingest: which show does this stream key open? Null when unknown or the show is over. */
  showForStreamKey(streamKey: string): Promise<{ showId: string } | null>;
  /** The ingest has the show's first part: it is live. `node` (multi-node): this node takes the show's ingest lease. */
  markLive(showId: string, node?: string): Promise<void>;
  markEnded(showId: string, reason: string): Promise<boolean>;
  /**
   * Multi-node ingest lease: `node` streams these shows; their heartbeat becomes `at`, in one statement.
   * Returns those of them that are ended (another node ended them): the caller stops streaming them.
   */
  renewIngestLease(node: string, showIds: string[], at: number): Promise<string[]>;
  /**
   * Ends the live shows whose ingest lease was last renewed before `staleBefore` (their node is gone),
   * as markEnded does, each with a conditional update so that of several nodes exactly one ends it.
   * Returns the shows this call ended.
   */
  endOrphaned(staleBefore: number, reason: string): Promise<string[]>;
  addLikes(showId: string, count: number): Promise<void>;
  recordPeakViewers(showId: string, viewers: number): Promise<void>;
  /**
   * For checkout: is this product on sale in this live show? With `inReplay`, also in the replay of
   * an ended show (ordinary purchases go on in the replay; flash sales are live only).
   */
  saleContext(showId: string, productId: string, opts?: { inReplay?: boolean }): Promise<Result<{ merchantId: string }>>;
  liveShowIds(): Promise<string[]>;
  /** Shows selling this product (a shared product's page lists them): live first, then replays and upcoming ones. */
  featuring(productId: string, limit: number): Promise<ShowSummary[]>;
  /**
   * Summaries of these shows (missing ids left out, in no order), with the host's creator name (or
   * account name) and the recording state: for read models such as the feed.
   */
  summariesOf(ids: string[]): Promise<{ summary: ShowSummary; creatorName: string; recording: RecordingState | null }[]>;
  /** Scheduled (not yet live) shows whose start is in [fromMs, toMs], soonest first (the starting-soon notifications). */
  startingBetween(fromMs: number, toMs: number, limit: number): Promise<string[]>;
  /**
   * A show a creator hosts for a brand's campaign: the brand is its merchant. The campaigns domain has
   * checked the creator's membership and that the products are the campaign's; the products must still
   * belong to the merchant.
   */
  createForCampaign(c: { merchantId: string; hostUserId: string; campaignId: string; input: CampaignShowFields }): Promise<Result<{ show: Show }>>;
  updateForCampaign(showId: string, input: CampaignShowFields): Promise<Result<{ show: Show }>>;
  /** The campaign a show sells for, with its host and merchant; null for a merchant's own show or no show. */
  campaignOf(showId: string): Promise<{ campaignId: string; hostUserId: string; merchantId: string } | null>;
}

export function createShows(deps: ShowsDeps): Shows {
  const { db, bus, catalog } = deps;

  const summaryQuery = () =>
    db
      .selectFrom("shows")
      .innerJoin("merchants", "merchants.id", "shows.merchant_id")
      .innerJoin("users", "users.id", "shows.host_user_id")
      .leftJoin("creators", "creators.user_id", "shows.host_user_id")
      .select([
        "shows.id",
        "shows.merchant_id",
        "merchants.name as merchant_name",
        "shows.host_user_id",
        "users.display_name as host_name",
        "shows.title",
        "shows.description",
        "shows.cover_url",
        "shows.scheduled_at",
        "shows.status",
        "shows.started_at",
        "shows.ended_at",
        "shows.like_count",
        "shows.showcased_product_id",
        "shows.recording",
        "shows.campaign_id",
        "creators.handle as host_handle",
        "creators.display_name as creator_name",
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof summaryQuery>["executeTakeFirstOrThrow"]>>;

  const toSummary = (r: Row): ShowSummary => ({
    id: r.id,
    merchantId: r.merchant_id,
    merchantName: r.merchant_name,
    hostId: r.host_user_id,
    hostName: r.host_name,
    title: r.title,
    description: r.description,
    coverUrl: r.cover_url,
    scheduledAt: iso(r.scheduled_at),
    status: r.status,
    startedAt: isoOrNull(r.started_at),
    endedAt: isoOrNull(r.ended_at),
    viewerCount: r.status === "live" ? deps.viewerCount(r.id) : 0,
    likeCount: r.like_count,
    campaignId: r.campaign_id,
    hostHandle: r.host_handle ?? null,
  });

  async function validateInput(merchantId: string, input: ShowInput): Promise<Result<{}>> {
    const host = await db.selectFrom("users").select(["role", "merchant_id"]).where("id", "=", input.hostId).executeTakeFirst();
    if (!host || !(host.role === "host" || host.merchant_id === merchantId)) return fail("validation_failed", "The host must be a creator or a member of your staff.");
    return validateProducts(merchantId, input.productIds);
  }

  async function validateProducts(merchantId: string, productIds: string[]): Promise<Result<{}>> {
    const ids = [...new Set(productIds)];
    if (ids.length) {
      const owned = await db.selectFrom("products").select("id").where("id", "in", ids).where("merchant_id", "=", merchantId).execute();
      if (owned.length !== ids.length) return fail("validation_failed", "Every product of a show must belong to your catalog.");
    }
    return { ok: true };
  }

  async function writeProducts(tx: Db | any, showId: string, productIds: string[]) {
    await tx.deleteFrom("show_products").where("show_id", "=", showId).execute();
    const ids = [...new Set(productIds)];
    if (ids.length) await tx.insertInto("show_products").values(ids.map((product_id, position) => ({ show_id: showId, product_id, position }))).execute();
  }

  async function insertShow(s: { merchantId: string; hostUserId: string; campaignId: string | null; input: CampaignShowFields }): Promise<string> {
    const { input } = s;
    const id = newId("shw");
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto("shows")
        .values({
          id,
          merchant_id: s.merchantId,
          host_user_id: s.hostUserId,
          title: input.title,
          description: input.description,
          cover_url: input.coverUrl,
          scheduled_at: Date.parse(input.scheduledAt),
          status: "scheduled",
          started_at: null,
          ended_at: null,
          stream_key: newSecret(18),
          showcased_product_id: null,
          like_count: 0,
          peak_viewers: 0,
          created_at: Date.now(),
          recording: null,
          campaign_id: s.campaignId,
        })
        .execute();
      await writeProducts(tx, id, input.productIds);
    });
    bus.publish({ type: "show.changed", showId: id });
    return id;
  }

  /**
   * The one way a show ends: a conditional update, so that only its first ending publishes `show.ended`.
   * With `staleBefore`, only while its ingest lease is older than that (a node that renewed it meanwhile keeps it).
   */
  async function end(showId: string, reason: string, staleBefore?: number): Promise<boolean> {
    const at = Date.now();
    let q = db
      .updateTable("shows")
      .set({ status: "ended", ended_at: at, showcased_product_id: null })
      .where("id", "=", showId)
      .where("status", "!=", "ended");
    if (staleBefore !== undefined) q = q.where((eb) => eb(eb.fn.coalesce("ingest_heartbeat_at", "started_at"), "<", staleBefore));
    const res = await q.executeTakeFirst();
    const ended = Number(res.numUpdatedRows) === 1;
    if (ended) bus.publish({ type: "show.ended", showId, at, reason });
    return ended;
  }

  const self: Shows = {
    async create(merchantId, input) {
      const v = await validateInput(merchantId, input);
      if (!v.ok) return v;
      const id = await insertShow({ merchantId, hostUserId: input.hostId, campaignId: null, input });
      bus.publish({ type: "show.scheduled", showId: id, scheduledAt: Date.parse(input.scheduledAt) });
      return { ok: true, show: (await self.get(id))! };
    },

    async createForCampaign(c) {
      const v = await validateProducts(c.merchantId, c.input.productIds);
      if (!v.ok) return v;
      const id = await insertShow({ merchantId: c.merchantId, hostUserId: c.hostUserId, campaignId: c.campaignId, input: c.input });
      bus.publish({ type: "show.scheduled", showId: id, scheduledAt: Date.parse(c.input.scheduledAt) });
      return { ok: true, show: (await self.get(id))! };
    },

    async updateForCampaign(showId, input) {
      const row = await db.selectFrom("shows").select(["merchant_id", "status", "campaign_id"]).where("id", "=", showId).executeTakeFirst();
      if (!row || !row.campaign_id) return fail("not_found", "No such show.");
      if (row.status === "ended") return fail("show_already_ended");
      const v = await validateProducts(row.merchant_id, input.productIds);
      if (!v.ok) return v;
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable("shows")
          .set({ title: input.title, description: input.description, cover_url: input.coverUrl, scheduled_at: Date.parse(input.scheduledAt) })
          .where("id", "=", showId)
          .execute();
        await writeProducts(tx, showId, input.productIds);
      });
      bus.publish({ type: "show.changed", showId });
      return { ok: true, show: (await self.get(showId))! };
    },

    async campaignOf(showId) {
      const r = await db.selectFrom("shows").select(["campaign_id", "host_user_id", "merchant_id"]).where("id", "=", showId).executeTakeFirst();
      return r?.campaign_id ? { campaignId: r.campaign_id, hostUserId: r.host_user_id, merchantId: r.merchant_id } : null;
    },

    async update(merchantId, showId, input) {
      const row = await db.selectFrom("shows").select(["merchant_id", "status", "campaign_id"]).where("id", "=", showId).executeTakeFirst();
      if (!row || row.merchant_id !== merchantId) return fail("not_found", "No such show.");
      if (row.status === "ended") return fail("show_already_ended");
      // A campaign show is on the creator's channel: the creator edits it (host and products are its choice within the campaign).
      if (row.campaign_id) return fail("forbidden", "This show is a creator's campaign show: its creator edits it.");
      const v = await validateInput(merchantId, input);
      if (!v.ok) return v;
      await db.transaction().execute(async (tx) => {
        await tx
          .updateTable("shows")
          .set({
            title: input.title,
            description: input.description,
            cover_url: input.coverUrl,
            scheduled_at: Date.parse(input.scheduledAt),
            host_user_id: input.hostId,
          })
          .where("id", "=", showId)
          .execute();
        await writeProducts(tx, showId, input.productIds);
      });
      bus.publish({ type: "show.changed", showId });
      return { ok: true, show: (await self.get(showId))! };
    },

    async get(showId) {
      const r = await summaryQuery().where("shows.id", "=", showId).executeTakeFirst();
      if (!r) return null;
      const productIds = await db.selectFrom("show_products").select("product_id").where("show_id", "=", showId).orderBy("position").execute();
      const products = await catalog.getMany(productIds.map((p) => p.product_id));
      return {
        ...toSummary(r),
        products,
        showcasedProductId: r.showcased_product_id,
        playbackUrl: r.status === "live" ? deps.playbackUrl(showId) : null,
        replayUrl: r.status === "ended" && r.recording === "ready" ? deps.replayUrl(showId) : null,
      };
    },

    async summariesOf(ids) {
      if (!ids.length) return [];
      const rows = await summaryQuery().where("shows.id", "in", ids).execute();
      return rows.map((r) => ({ summary: toSummary(r), creatorName: r.creator_name ?? r.host_name, recording: r.recording }));
    },

    async list({ status, merchantId, hostId, limit }) {
      let q = summaryQuery();
      if (status) q = q.where("shows.status", "=", status);
      if (merchantId) q = q.where("shows.merchant_id", "=", merchantId);
      if (hostId) q = q.where("shows.host_user_id", "=", hostId);
      // Upcoming shows soonest first; everything else newest first.
      q = status === "scheduled" ? q.orderBy("shows.scheduled_at", "asc") : q.orderBy("shows.scheduled_at", "desc");
      const rows = await q.limit(limit).execute();
      return rows.map(toSummary);
    },

    async authorizeHost(user, showId) {
      const show = await db.selectFrom("shows").select(["id", "merchant_id", "host_user_id", "status", "campaign_id"]).where("id", "=", showId).executeTakeFirst();
      if (!show) return fail("not_found", "No such show.");
      const allowed = user.role === "admin" || show.host_user_id === user.id || (user.merchantId !== null && user.merchantId === show.merchant_id);
      if (!allowed) return fail("forbidden", "Only the host of this show or its merchant can do that.");
      return { ok: true, show };
    },

    async studio(showId) {
      const r = await db.selectFrom("shows").select(["id", "stream_key", "status"]).where("id", "=", showId).executeTakeFirst();
      if (!r) return null;
      return {
        showId: r.id,
        rtmpUrl: deps.rtmpUrl,
        whipUrl: deps.whipUrl,
        streamKey: r.stream_key,
        status: r.status,
        previewUrl: r.status === "live" ? deps.playbackUrl(r.id) : null,
      };
    },

    async rotateStreamKey(showId) {
      await db.updateTable("shows").set({ stream_key: newSecret(18) }).where("id", "=", showId).execute();
      return self.studio(showId);
    },

    async showcase(showId, productId) {
      const show = await db.selectFrom("shows").select(["status", "campaign_id", "host_user_id"]).where("id", "=", showId).executeTakeFirst();
      if (!show) return fail("not_found", "No such show.");
      if (show.status === "ended") return fail("show_already_ended");
      if (productId) {
        const inShow = await db.selectFrom("show_products").select("product_id").where("show_id", "=", showId).where("product_id", "=", productId).executeTakeFirst();
        if (!inShow) return fail("product_not_in_show");
        if (show.campaign_id && deps.campaignShowcase) {
          const allowed = await deps.campaignShowcase(show.campaign_id, show.host_user_id, productId);
          if (!allowed.ok) return allowed;
        }
      }
      const at = Date.now();
      await db.transaction().execute(async (tx) => {
        await tx.updateTable("shows").set({ showcased_product_id: productId }).where("id", "=", showId).execute();
        await tx.insertInto("show_showcases").values({ id: newId("shc"), show_id: showId, product_id: productId, at }).execute();
      });
      bus.publish({ type: "show.showcased", showId, productId, at });
      return { ok: true, at };
    },

    async status(showId) {
      const r = await db.selectFrom("shows").select("status").where("id", "=", showId).executeTakeFirst();
      return r?.status ?? null;
    },

    async showcasedProductId(showId) {
      const r = await db.selectFrom("shows").select("showcased_product_id").where("id", "=", showId).executeTakeFirst();
      return r?.showcased_product_id ?? null;
    },

    async timeline(showId) {
      const show = await db.selectFrom("shows").select("id").where("id", "=", showId).executeTakeFirst();
      if (!show) return null;
      // Ids are made in creation order, so two showcases in the same millisecond keep theirs.
      const rows = await db.selectFrom("show_showcases").select(["at", "product_id"]).where("show_id", "=", showId).orderBy("at").orderBy("id").execute();
      return rows.map((r) => ({ at: Number(r.at), productId: r.product_id }));
    },

    async setRecording(showId, state) {
      await db.updateTable("shows").set({ recording: state }).where("id", "=", showId).execute();
    },

    async unfinishedRecordings() {
      const rows = await db.selectFrom("shows").select("id").where("status", "=", "ended").where("recording", "=", "recording").execute();
      return rows.map((r) => r.id);
    },

    async showForStreamKey(streamKey) {
      if (!streamKey || streamKey.length > 100) return null;
      const r = await db.selectFrom("shows").select(["id", "status"]).where("stream_key", "=", streamKey).executeTakeFirst();
      if (!r || r.status === "ended") return null;
      return { showId: r.id };
    },

    async markLive(showId, node) {
      const at = Date.now();
      const res = await db
        .updateTable("shows")
        .set({ status: "live", started_at: at, ...(node ? { ingest_node: node, ingest_heartbeat_at: at } : {}) })
        .where("id", "=", showId)
        .where("status", "=", "scheduled")
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) bus.publish({ type: "show.started", showId, at });
    },

    markEnded: (showId, reason) => end(showId, reason),

    async renewIngestLease(node, showIds, at) {
      if (!showIds.length) return [];
      // Scheduled too: the ingest may have its first part before markLive has committed.
      const res = await db
        .updateTable("shows")
        .set({ ingest_node: node, ingest_heartbeat_at: at })
        .where("id", "in", showIds)
        .where("status", "!=", "ended")
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === showIds.length) return [];
      const rows = await db.selectFrom("shows").select("id").where("id", "in", showIds).where("status", "=", "ended").execute();
      return rows.map((r) => r.id);
    },

    async endOrphaned(staleBefore, reason) {
      const rows = await db
        .selectFrom("shows")
        .select("id")
        .where("status", "=", "live")
        .where((eb) => eb(eb.fn.coalesce("ingest_heartbeat_at", "started_at"), "<", staleBefore))
        .execute();
      const out: string[] = [];
      for (const r of rows) if (await end(r.id, reason, staleBefore)) out.push(r.id);
      return out;
    },

    async addLikes(showId, count) {
      await db
        .updateTable("shows")
        .set((eb) => ({ like_count: eb("like_count", "+", count) }))
        .where("id", "=", showId)
        .execute();
    },

    async recordPeakViewers(showId, viewers) {
      await db.updateTable("shows").set({ peak_viewers: viewers }).where("id", "=", showId).where("peak_viewers", "<", viewers).execute();
    },

    async saleContext(showId, productId, opts = {}) {
      const show = await db.selectFrom("shows").select(["status", "merchant_id", "recording"]).where("id", "=", showId).executeTakeFirst();
      if (!show) return fail("not_found", "No such show.");
      if (show.status === "ended" && !(opts.inReplay && show.recording === "ready")) return fail("show_already_ended");
      if (show.status === "scheduled") return fail("show_not_live");
      const inShow = await db.selectFrom("show_products").select("product_id").where("show_id", "=", showId).where("product_id", "=", productId).executeTakeFirst();
      if (!inShow) return fail("product_not_in_show");
      return { ok: true, merchantId: show.merchant_id };
    },

    async featuring(productId, limit) {
      const rows = await summaryQuery()
        .innerJoin("show_products", "show_products.show_id", "shows.id")
        .where("show_products.product_id", "=", productId)
        .orderBy("shows.scheduled_at", "desc")
        .limit(200)
        .execute();
      const rank = (s: ShowSummary) => (s.status === "live" ? 0 : s.status === "ended" ? 1 : 2);
      return rows.map(toSummary).sort((a, b) => rank(a) - rank(b)).slice(0, limit);
    },

    async liveShowIds() {
      const rows = await db.selectFrom("shows").select("id").where("status", "=", "live").execute();
      return rows.map((r) => r.id);
    },

    async startingBetween(fromMs, toMs, limit) {
      const rows = await db
        .selectFrom("shows")
        .select("id")
        .where("status", "=", "scheduled")
        .where("scheduled_at", ">=", fromMs)
        .where("scheduled_at", "<=", toMs)
        .orderBy("scheduled_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
  return self;
}
