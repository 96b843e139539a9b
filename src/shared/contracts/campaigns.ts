import { z } from "zod";
import { Currency, Id, IsoInstant } from "./common.ts";
import { ShowInput } from "./shows.ts";
import { HandleRef } from "./creators.ts";

/** A commission rate in basis points: 100 = 1 %, 8000 = 80 % (the allowed range). */
export const CommissionBps = z.number().int().min(100).max(8000);

/** Invited: only the creators the brand invites may join. Open: any creator may join. */
export const CampaignAudience = z.enum(["invited", "open"]);
export type CampaignAudience = z.infer<typeof CampaignAudience>;

/** Derived from the period and the clock, never stored. */
export const CampaignStatus = z.enum(["scheduled", "running", "ended"]);
export type CampaignStatus = z.infer<typeof CampaignStatus>;

export const MembershipStatus = z.enum(["invited", "accepted", "declined"]);
export type MembershipStatus = z.infer<typeof MembershipStatus>;

export const CampaignProductInput = z.object({
  productId: Id,
  /** this product's own rate; null: the campaign's rate */
  commissionBps: CommissionBps.nullable().default(null),
});

export const CampaignInput = z
  .object({
    name: z.string().trim().min(1).max(120),
    /** the one currency of the campaign: every product in it is priced in it, commissions are paid in it */
    currency: Currency,
    commissionBps: CommissionBps,
    products: z
      .array(CampaignProductInput)
      .min(1)
      .max(200)
      .refine((ps) => new Set(ps.map((p) => p.productId)).size === ps.length, "each product once"),
    startsAt: IsoInstant,
    endsAt: IsoInstant,
    audience: CampaignAudience,
    /** handles of the creators to invite (an open campaign may invite some too) */
    invitedHandles: z.array(HandleRef).max(100).default([]),
  })
  .refine((c) => Date.parse(c.endsAt) > Date.parse(c.startsAt), { message: "the campaign must end after it starts", path: ["endsAt"] });
export type CampaignInput = z.output<typeof CampaignInput>;

export const InviteBody = z.object({ handles: z.array(HandleRef).min(1).max(100) });

export const CampaignProduct = z.object({
  productId: Id,
  title: z.string(),
  image: z.string().nullable(),
  /** the rate that applies to this product */
  commissionBps: CommissionBps,
  /** true when the product has its own rate */
  overridden: z.boolean(),
});

export const CampaignMember = z.object({
  creatorId: Id,
  handle: z.string(),
  displayName: z.string(),
  status: MembershipStatus,
  invitedAt: IsoInstant.nullable(),
  respondedAt: IsoInstant.nullable(),
});

const CampaignBase = z.object({
  id: Id,
  merchantId: Id,
  merchantName: z.string(),
  name: z.string(),
  currency: Currency,
  commissionBps: CommissionBps,
  products: z.array(CampaignProduct),
  startsAt: IsoInstant,
  endsAt: IsoInstant,
  audience: CampaignAudience,
  status: CampaignStatus,
  createdAt: IsoInstant,
});

/** A campaign as its brand sees it, with every invited and joined creator. */
export const Campaign = CampaignBase.extend({ creators: z.array(CampaignMember) });
export type Campaign = z.infer<typeof Campaign>;

/** A campaign as a creator sees it: its own membership only. */
export const CreatorCampaign = CampaignBase.extend({ membership: MembershipStatus.nullable() });
export type CreatorCampaign = z.infer<typeof CreatorCampaign>;

/** A show a creator schedules on its own channel, featuring products of one campaign it has joined. */
export const CreatorShowInput = ShowInput.omit({ hostId: true }).extend({ productIds: z.array(Id).min(1).max(200) });
export type CreatorShowInput = z.output<typeof CreatorShowInput>;
export const CampaignShowInput = CreatorShowInput.extend({ campaignId: Id });
export type CampaignShowInput = z.output<typeof CampaignShowInput>;
