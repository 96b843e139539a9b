import type { Campaign, CampaignInput, CampaignShowInput, CampaignStatus, CreatorCampaign, CreatorShowInput, MembershipStatus } from "../../shared/contracts/campaigns.ts";
import type { Show } from "../../shared/contracts/shows.ts";
import type { Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Creators } from "../creators/service.ts";
import type { Shows } from "../shows/service.ts";
import type { CampaignsTables } from "./schema.ts";

type CampaignRow = CampaignsTables["campaigns"] & { merchant_name: string };

/** What the commission ledger needs to know about a sale in a creator's campaign show. */
export interface Attribution {
  campaignId: string;
  merchantId: string;
  currency: string;
  creatorId: string;
  /** the rate for a product of the campaign, in basis points; null when the product is not in it */
  rateFor(productId: string): number | null;
}

export interface Campaigns {
  create(merchantId: string, actorId: string, input: CampaignInput): Promise<Result<{ campaign: Campaign }>>;
  /** A merchant sees its own campaigns only. */
  listForMerchant(merchantId: string): Promise<Campaign[]>;
  getForMerchant(merchantId: string, campaignId: string): Promise<Campaign | null>;
  invite(merchantId: string, campaignId: string, handles: string[]): Promise<Result<{ campaign: Campaign }>>;
  /** The campaigns a creator is in or invited to, and the open campaigns it may join. */
  listForCreator(userId: string): Promise<Result<{ items: CreatorCampaign[] }>>;
  getForCreator(userId: string, campaignId: string): Promise<Result<{ campaign: CreatorCampaign }>>;
  /** Accept an invitation or join an open campaign; or decline an invitation. */
  respond(userId: string, campaignId: string, answer: "accept" | "decline"): Promise<Result<{ campaign: CreatorCampaign }>>;
  /** A creator schedules a show on its own channel featuring products of a campaign it has joined. */
  scheduleShow(userId: string, input: CampaignShowInput): Promise<Result<{ show: Show }>>;
  updateShow(userId: string, showId: string, input: CreatorShowInput): Promise<Result<{ show: Show }>>;
  /** The shows' showcase guard for campaign shows. */
  showcaseAllowed(campaignId: string, hostUserId: string, productId: string): Promise<Result<{}>>;
  /** For an order paid at `at` in a show of this campaign hosted by this user: who earns what, or null. */
  attribution(campaignId: string, hostUserId: string, at: number): Promise<Attribution | null>;
}

export function createCampaigns(deps: { db: Db; catalog: Catalog; creators: Creators; shows: Shows; clock?: () => number }): Campaigns {
  const { db, catalog, creators, shows } = deps;
  const now = deps.clock ?? Date.now;

  const statusOf = (r: { starts_at: number; ends_at: number }, at = now()): CampaignStatus => (at < r.starts_at ? "scheduled" : at >= r.ends_at ? "ended" : "running");

  const rowsQuery = () =>
    db
      .selectFrom("campaigns")
      .innerJoin("merchants", "merchants.id", "campaigns.merchant_id")
      .selectAll("campaigns")
      .select("merchants.name as merchant_name");

  async function row(campaignId: string): Promise<CampaignRow | undefined> {
    return rowsQuery().where("campaigns.id", "=", campaignId).executeTakeFirst();
  }

  /** The campaigns as their brand sees them, in the order of `rows`. */
  async function toCampaigns(rows: CampaignRow[], opts: { members: boolean }) {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [products, members] = await Promise.all([
      db.selectFrom("campaign_products").selectAll().where("campaign_id", "in", ids).orderBy("position").execute(),
      opts.members ? db.selectFrom("campaign_creators").selectAll().where("campaign_id", "in", ids).execute() : Promise.resolve([]),
    ]);
    const [catalogProducts, memberCreators] = await Promise.all([catalog.getMany([...new Set(products.map((p) => p.product_id))]), creators.getMany(members.map((m) => m.creator_id))]);
    const productById = new Map(catalogProducts.map((p) => [p.id, p]));
    const creatorById = new Map(memberCreators.map((c) => [c.id, c]));
    return rows.map((r) => ({
      id: r.id,
      merchantId: r.merchant_id,
      merchantName: r.merchant_name,
      name: r.name,
      currency: r.currency,
      commissionBps: r.commission_bps,
      products: products
        .filter((p) => p.campaign_id === r.id)
        .map((p) => {
          const product = productById.get(p.product_id);
          return {
            productId: p.product_id,
            title: product?.title ?? "",
            image: product?.images[0] ?? null,
            commissionBps: p.commission_bps ?? r.commission_bps,
            overridden: p.commission_bps !== null,
          };
        }),
      startsAt: iso(r.starts_at),
      endsAt: iso(r.ends_at),
      audience: r.audience,
      status: statusOf(r),
      createdAt: iso(r.created_at),
      creators: members
        .filter((m) => m.campaign_id === r.id)
        .flatMap((m) => {
          const c = creatorById.get(m.creator_id);
          return c ? [{ creatorId: c.id, handle: c.handle, displayName: c.displayName, status: m.status, invitedAt: isoOrNull(m.invited_at), respondedAt: isoOrNull(m.responded_at) }] : [];
        }),
    }));
  }

  async function forCreator(rows: CampaignRow[], creatorId: string): Promise<CreatorCampaign[]> {
    if (!rows.length) return [];
    const memberships = await db
      .selectFrom("campaign_creators")
      .select(["campaign_id", "status"])
      .where("creator_id", "=", creatorId)
      .where(
        "campaign_id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
    const statusById = new Map(memberships.map((m) => [m.campaign_id, m.status]));
    return (await toCampaigns(rows, { members: false })).map(({ creators: _, ...c }) => ({ ...c, membership: statusById.get(c.id) ?? null }));
  }

  async function membership(campaignId: string, creatorId: string): Promise<MembershipStatus | null> {
    const m = await db.selectFrom("campaign_creators").select("status").where("campaign_id", "=", campaignId).where("creator_id", "=", creatorId).executeTakeFirst();
    return m?.status ?? null;
  }

  async function resolveHandles(handles: string[]): Promise<Result<{ creatorIds: string[] }>> {
    const found = await creators.byHandles(handles);
    const known = new Set(found.map((c) => c.handle.toLowerCase()));
    const unknown = handles.filter((h) => !known.has(h.toLowerCase()));
    if (unknown.length) return fail("validation_failed", `No creator with the handle ${unknown.map((h) => `@${h}`).join(", ")}.`);
    return { ok: true, creatorIds: found.map((c) => c.id) };
  }

  /** The checks a creator's campaign show passes at scheduling and at every edit. */
  async function checkShow(userId: string, campaignId: string, input: CreatorShowInput): Promise<Result<{ campaign: CampaignRow }>> {
    const creator = await creators.byUser(userId);
    if (!creator) return fail("creator_profile_required");
    const c = await row(campaignId);
    if (!c) return fail("not_found", "No such campaign.");
    if ((await membership(c.id, creator.id)) !== "accepted") return fail("campaign_not_joined", "Join the campaign before you schedule a show for it.");
    if (statusOf(c) === "ended") return fail("campaign_ended");
    const at = Date.parse(input.scheduledAt);
    if (at < c.starts_at || at >= c.ends_at) return fail("validation_failed", `Schedule the show within the campaign's period (${iso(c.starts_at)} to ${iso(c.ends_at)}).`);
    const inCampaign = new Set((await db.selectFrom("campaign_products").select("product_id").where("campaign_id", "=", c.id).execute()).map((p) => p.product_id));
    const outside = [...new Set(input.productIds)].filter((id) => !inCampaign.has(id));
    if (outside.length) return fail("campaign_not_joined", `Not part of this campaign: ${outside.join(", ")}. A show may feature only the products of the campaign it is for.`);
    return { ok: true, campaign: c };
  }

  const self: Campaigns = {
    async create(merchantId, actorId, input) {
      const startsAt = Date.parse(input.startsAt);
      const endsAt = Date.parse(input.endsAt);
      if (endsAt <= now()) return fail("validation_failed", "The campaign must end in the future.");
      const ids = input.products.map((p) => p.productId);
      const products = await catalog.getMany(ids);
      if (products.length !== ids.length || products.some((p) => p.merchantId !== merchantId)) return fail("validation_failed", "Every product of a campaign must be one of yours.");
      if (products.some((p) => p.status !== "active")) return fail("validation_failed", "Archived products cannot be part of a campaign.");
      const foreign = products.filter((p) => p.currency !== input.currency);
      if (foreign.length) return fail("currency_mismatch", `The campaign is in ${input.currency}; ${foreign.map((p) => `"${p.title}" is in ${p.currency}`).join(", ")}.`);
      const invited = await resolveHandles(input.invitedHandles);
      if (!invited.ok) return invited;

      const id = newId("cmp");
      const at = now();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto("campaigns")
          .values({ id, merchant_id: merchantId, name: input.name, currency: input.currency, commission_bps: input.commissionBps, audience: input.audience, starts_at: startsAt, ends_at: endsAt, created_by: actorId, created_at: at })
          .execute();
        await tx
          .insertInto("campaign_products")
          .values(input.products.map((p, position) => ({ campaign_id: id, product_id: p.productId, commission_bps: p.commissionBps, position })))
          .execute();
        if (invited.creatorIds.length)
          await tx
            .insertInto("campaign_creators")
            .values(invited.creatorIds.map((creator_id) => ({ campaign_id: id, creator_id, status: "invited" as const, invited_at: at, responded_at: null })))
            .execute();
      });
      return { ok: true, campaign: (await self.getForMerchant(merchantId, id))! };
    },

    async listForMerchant(merchantId) {
      const rows = await rowsQuery().where("campaigns.merchant_id", "=", merchantId).orderBy("campaigns.created_at", "desc").orderBy("campaigns.id", "desc").limit(500).execute();
      return toCampaigns(rows, { members: true });
    },

    async getForMerchant(merchantId, campaignId) {
      const r = await row(campaignId);
      // Another brand's campaign is answered exactly like a missing one.
      if (!r || r.merchant_id !== merchantId) return null;
      return (await toCampaigns([r], { members: true }))[0]!;
    },

    async invite(merchantId, campaignId, handles) {
      const r = await row(campaignId);
      if (!r || r.merchant_id !== merchantId) return fail("not_found", "No such campaign.");
      if (statusOf(r) === "ended") return fail("campaign_ended");
      const invited = await resolveHandles(handles);
      if (!invited.ok) return invited;
      const at = now();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto("campaign_creators")
          .values(invited.creatorIds.map((creator_id) => ({ campaign_id: campaignId, creator_id, status: "invited" as const, invited_at: at, responded_at: null })))
          .onConflict((oc) => oc.columns(["campaign_id", "creator_id"]).doNothing())
          .execute();
        // Asking again someone who declined is a new invitation; members who accepted stay accepted.
        await tx
          .updateTable("campaign_creators")
          .set({ status: "invited", invited_at: at, responded_at: null })
          .where("campaign_id", "=", campaignId)
          .where("creator_id", "in", invited.creatorIds)
          .where("status", "=", "declined")
          .execute();
      });
      return { ok: true, campaign: (await self.getForMerchant(merchantId, campaignId))! };
    },

    async listForCreator(userId) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const rows = await rowsQuery()
        .where((eb) =>
          eb.or([
            eb("campaigns.id", "in", eb.selectFrom("campaign_creators").select("campaign_id").where("creator_id", "=", creator.id)),
            eb.and([eb("campaigns.audience", "=", "open"), eb("campaigns.ends_at", ">", now())]),
          ]),
        )
        .orderBy("campaigns.created_at", "desc")
        .orderBy("campaigns.id", "desc")
        .limit(500)
        .execute();
      return { ok: true, items: await forCreator(rows, creator.id) };
    },

    async getForCreator(userId, campaignId) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const r = await row(campaignId);
      // An invitation-only campaign is invisible to creators it did not invite.
      if (!r || (r.audience !== "open" && !(await membership(campaignId, creator.id)))) return fail("not_found", "No such campaign.");
      return { ok: true, campaign: (await forCreator([r], creator.id))[0]! };
    },

    async respond(userId, campaignId, answer) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const r = await row(campaignId);
      const current = r ? await membership(campaignId, creator.id) : null;
      if (!r || (r.audience !== "open" && !current)) return fail("not_found", "No such campaign.");
      if (statusOf(r) === "ended") return fail("campaign_ended");
      const at = now();
      if (answer === "accept") {
        if (current === "accepted") return self.getForCreator(userId, campaignId);
        if (current) {
          await db.updateTable("campaign_creators").set({ status: "accepted", responded_at: at }).where("campaign_id", "=", campaignId).where("creator_id", "=", creator.id).execute();
        } else {
          // Joining an open campaign uninvited.
          await db
            .insertInto("campaign_creators")
            .values({ campaign_id: campaignId, creator_id: creator.id, status: "accepted", invited_at: null, responded_at: at })
            .onConflict((oc) => oc.columns(["campaign_id", "creator_id"]).doUpdateSet({ status: "accepted", responded_at: at }))
            .execute();
        }
      } else {
        if (!current) return fail("not_found", "You have no invitation to this campaign.");
        if (current === "accepted") return fail("conflict", "You have already accepted this campaign.");
        if (current === "invited")
          await db
            .updateTable("campaign_creators")
            .set({ status: "declined", responded_at: at })
            .where("campaign_id", "=", campaignId)
            .where("creator_id", "=", creator.id)
            .where("status", "=", "invited")
            .execute();
      }
      return self.getForCreator(userId, campaignId);
    },

    async scheduleShow(userId, input) {
      const checked = await checkShow(userId, input.campaignId, input);
      if (!checked.ok) return checked;
      const { campaignId: _, ...fields } = input;
      return shows.createForCampaign({ merchantId: checked.campaign.merchant_id, hostUserId: userId, campaignId: checked.campaign.id, input: fields });
    },

    async updateShow(userId, showId, input) {
      const link = await shows.campaignOf(showId);
      // Only its creator edits a campaign show; to anyone else it does not exist.
      if (!link || link.hostUserId !== userId) return fail("not_found", "No such show.");
      const checked = await checkShow(userId, link.campaignId, input);
      if (!checked.ok) return checked;
      return shows.updateForCampaign(showId, input);
    },

    async showcaseAllowed(campaignId, hostUserId, productId) {
      const [c, creator] = await Promise.all([row(campaignId), creators.byUser(hostUserId)]);
      if (!c || !creator || (await membership(campaignId, creator.id)) !== "accepted") return fail("campaign_not_joined", "The host has not joined the campaign of this show.");
      if (statusOf(c) === "ended") return fail("campaign_ended", "The campaign of this show has ended: its products can no longer be showcased.");
      const inCampaign = await db.selectFrom("campaign_products").select("product_id").where("campaign_id", "=", campaignId).where("product_id", "=", productId).executeTakeFirst();
      if (!inCampaign) return fail("campaign_not_joined", "This product is not part of the show's campaign.");
      return { ok: true };
    },

    async attribution(campaignId, hostUserId, at) {
      const [c, creator] = await Promise.all([row(campaignId), creators.byUser(hostUserId)]);
      if (!c || !creator || statusOf(c, at) !== "running") return null;
      if ((await membership(campaignId, creator.id)) !== "accepted") return null;
      const products = await db.selectFrom("campaign_products").select(["product_id", "commission_bps"]).where("campaign_id", "=", campaignId).execute();
      const rates = new Map(products.map((p) => [p.product_id, p.commission_bps ?? c.commission_bps]));
      return { campaignId: c.id, merchantId: c.merchant_id, currency: c.currency, creatorId: creator.id, rateFor: (productId) => rates.get(productId) ?? null };
    },
  };
  return self;
}
