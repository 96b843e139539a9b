/**
 * INGEST=external: the callbacks of an edge RTMP server (nginx with the rtmp module, see
 * docs/deployment.md and deploy/nginx/rtmp-edge.conf). nginx-rtmp POSTs
 * application/x-www-form-urlencoded bodies (`call`, `name` = the stream key, `app`, `addr`,
 * `clientid`, …) and only looks at the status: 2xx goes on, anything else (but 3xx) drops the
 * publisher. The routes are thin: the ingest decides.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import type { Http } from "../platform/http.ts";
import type { Ingest } from "./ingest.ts";

export const EDGE_CALLBACK_PREFIX = "/api/v1/ingest/nginx";

/**
 * What nginx-rtmp sends. `addr` (the publisher's address as the edge saw it) is logged, never trusted;
 * `clientid` is the edge's connection number, which ties on_publish_done/on_update to their on_publish.
 */
const NginxCallback = z.object({
  call: z.string().max(32),
  name: z.string().min(1).max(200),
  app: z.string().max(200).optional(),
  addr: z.string().max(200).optional(),
  clientid: z.string().regex(/^\d{1,20}$/).optional(),
});
const CallbackQuery = z.object({ secret: z.string().max(500).optional() });
/** nginx-rtmp's bodies are a few hundred bytes (plus the publisher's own query arguments). */
const CALLBACK_BODY_LIMIT = 8 * 1024;

export interface EdgeRoutesDeps {
  ingest: Pick<Ingest, "publishEdge" | "endEdge" | "edgeWanted">;
  /** INGEST_CALLBACK_SECRET: callbacks must carry it as `?secret=`; null: no check */
  secret: string | null;
  log: Logger;
}

export function edgeIngestRoutes(app: Http, deps: EdgeRoutesDeps) {
  const { ingest, secret, log } = deps;
  app.register(async (instance) => {
    const scope = instance as unknown as Http;
    // The first value of each field wins: nginx appends the publisher's own query arguments after its
    // fields, so a publisher cannot override `name` or `call` by publishing to "key?name=other".
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: CALLBACK_BODY_LIMIT }, (_req, body, done) => {
      const fields: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(String(body))) if (!(k in fields)) fields[k] = v;
      done(null, fields);
    });
    scope.addHook("onRequest", async (req) => {
      if (secret === null) return;
      const given = (req.query as { secret?: unknown }).secret;
      if (typeof given !== "string" || !sameSecret(given, secret)) {
        log.warn({ reqId: req.id, ip: req.ip, path: req.routeOptions.url }, "edge callback refused: missing or wrong secret");
        throw new AppError("forbidden", "Missing or wrong ?secret= (INGEST_CALLBACK_SECRET).");
      }
    });

    const schema = (summary: string) => ({ tags: ["media"], summary, body: NginxCallback, querystring: CallbackQuery });
    // The secret is in the URL, and Fastify's request log prints URLs: these routes log only what
    // they say themselves (below, without the URL), and warnings.
    const logLevel = "warn";

    scope.post(`${EDGE_CALLBACK_PREFIX}/on_publish`, { logLevel, schema: schema("nginx-rtmp on_publish: may the edge accept a publisher on this stream key? 2xx yes, else refused") }, async (req, reply) => {
      const { name, clientid, addr, app } = req.body;
      const r = await ingest.publishEdge(name, clientid ?? null);
      if (!r.ok) {
        log.info({ reqId: req.id, code: r.code, claimedAddr: addr, app, clientId: clientid }, "edge publish refused");
        throw new AppError(r.code, r.message);
      }
      log.info({ reqId: req.id, showId: r.showId, claimedAddr: addr, app, clientId: clientid }, "edge publish authorized");
      return reply.status(204).send();
    });

    // nginx ignores the answer; it is 204 whether or not a session was found, so a repeat is harmless.
    scope.post(`${EDGE_CALLBACK_PREFIX}/on_publish_done`, { logLevel, schema: schema("nginx-rtmp on_publish_done: the edge's publisher is gone, the show's stream ends") }, async (req, reply) => {
      const r = await ingest.endEdge(req.body.name, req.body.clientid ?? null);
      log.info({ reqId: req.id, result: r, clientId: req.body.clientid }, "edge publish done");
      return reply.status(204).send();
    });

    // Every notify_update_timeout while publishing: a refusal makes the edge drop its publisher, which
    // is how End show, a stalled stream or a failed packager reach the host's encoder.
    scope.post(`${EDGE_CALLBACK_PREFIX}/on_update`, { logLevel, schema: schema("nginx-rtmp on_update: does Vetrina still want this publisher? 2xx yes, else the edge drops it") }, async (req, reply) => {
      const { call, name, clientid } = req.body;
      if (call === "update_publish" && !ingest.edgeWanted(name, clientid ?? null)) throw new AppError("invalid_stream_key", "No live session for this stream key on this server.");
      return reply.status(204).send();
    });
  });
}

/** Compares secrets in constant time (of their hashes, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}
