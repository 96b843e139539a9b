import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { Campaign, CampaignInput, CampaignShowInput, CreatorCampaign, CreatorShowInput, InviteBody } from "../../shared/contracts/campaigns.ts";
import { Show, ShowSummary } from "../../shared/contracts/shows.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireMerchant, requireUser } from "../accounts/guard.ts";
import type { Shows } from "../shows/service.ts";
import type { Campaigns } from "./service.ts";

const CampaignParams = z.object({ campaignId: Id });

export function campaignsRoutes(app: Http, deps: { campaigns: Campaigns; shows: Shows }) {
  const { campaigns } = deps;

  // The brand's side: its own campaigns only.
  app.post("/api/v1/merchant/campaigns", { schema: { tags: ["campaigns"], body: CampaignInput, response: { 201: Campaign } } }, async (req, reply) => {
    const m = requireMerchant(req);
    const { campaign } = unwrap(await campaigns.create(m.merchantId, m.id, req.body));
    return reply.status(201).send(campaign);
  });

  app.get("/api/v1/merchant/campaigns", { schema: { tags: ["campaigns"], response: { 200: z.object({ items: z.array(Campaign) }) } } }, async (req) => {
    const m = requireMerchant(req);
    return { items: await campaigns.listForMerchant(m.merchantId) };
  });

  app.get("/api/v1/merchant/campaigns/:campaignId", { schema: { tags: ["campaigns"], params: CampaignParams, response: { 200: Campaign } } }, async (req) => {
    const m = requireMerchant(req);
    const campaign = await campaigns.getForMerchant(m.merchantId, req.params.campaignId);
    if (!campaign) throw new AppError("not_found", "No such campaign.");
    return campaign;
  });

  app.post("/api/v1/merchant/campaigns/:campaignId/invitations", { schema: { tags: ["campaigns"], params: CampaignParams, body: InviteBody, response: { 200: Campaign } } }, async (req) => {
    const m = requireMerchant(req);
    return unwrap(await campaigns.invite(m.merchantId, req.params.campaignId, req.body.handles)).campaign;
  });

  // The creator's side.
  app.get("/api/v1/creator/campaigns", { schema: { tags: ["campaigns"], summary: "Campaigns you are invited to or in, and open campaigns you may join", response: { 200: z.object({ items: z.array(CreatorCampaign) }) } } }, async (req) => {
    const user = requireUser(req);
    return { items: unwrap(await campaigns.listForCreator(user.id)).items };
  });

  app.get("/api/v1/creator/campaigns/:campaignId", { schema: { tags: ["campaigns"], params: CampaignParams, response: { 200: CreatorCampaign } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await campaigns.getForCreator(user.id, req.params.campaignId)).campaign;
  });

  for (const [action, answer] of [["accept", "accept"], ["join", "accept"], ["decline", "decline"]] as const) {
    app.post(
      `/api/v1/creator/campaigns/:campaignId/${action}`,
      { schema: { tags: ["campaigns"], summary: action === "join" ? "Join an open campaign (same as accept)" : `${action[0]!.toUpperCase()}${action.slice(1)} an invitation`, params: CampaignParams, response: { 200: CreatorCampaign } } },
      async (req) => {
        const user = requireUser(req);
        return unwrap(await campaigns.respond(user.id, req.params.campaignId, answer)).campaign;
      },
    );
  }

  app.get("/api/v1/creator/shows", { schema: { tags: ["campaigns"], summary: "The shows you host", response: { 200: z.object({ items: z.array(ShowSummary) }) } } }, async (req) => {
    const user = requireUser(req);
    return { items: await deps.shows.list({ hostId: user.id, limit: 500 }) };
  });

  app.post("/api/v1/creator/shows", { schema: { tags: ["campaigns"], summary: "Schedule a show on your channel featuring products of a campaign you joined", body: CampaignShowInput, response: { 201: Show } } }, async (req, reply) => {
    const user = requireUser(req);
    const { show } = unwrap(await campaigns.scheduleShow(user.id, req.body));
    return reply.status(201).send(show);
  });

  app.put("/api/v1/creator/shows/:showId", { schema: { tags: ["campaigns"], params: z.object({ showId: Id }), body: CreatorShowInput, response: { 200: Show } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await campaigns.updateShow(user.id, req.params.showId, req.body)).show;
  });
}
