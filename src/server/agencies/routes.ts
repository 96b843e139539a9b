import { z } from "zod";
import { Id, Ok } from "../../shared/contracts/common.ts";
import {
  AddStaffBody,
  AgencyEarnings,
  AgencyInput,
  AgencyInvitation,
  AgencyStatement,
  CreatorAgencyView,
  InviteCreatorBody,
  MyAgency,
  RosterCreator,
  RosterDashboard,
  RosterEntry,
  RosterQuery,
  SetShareBody,
} from "../../shared/contracts/agencies.ts";
import { StatementQuery } from "../../shared/contracts/commissions.ts";
import { LiveAnalytics } from "../../shared/contracts/analytics.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Analytics } from "../analytics/service.ts";
import type { Commissions } from "../commissions/service.ts";
import { statementCsv } from "../commissions/statement-csv.ts";
import type { Agencies, StaffSeat } from "./service.ts";
import { sendLiveStream } from "../analytics/live-stream.ts";

const tags = ["agencies"];
const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;
const CreatorParams = z.object({ creatorId: Id });
const ShowParams = z.object({ showId: Id });

/**
 * The agency's side (its staff only; everything is scoped to the signed-in user's agency, there is no
 * agency id in the URLs):
 *   GET|POST /api/v1/me/agency                          one's agency (404 agency_not_found) | create one
 *   POST /api/v1/agency/staff, DELETE …/staff/:userId   the owner adds or removes staff
 *   POST /api/v1/agency/invitations, DELETE …/:id       invite a creator at a share | revoke
 *   GET  /api/v1/agency/roster[/:creatorId]?from&to     the roster dashboard (this period and the previous)
 *   PUT  /api/v1/agency/roster/:creatorId/share         a new share, for sales from now on
 *   DELETE /api/v1/agency/roster/:creatorId             take a creator off the roster
 *   GET  /api/v1/agency/earnings[/statement]            the agency's ledger balances and statements
 *   GET  /api/v1/agency/shows/:showId/live[/stream]     live figures of a roster creator's show
 * The creator's side:
 *   GET  /api/v1/creator/agency                         its agency and pending invitations
 *   POST /api/v1/creator/agency-invitations/:id/accept|decline
 *   POST /api/v1/creator/agency/leave
 */
export function agenciesRoutes(app: Http, deps: { agencies: Agencies; commissions: Pick<Commissions, "balancesOf" | "statementOf">; analytics: Pick<Analytics, "live" | "watch">; holdDays: number }) {
  const { agencies, commissions, analytics } = deps;

  async function staffSeat(userId: string): Promise<StaffSeat> {
    const seat = await agencies.seat(userId);
    if (!seat) throw new AppError("not_agency_member", "Create an agency, or ask its owner to add you, first.");
    return seat;
  }

  function period(q: { from?: string; to?: string }) {
    const to = q.to ? Date.parse(q.to) : Date.now();
    const from = q.from ? Date.parse(q.from) : to - 30 * DAY_MS;
    if (!(from < to)) throw new AppError("validation_failed", "`from` must be before `to`.", [{ path: "querystring.from", message: "must be before to" }]);
    if (to - from > MAX_RANGE_DAYS * DAY_MS) throw new AppError("validation_failed", `A period covers at most ${MAX_RANGE_DAYS} days.`, [{ path: "querystring.to", message: "range too long" }]);
    return { from, to };
  }

  app.get("/api/v1/me/agency", { schema: { tags, summary: "The agency you own or staff", response: { 200: MyAgency } } }, async (req) => {
    const agency = await agencies.mine(requireUser(req).id);
    if (!agency) throw new AppError("agency_not_found");
    return agency;
  });

  app.post("/api/v1/me/agency", { schema: { tags, summary: "Create an agency: you become its owner", body: AgencyInput, response: { 201: MyAgency } } }, async (req, reply) => {
    const { agency } = unwrap(await agencies.create(requireUser(req).id, req.body));
    return reply.status(201).send(agency);
  });

  app.post("/api/v1/agency/staff", { schema: { tags, summary: "Add a user (by e-mail) to your agency's staff: owner only", body: AddStaffBody, response: { 200: MyAgency } } }, async (req) => {
    return unwrap(await agencies.addStaff(requireUser(req).id, req.body.email)).agency;
  });

  app.delete("/api/v1/agency/staff/:userId", { schema: { tags, params: z.object({ userId: Id }), response: { 200: MyAgency } } }, async (req) => {
    return unwrap(await agencies.removeStaff(requireUser(req).id, req.params.userId)).agency;
  });

  app.post("/api/v1/agency/invitations", { schema: { tags, summary: "Invite a creator to your roster at a share of its commission", body: InviteCreatorBody, response: { 201: AgencyInvitation } } }, async (req, reply) => {
    const { invitation } = unwrap(await agencies.invite(requireUser(req).id, req.body.handle, req.body.shareBps));
    return reply.status(201).send(invitation);
  });

  app.delete("/api/v1/agency/invitations/:invitationId", { schema: { tags, summary: "Revoke a pending invitation", params: z.object({ invitationId: Id }), response: { 200: AgencyInvitation } } }, async (req) => {
    return unwrap(await agencies.revokeInvitation(requireUser(req).id, req.params.invitationId)).invitation;
  });

  app.get(
    "/api/v1/agency/roster",
    { schema: { tags, summary: "Your roster: who is live, upcoming shows, GMV, orders and commission per creator and in total, this period and the previous", querystring: RosterQuery, response: { 200: RosterDashboard } } },
    async (req) => {
      return unwrap(await agencies.roster(requireUser(req).id, period(req.query))).dashboard;
    },
  );

  app.get("/api/v1/agency/roster/:creatorId", { schema: { tags, summary: "One roster creator's figures", params: CreatorParams, querystring: RosterQuery, response: { 200: RosterCreator } } }, async (req) => {
    const { dashboard } = unwrap(await agencies.roster(requireUser(req).id, { ...period(req.query), creatorId: req.params.creatorId }));
    return dashboard.creators[0]!;
  });

  app.put("/api/v1/agency/roster/:creatorId/share", { schema: { tags, summary: "Change a roster creator's share: applies to sales from now on", params: CreatorParams, body: SetShareBody, response: { 200: RosterEntry } } }, async (req) => {
    return unwrap(await agencies.setShare(requireUser(req).id, req.params.creatorId, req.body.shareBps)).entry;
  });

  app.delete("/api/v1/agency/roster/:creatorId", { schema: { tags, summary: "Take a creator off your roster", params: CreatorParams, response: { 200: Ok } } }, async (req) => {
    unwrap(await agencies.remove(requireUser(req).id, req.params.creatorId));
    return { ok: true as const };
  });

  app.get("/api/v1/agency/earnings", { schema: { tags, summary: "Your agency's commission balances per currency: pending and available", response: { 200: AgencyEarnings } } }, async (req) => {
    const { agency } = await staffSeat(requireUser(req).id);
    return { agencyId: agency.id, holdDays: deps.holdDays, balances: await commissions.balancesOf("agency", agency.id) };
  });

  app.get(
    "/api/v1/agency/earnings/statement",
    { schema: { tags, summary: "Your agency's ledger entries made in [from, to), with totals per currency", description: "format=csv answers text/csv, one row per entry.", querystring: StatementQuery } },
    async (req, reply) => {
      const { agency } = await staffSeat(requireUser(req).id);
      const { from, to, format } = req.query;
      const statement = { agencyId: agency.id, ...(await commissions.statementOf("agency", agency.id, Date.parse(from), Date.parse(to))) };
      if (format === "csv") {
        const name = `vetrina-agency-statement-${statement.from.slice(0, 10)}-${statement.to.slice(0, 10)}.csv`;
        return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).send(statementCsv(statement));
      }
      return AgencyStatement.parse(statement);
    },
  );

  // A roster creator's show, live: the analytics dashboard's figures and stream, for the agency's staff.
  app.get("/api/v1/agency/shows/:showId/live", { schema: { tags, params: ShowParams, response: { 200: LiveAnalytics } } }, async (req) => {
    const user = requireUser(req);
    unwrap(await agencies.canWatchShow(user.id, req.params.showId));
    return unwrap(await analytics.live(user, req.params.showId)).live;
  });

  app.get(
    "/api/v1/agency/shows/:showId/live/stream",
    { schema: { tags, params: ShowParams, description: "text/event-stream: `analytics.live` events, each a LiveAnalytics (as /api/v1/analytics/shows/:showId/live/stream)" } },
    async (req, reply) => {
      const user = requireUser(req);
      unwrap(await agencies.canWatchShow(user.id, req.params.showId));
      await sendLiveStream(req, reply, (w) => analytics.watch(user, req.params.showId, w));
    },
  );

  // The creator's side.
  app.get("/api/v1/creator/agency", { schema: { tags, summary: "Your agency and the agency invitations waiting for your answer", response: { 200: CreatorAgencyView } } }, async (req) => {
    return unwrap(await agencies.creatorView(requireUser(req).id)).view;
  });

  for (const answer of ["accept", "decline"] as const) {
    app.post(
      `/api/v1/creator/agency-invitations/:invitationId/${answer}`,
      { schema: { tags, summary: answer === "accept" ? "Join the agency's roster (one agency at a time)" : "Decline the invitation", params: z.object({ invitationId: Id }), response: { 200: CreatorAgencyView } } },
      async (req) => unwrap(await agencies.respond(requireUser(req).id, req.params.invitationId, answer)).view,
    );
  }

  app.post("/api/v1/creator/agency/leave", { schema: { tags, summary: "Leave your agency: it takes no share of later sales", response: { 200: CreatorAgencyView } } }, async (req) => {
    return unwrap(await agencies.leave(requireUser(req).id)).view;
  });
}
