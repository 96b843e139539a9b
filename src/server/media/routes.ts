import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import type { Http } from "../platform/http.ts";
import type { Ingest } from "./ingest.ts";
import { answerShowHls, type Variant } from "./origin.ts";
import { answerReplay } from "./replay.ts";
import type { MediaStorage } from "./storage.ts";

const HlsParams = z.object({ showId: z.string(), file: z.string() });
const WhipResourceParams = z.object({ resourceId: z.string().min(1).max(64) });

/** WHIP endpoint (RFC 9725): OBS's "WHIP" service and the studio's "Go live from this browser". */
export const WHIP_PATH = "/api/v1/whip";
/** an SDP offer is a few kB; anything this large is not one */
const SDP_BODY_LIMIT = 64 * 1024;

export interface MediaRoutesDeps {
  /** The live (or just ended) show's LL-HLS stream and its renditions; null when the show is not live. */
  variants(showId: string): Variant[] | null;
  /** the WHIP endpoint is served when given */
  whip?: Pick<Ingest, "publishWhip" | "endWhip">;
  /** where recordings are stored: replays are served from it when given */
  replays?: MediaStorage;
}

/**
 * The Low-Latency HLS origin: the playlist (blocking reload, delta updates) and the init segment,
 * parts and segments of each live show, from memory. What to answer is decided in origin.ts;
 * unknown names and shows that are not live are a problem+json 404.
 * The replays of ended shows, from storage. And the WHIP ingest endpoint, which hands the offer to the ingest.
 */
export function mediaRoutes(app: Http, deps: MediaRoutesDeps) {
  app.get("/hls/:showId/:file", { schema: { tags: ["media"], params: HlsParams, hide: true } }, async (req, reply) => {
    const { showId, file } = req.params;
    // Players may be on another origin (an embed on the merchant's site); errors need it too.
    reply.header("access-control-allow-origin", "*");
    const answer = await answerShowHls(deps.variants(showId), file, req.query as Record<string, unknown>);
    if (!answer.ok) {
      if (answer.retryAfterS !== undefined) reply.header("retry-after", String(answer.retryAfterS));
      throw new AppError(answer.code, answer.message);
    }
    return reply.header("cache-control", answer.cacheControl).type(answer.contentType).send(answer.body);
  });

  const replays = deps.replays;
  if (replays) {
    // Replays: the VOD playlist and the recorded files (see replay.ts), with byte ranges.
    app.get("/replays/:showId/:file", { schema: { tags: ["media"], params: HlsParams, hide: true } }, async (req, reply) => {
      const { showId, file } = req.params;
      reply.header("access-control-allow-origin", "*").header("access-control-expose-headers", "Content-Length, Content-Range, Accept-Ranges");
      const answer = await answerReplay(replays, showId, file, req.headers.range);
      if (!answer.ok) {
        if ("code" in answer) throw new AppError(answer.code, answer.message);
        reply.header("content-range", `bytes */${answer.size}`);
        throw new AppError("range_not_satisfiable");
      }
      if (answer.acceptRanges) reply.header("accept-ranges", "bytes");
      if (answer.contentRange) reply.header("content-range", answer.contentRange);
      return reply.status(answer.status).header("cache-control", answer.cacheControl).header("content-length", answer.contentLength).type(answer.contentType).send(answer.body);
    });
  }

  const ingest = deps.whip;
  if (!ingest) return;
  app.register(async (instance) => {
    const whip = instance as unknown as Http;
    whip.addContentTypeParser(["application/sdp", "application/trickle-ice-sdpfrag"], { parseAs: "string", bodyLimit: SDP_BODY_LIMIT }, (_req, body, done) => done(null, body));
    // WHIP clients may run on another origin (a web encoder); they need Location and to send Authorization.
    whip.addHook("onRequest", async (_req, reply) => {
      reply.header("access-control-allow-origin", "*").header("access-control-expose-headers", "Location");
    });

    whip.options(WHIP_PATH, { schema: { hide: true } }, async (_req, reply) =>
      reply
        .status(204)
        .header("allow", "OPTIONS, POST")
        .header("accept-post", "application/sdp")
        .header("access-control-allow-methods", "OPTIONS, POST, DELETE, PATCH")
        .header("access-control-allow-headers", "Authorization, Content-Type, If-Match")
        .send(),
    );

    whip.post(WHIP_PATH, { schema: { tags: ["media"], summary: "WHIP: publish a show (SDP offer in, SDP answer out; Bearer = the show's stream key)" } }, async (req, reply) => {
      if (!req.headers["content-type"]?.toLowerCase().startsWith("application/sdp")) throw new AppError("unsupported_media_type", "Send the offer as application/sdp.");
      const key = bearer(req.headers.authorization);
      if (!key) {
        reply.header("www-authenticate", 'Bearer realm="whip"');
        throw new AppError("unauthenticated", "Send the show's stream key as a Bearer token.");
      }
      const r = await ingest.publishWhip(key, String(req.body ?? ""));
      if (!r.ok) {
        if (r.code === "invalid_stream_key") reply.header("www-authenticate", 'Bearer realm="whip", error="invalid_token"');
        if (r.code === "stream_unavailable") reply.header("retry-after", "5");
        throw new AppError(r.code, r.message);
      }
      return reply.status(201).header("location", `${WHIP_PATH}/${r.resourceId}`).type("application/sdp").send(r.answer);
    });

    whip.delete(`${WHIP_PATH}/:resourceId`, { schema: { tags: ["media"], summary: "WHIP: stop publishing", params: WhipResourceParams } }, async (req, reply) => {
      const key = bearer(req.headers.authorization);
      if (!key) throw new AppError("unauthenticated", "Send the show's stream key as a Bearer token.");
      const r = await ingest.endWhip(req.params.resourceId, key);
      if (r === "not_found") throw new AppError("not_found", "No such WHIP session (it may have ended already).");
      if (r === "forbidden") throw new AppError("forbidden", "That is not this session's stream key.");
      return reply.status(200).send();
    });

    // No trickle ICE and no ICE restart: the answer carries every candidate (RFC 9725 §4.3.1).
    whip.patch(`${WHIP_PATH}/:resourceId`, { schema: { hide: true, params: WhipResourceParams } }, async (_req, reply) => {
      reply.header("allow", "DELETE");
      throw new AppError("method_not_allowed", "Trickle ICE is not supported: send every candidate in the offer.");
    });
  });
}

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}
