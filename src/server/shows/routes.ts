import { z } from "zod";
import { Id, Ok } from "../../shared/contracts/common.ts";
import { HostOption, Show, ShowCounters, ShowcaseBody, ShowInput, ShowStatus, ShowSummary, ShowTimeline, StudioInfo } from "../../shared/contracts/shows.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireMerchant, requireRole, requireUser } from "../accounts/guard.ts";
import type { Accounts } from "../accounts/service.ts";
import type { Shows } from "./service.ts";
import type { ReplayClock } from "../media/replay-clock.ts";

const ShowParams = z.object({ showId: Id });
const List = z.object({ items: z.array(ShowSummary) });

export interface ShowsRouteDeps {
  shows: Shows;
  accounts: Accounts;
  counters(showId: string): Promise<ShowCounters>;
  /** Ends the show: stops the ingest of its publisher, then marks it ended. */
  endShow(showId: string): Promise<void>;
  /** the clock of the show's replay (null: none yet), for the timeline's offsets */
  replayClock?(showId: string): Promise<ReplayClock | null>;
}

export function showsRoutes(app: Http, deps: ShowsRouteDeps) {
  const { shows } = deps;

  const hostOf = async (req: Parameters<typeof requireUser>[0], showId: string) => {
    const user = requireUser(req);
    unwrap(await shows.authorizeHost(user, showId));
    return user;
  };
  /** Who may see or rotate the stream key: as hostOf, but a creator's campaign show goes out on the creator's channel only. */
  const publisherOf = async (req: Parameters<typeof requireUser>[0], showId: string) => {
    const user = requireUser(req);
    const { show } = unwrap(await shows.authorizeHost(user, showId));
    if (show.campaign_id && show.host_user_id !== user.id && user.role !== "admin") throw new AppError("forbidden", "Only its creator streams a creator's campaign show.");
    return user;
  };

  app.get("/api/v1/shows", { schema: { tags: ["shows"], querystring: z.object({ status: ShowStatus.optional() }), response: { 200: List } } }, async (req) => ({
    items: await shows.list({ status: req.query.status, limit: 100 }),
  }));

  app.get("/api/v1/shows/:showId", { schema: { tags: ["shows"], params: ShowParams, response: { 200: Show } } }, async (req) => {
    const show = await shows.get(req.params.showId);
    if (!show) throw new AppError("not_found", "No such show.");
    return show;
  });

  app.get("/api/v1/products/:productId/shows", { schema: { tags: ["shows"], summary: "Shows selling this product: live first, then replays and upcoming ones", params: z.object({ productId: Id }), response: { 200: List } } }, async (req) => ({
    items: await shows.featuring(req.params.productId, 20),
  }));

  app.get("/api/v1/shows/:showId/timeline", { schema: { tags: ["shows"], summary: "The showcase timeline: which product was on screen from when (epoch ms, the stream's PROGRAM-DATE-TIME clock)", params: ShowParams, response: { 200: ShowTimeline } } }, async (req) => {
    const items = await shows.timeline(req.params.showId);
    if (!items) throw new AppError("not_found", "No such show.");
    // A replay's chapters: where it reaches each showcase.
    const clock = items.length ? await deps.replayClock?.(req.params.showId) : null;
    return { items: clock ? items.map((e) => ({ ...e, offsetMs: clock.offsetOf(e.at) })) : items };
  });

  app.get("/api/v1/merchant/shows", { schema: { tags: ["shows"], response: { 200: List } } }, async (req) => {
    const m = requireMerchant(req);
    return { items: await shows.list({ merchantId: m.merchantId, limit: 500 }) };
  });

  app.get("/api/v1/merchant/hosts", { schema: { tags: ["shows"], response: { 200: z.object({ items: z.array(HostOption) }) } } }, async (req) => {
    const m = requireMerchant(req);
    return { items: await deps.accounts.listHostsFor(m.merchantId) };
  });

  app.post("/api/v1/merchant/shows", { schema: { tags: ["shows"], body: ShowInput, response: { 201: Show } } }, async (req, reply) => {
    const m = requireMerchant(req);
    const { show } = unwrap(await shows.create(m.merchantId, req.body));
    return reply.status(201).send(show);
  });

  app.put("/api/v1/merchant/shows/:showId", { schema: { tags: ["shows"], params: ShowParams, body: ShowInput, response: { 200: Show } } }, async (req) => {
    const m = requireMerchant(req);
    return unwrap(await shows.update(m.merchantId, req.params.showId, req.body)).show;
  });

  app.get("/api/v1/host/shows", { schema: { tags: ["shows"], response: { 200: List } } }, async (req) => {
    const user = requireRole(req, "host", "merchant", "admin");
    const items = user.merchantId ? await shows.list({ merchantId: user.merchantId, limit: 500 }) : await shows.list({ hostId: user.id, limit: 500 });
    return { items };
  });

  app.get("/api/v1/shows/:showId/studio", { schema: { tags: ["studio"], params: ShowParams, response: { 200: StudioInfo } } }, async (req) => {
    await publisherOf(req, req.params.showId);
    return (await shows.studio(req.params.showId))!;
  });

  app.post("/api/v1/shows/:showId/stream-key", { schema: { tags: ["studio"], params: ShowParams, response: { 200: StudioInfo } } }, async (req) => {
    await publisherOf(req, req.params.showId);
    return (await shows.rotateStreamKey(req.params.showId))!;
  });

  app.post("/api/v1/shows/:showId/showcase", { schema: { tags: ["studio"], params: ShowParams, body: ShowcaseBody, response: { 200: Ok } } }, async (req) => {
    await hostOf(req, req.params.showId);
    unwrap(await shows.showcase(req.params.showId, req.body.productId));
    return { ok: true as const };
  });

  app.post("/api/v1/shows/:showId/end", { schema: { tags: ["studio"], params: ShowParams, response: { 200: Show } } }, async (req) => {
    await hostOf(req, req.params.showId);
    await deps.endShow(req.params.showId);
    return (await shows.get(req.params.showId))!;
  });

  app.get("/api/v1/shows/:showId/counters", { schema: { tags: ["studio"], params: ShowParams, response: { 200: ShowCounters } } }, async (req) => {
    await hostOf(req, req.params.showId);
    return deps.counters(req.params.showId);
  });
}
