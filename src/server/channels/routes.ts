import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { Channel, ChannelInput, ChannelNow, ChannelSources, ChannelSummary, type ChannelEvent } from "../../shared/contracts/channels.ts";
import type { Http } from "../platform/http.ts";
import type { EventBus } from "../platform/bus.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireMerchant } from "../accounts/guard.ts";
import { MEDIA_CONTENT_TYPE, PLAYLIST_CONTENT_TYPE } from "../media/llhls/playlist.ts";
import { IMMUTABLE } from "../media/origin.ts";
import { sendStoredObject } from "../media/storage-http.ts";
import { isValidStorageKey, type MediaStorage } from "../media/storage.ts";
import type { Channels } from "./service.ts";

const ChannelParams = z.object({ channelId: Id });
const tags = ["channels"];

export function channelsRoutes(app: Http, deps: { channels: Channels; storage: MediaStorage; bus: EventBus }) {
  const { channels } = deps;

  app.post("/api/v1/channels", { schema: { tags, summary: "Create a 24-hour channel (merchant staff); its schedule is compiled by a job", body: ChannelInput, response: { 201: Channel } } }, async (req, reply) => {
    const m = requireMerchant(req);
    return reply.status(201).send(unwrap(await channels.create(m.merchantId, req.body)).channel);
  });

  app.put("/api/v1/channels/:channelId", { schema: { tags, summary: "Edit a channel: name, cover, playlist, takeover shows (recompiled)", params: ChannelParams, body: ChannelInput, response: { 200: Channel } } }, async (req) => {
    const m = requireMerchant(req);
    return unwrap(await channels.update(m.merchantId, req.params.channelId, req.body)).channel;
  });

  app.get("/api/v1/merchant/channel-sources", { schema: { tags, summary: "The merchant's ready replays, published videos and upcoming shows, to build channels from", response: { 200: ChannelSources } } }, async (req) => {
    const m = requireMerchant(req);
    return channels.sources(m.merchantId);
  });

  app.get("/api/v1/merchants/:merchantId/channels", { schema: { tags, summary: "A merchant's channels", params: z.object({ merchantId: Id }), response: { 200: z.object({ items: z.array(ChannelSummary) }) } } }, async (req) => ({ items: await channels.listOfMerchant(req.params.merchantId) }));

  app.get("/api/v1/channels/:channelId", { schema: { tags, summary: "A channel with its schedule's cards", params: ChannelParams, response: { 200: Channel } } }, async (req) => {
    const c = await channels.get(req.params.channelId);
    if (!c) throw new AppError("not_found", "No such channel.");
    return c;
  });

  app.get("/api/v1/channels/:channelId/now", { schema: { tags, summary: "What the channel plays now, its product card, and when that changes", params: ChannelParams, response: { 200: ChannelNow } } }, async (req) => {
    const n = await channels.now(req.params.channelId);
    if (!n) throw new AppError("not_found", "No such channel.");
    return n;
  });

  /** Server-sent `channel.changed` events: a takeover, a hand-back, a new schedule on air. */
  app.get("/api/v1/channels/:channelId/events", { schema: { tags, params: ChannelParams, description: "text/event-stream of ChannelEvent" } }, async (req, reply) => {
    const { channelId } = req.params;
    if (!(await channels.get(channelId))) throw new AppError("not_found", "No such channel.");
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(": connected\n\n");
    const off = deps.bus.subscribe("channel.changed", (e) => {
      if (e.channelId !== channelId) return;
      const msg: ChannelEvent = { type: "channel.changed", channelId, reason: e.reason };
      res.write(`event: ${msg.type}\ndata: ${JSON.stringify(msg)}\n\n`);
    }, { scope: "cluster" }); // the takeover may happen on another node
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    req.raw.on("close", () => {
      clearInterval(keepAlive);
      off();
    });
  });

  // The live media playlist: computed from the schedule, the epoch and the clock on every request.
  app.get("/channels/:channelId/live.m3u8", { schema: { tags, params: ChannelParams, hide: true } }, async (req, reply) => {
    reply.header("access-control-allow-origin", "*");
    const body = await channels.livePlaylist(req.params.channelId);
    if (!body) throw new AppError("not_found", "No such channel, or nothing on air yet.");
    return reply.header("cache-control", "public, max-age=1").type(PLAYLIST_CONTENT_TYPE).send(body);
  });

  // A file of the schedule on air: the stored replay or video segment itself (the key is checked against the schedule).
  app.get("/channels/:channelId/media/*", { schema: { tags, params: ChannelParams.extend({ "*": z.string().max(600) }), hide: true } }, async (req, reply) => {
    reply.header("access-control-allow-origin", "*");
    const key = req.params["*"];
    if (!isValidStorageKey(key) || !(await channels.servesKey(req.params.channelId, key))) throw new AppError("not_found", "No such channel file.");
    return sendStoredObject(reply, deps.storage, key, req.headers.range, { cacheControl: IMMUTABLE, contentType: MEDIA_CONTENT_TYPE });
  });
}
