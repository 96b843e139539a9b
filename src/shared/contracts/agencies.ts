import { z } from "zod";
import { Id, IsoInstant } from "./common.ts";
import { Handle } from "./creators.ts";
import { EarningsBalance, StatementEntry, StatementTotals } from "./commissions.ts";
import { ShowSummary } from "./shows.ts";
// Signed integer minor units in one currency (a period's net or commission may be negative).
import { SignedMoney } from "./analytics.ts";

/**
 * An agency's share of a roster creator's commission, in basis points of that commission:
 * 0..5000 (at most half). The agency's cut of a line is floor(creator commission × share / 10 000).
 */
export const AgencyShareBps = z.number().int().min(0).max(5000);

export const AgencyInput = z.object({
  name: z.string().trim().min(1).max(80),
  /** unique among agencies, ignoring case; same rules as a creator handle */
  handle: Handle,
});
export type AgencyInput = z.output<typeof AgencyInput>;

export const AgencyStaffRole = z.enum(["owner", "staff"]);
export type AgencyStaffRole = z.infer<typeof AgencyStaffRole>;

export const AgencyStaffMember = z.object({
  userId: Id,
  displayName: z.string(),
  email: z.string(),
  role: AgencyStaffRole,
  addedAt: IsoInstant,
});
export type AgencyStaffMember = z.infer<typeof AgencyStaffMember>;

export const Agency = z.object({
  id: Id,
  name: z.string(),
  handle: z.string(),
  createdAt: IsoInstant,
});
export type Agency = z.infer<typeof Agency>;

/** The signed-in user's agency, as its staff see it. */
export const MyAgency = Agency.extend({
  /** the signed-in user's role in it */
  role: AgencyStaffRole,
  staff: z.array(AgencyStaffMember),
  rosterSize: z.number().int().min(0),
});
export type MyAgency = z.infer<typeof MyAgency>;

export const AddStaffBody = z.object({ email: z.string().trim().toLowerCase().email().max(254) });

export const AgencyInvitationStatus = z.enum(["pending", "accepted", "declined", "revoked"]);
export type AgencyInvitationStatus = z.infer<typeof AgencyInvitationStatus>;

export const InviteCreatorBody = z.object({
  /** the creator's handle (case-insensitive) */
  handle: z.string().trim().min(1).max(30).regex(/^[A-Za-z0-9_.]+$/, "invalid handle"),
  shareBps: AgencyShareBps,
});

export const AgencyInvitation = z.object({
  id: Id,
  agency: Agency,
  creatorId: Id,
  creatorHandle: z.string(),
  creatorName: z.string(),
  shareBps: AgencyShareBps,
  status: AgencyInvitationStatus,
  invitedAt: IsoInstant,
  respondedAt: IsoInstant.nullable(),
});
export type AgencyInvitation = z.infer<typeof AgencyInvitation>;

export const SetShareBody = z.object({ shareBps: AgencyShareBps });

/** A creator's current agency, as the creator sees it. */
export const CreatorAgencyMembership = z.object({
  agency: Agency,
  shareBps: AgencyShareBps,
  /** when this stint in the agency began */
  joinedAt: IsoInstant,
  /** when the share in force was set */
  shareSince: IsoInstant,
});
export type CreatorAgencyMembership = z.infer<typeof CreatorAgencyMembership>;

/** The creator's side: its agency (if any) and the invitations waiting for an answer. */
export const CreatorAgencyView = z.object({
  membership: CreatorAgencyMembership.nullable(),
  invitations: z.array(AgencyInvitation),
});
export type CreatorAgencyView = z.infer<typeof CreatorAgencyView>;


/**
 * A roster creator's sales in a period, counted only while the creator was on this agency's roster.
 * GMV and refunds as the analytics dashboards count them: an order's items at the time it was paid
 * (orders created in the period), refunds when the order was cancelled (in the period); net = gmv − refunded.
 * Commission: the ledger entries made in the period (accruals and reversals), the creator's and the agency's.
 */
export const RosterFigures = z.object({
  ordersPaid: z.number().int().min(0),
  ordersRefunded: z.number().int().min(0),
  gmv: z.array(SignedMoney),
  refunded: z.array(SignedMoney),
  net: z.array(SignedMoney),
  creatorCommission: z.array(SignedMoney),
  agencyCommission: z.array(SignedMoney),
});
export type RosterFigures = z.infer<typeof RosterFigures>;

export const RosterCreator = z.object({
  creatorId: Id,
  handle: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
  verified: z.boolean(),
  shareBps: AgencyShareBps,
  joinedAt: IsoInstant,
  /** the creator's shows live now */
  live: z.array(ShowSummary),
  /** the next scheduled shows, soonest first (at most 3) */
  upcoming: z.array(ShowSummary),
  current: RosterFigures,
  previous: RosterFigures,
});
export type RosterCreator = z.infer<typeof RosterCreator>;

export const Period = z.object({ from: IsoInstant, to: IsoInstant });

export const RosterDashboard = z.object({
  agency: Agency,
  period: Period,
  /** the period of equal length just before `period` */
  previousPeriod: Period,
  creators: z.array(RosterCreator),
  pendingInvitations: z.array(AgencyInvitation),
  totals: z.object({ current: RosterFigures, previous: RosterFigures }),
});
export type RosterDashboard = z.infer<typeof RosterDashboard>;

/** `from`/`to`: ISO instants; default the last 30 days up to now; at most 366 days. */
export const RosterQuery = z
  .object({
    from: IsoInstant.optional(),
    to: IsoInstant.optional(),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.to) > Date.parse(q.from), { message: "`to` must be after `from`", path: ["to"] });

export const AgencyEarnings = z.object({
  agencyId: Id,
  holdDays: z.number().int(),
  balances: z.array(EarningsBalance),
});
export type AgencyEarnings = z.infer<typeof AgencyEarnings>;

export const AgencyStatement = z.object({
  agencyId: Id,
  from: IsoInstant,
  to: IsoInstant,
  holdDays: z.number().int(),
  totals: z.array(StatementTotals),
  entries: z.array(StatementEntry),
});
export type AgencyStatement = z.infer<typeof AgencyStatement>;

/** A creator on the roster, without figures (what share changes answer). */
export const RosterEntry = z.object({
  creatorId: Id,
  handle: z.string(),
  displayName: z.string(),
  shareBps: AgencyShareBps,
  joinedAt: IsoInstant,
  /** when the share in force was set */
  shareSince: IsoInstant,
});
export type RosterEntry = z.infer<typeof RosterEntry>;
