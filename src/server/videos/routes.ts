import { z } from "zod";
import { Cursor, Id } from "../../shared/contracts/common.ts";
import { ShortVideo, ShortVideoPage, StudioClip, UploadOptions, VideoProductsInput } from "../../shared/contracts/videos.ts";
import { Product } from "../../shared/contracts/catalog.ts";
import type { Catalog } from "../catalog/service.ts";
import { sendProblem } from "../platform/http.ts";
import { UPLOADS_PATH, type Uploads } from "./uploads.ts";
import type { FastifyReply, FastifyRequest, HTTPMethods } from "fastify";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Shows } from "../shows/service.ts";
import type { MediaStorage } from "../media/storage.ts";
import { sendStoredObject } from "../media/storage-http.ts";
import type { Videos } from "./service.ts";

const VideoParams = z.object({ videoId: Id });
const MediaParams = z.object({ file: z.string().regex(/^[A-Za-z0-9_-]{1,64}\.(mp4|jpg)$/, "invalid file") });
const HlsParams = z.object({ videoId: Id, file: z.string().regex(/^(index\.m3u8|init\.mp4|seg-\d{4,6}\.m4s)$/, "invalid file") });
const HLS_TYPES: Record<string, string> = { m3u8: "application/vnd.apple.mpegurl", mp4: "video/mp4", m4s: "video/iso.segment" };

export function videosRoutes(app: Http, deps: { videos: Videos; uploads: Uploads; catalog: Pick<Catalog, "list">; shows: Pick<Shows, "authorizeHost">; storage: MediaStorage }) {
  const { videos, uploads } = deps;

  // Resumable uploads (tus 1.0.0). Fastify only authorizes; @tus/server speaks the protocol on the raw
  // request, so PATCH bodies (application/offset+octet-stream) must stream through unparsed.
  app.register(async (scope) => {
    scope.addContentTypeParser("application/offset+octet-stream", (_req, _payload, done) => done(null));
    const tusRoute = async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.method !== "OPTIONS") {
        if (!req.user) return sendProblem(reply, "unauthenticated");
        const uploadId = (req.params as { uploadId?: string }).uploadId;
        if (req.method === "POST") {
          if (uploadId) return sendProblem(reply, "route_not_found", `POST ${req.url}`);
          const ok = await uploads.authorizeCreate(req.user, req.headers);
          if (!ok.ok) return sendProblem(reply, ok.code, ok.message);
          uploads.claim(req.raw, req.user);
        } else if (uploadId) {
          const ok = await uploads.authorizeExisting(req.user, uploadId);
          if (!ok.ok) return sendProblem(reply, ok.code, ok.message);
        }
      }
      reply.hijack();
      await uploads.tus.handle(req.raw, reply.raw);
    };
    const methods: HTTPMethods[] = ["POST", "HEAD", "PATCH", "DELETE", "OPTIONS"];
    scope.route({ method: methods, url: UPLOADS_PATH, schema: { hide: true }, handler: tusRoute });
    scope.route({ method: methods, url: `${UPLOADS_PATH}/:uploadId`, schema: { hide: true }, handler: tusRoute });
  });

  app.get("/api/v1/studio/uploads/options", { schema: { tags: ["videos"], summary: "Which shops the signed-in user may upload videos for, and the limits", response: { 200: UploadOptions } } }, async (req) => uploads.options(requireUser(req)));

  app.get(
    "/api/v1/studio/uploads/products",
    { schema: { tags: ["videos"], summary: "A shop's active products to tag on a video (for those who may upload for it)", querystring: z.object({ merchantId: Id, q: z.string().trim().max(100).optional() }), response: { 200: z.object({ items: z.array(Product) }) } } },
    async (req) => {
      const user = requireUser(req);
      const opts = await uploads.options(user);
      if (!opts.merchants.some((m) => m.id === req.query.merchantId)) throw new AppError("forbidden", "You cannot make videos for this shop.");
      const page = await deps.catalog.list(req.query.merchantId, { limit: 20, q: req.query.q || undefined, status: "active" });
      return { items: page.items };
    },
  );

  app.get("/api/v1/studio/videos", { schema: { tags: ["videos"], summary: "The signed-in creator's uploaded videos, any status, with their transcodes' progress", response: { 200: z.object({ items: z.array(StudioClip) }) } } }, async (req) => ({ items: await videos.myUploads(requireUser(req)) }));

  app.get("/api/v1/videos/:videoId/studio", { schema: { tags: ["videos"], summary: "A video as its creator and the shop's staff see it (any status, progress, error)", params: VideoParams, response: { 200: StudioClip } } }, async (req) => unwrap(await videos.studioVideo(requireUser(req), req.params.videoId)).video);

  app.put("/api/v1/videos/:videoId/products", { schema: { tags: ["videos"], summary: "Tag a video with up to 10 of its shop's products (replaces the tags)", params: VideoParams, body: VideoProductsInput, response: { 200: StudioClip } } }, async (req) => unwrap(await videos.setProducts(requireUser(req), req.params.videoId, req.body.productIds)).video);

  // An upload's HLS rendition: published ones to anyone, drafts to their creator and the shop's staff.
  app.get("/media/videos/:videoId/hls/:file", { schema: { tags: ["videos"], params: HlsParams, hide: true } }, async (req, reply) => {
    const found = await videos.mediaFile(req.user, req.params.videoId, { hls: req.params.file });
    if (!found) throw new AppError("not_found", "No such video.");
    const ext = req.params.file.split(".").pop()!;
    // Streamed from storage (S3 or disk) with Content-Length and ranges, not read whole into memory.
    return sendStoredObject(reply, deps.storage, found.key, req.headers.range, {
      contentType: HLS_TYPES[ext]!,
      cacheControl: found.pub ? (ext === "m3u8" ? "public, max-age=60" : "public, max-age=86400") : "private, no-store",
    });
  });

  app.get("/api/v1/shows/:showId/clips", { schema: { tags: ["videos"], summary: "The clips of a show's showcases, any status, with their jobs' progress (its host, merchant staff, admins)", params: z.object({ showId: Id }), response: { 200: z.object({ items: z.array(StudioClip) }) } } }, async (req) => {
    const user = requireUser(req);
    return { items: unwrap(await videos.clipsOfShow(user, req.params.showId, (u, id) => deps.shows.authorizeHost(u, id))).items };
  });

  app.post("/api/v1/videos/:videoId/publish", { schema: { tags: ["videos"], summary: "Publish a draft short video", params: VideoParams, response: { 200: StudioClip } } }, async (req) => unwrap(await videos.publish(requireUser(req), req.params.videoId)).video);

  app.post("/api/v1/videos/:videoId/discard", { schema: { tags: ["videos"], summary: "Discard a short video (never shown again)", params: VideoParams, response: { 200: StudioClip } } }, async (req) => unwrap(await videos.discard(requireUser(req), req.params.videoId)).video);

  app.get("/api/v1/videos", { schema: { tags: ["videos"], summary: "Published short videos, newest first", querystring: z.object({ cursor: Cursor.optional(), limit: z.coerce.number().int().min(1).max(50).default(20) }), response: { 200: ShortVideoPage } } }, async (req) => {
    const r = unwrap(await videos.listPublished(req.query.cursor, req.query.limit));
    return { items: r.items, nextCursor: r.nextCursor };
  });

  app.get("/api/v1/videos/:videoId", { schema: { tags: ["videos"], summary: "A published short video", params: VideoParams, response: { 200: ShortVideo } } }, async (req) => {
    const v = await videos.getPublished(req.params.videoId);
    if (!v) throw new AppError("not_found", "No such video.");
    return v;
  });

  // The files: published ones to anyone; drafts to their host and the merchant's staff (by cookie).
  app.get("/media/videos/:file", { schema: { tags: ["videos"], params: MediaParams, hide: true } }, async (req, reply) => {
    const [id, ext] = req.params.file.split(".") as [string, "mp4" | "jpg"];
    const found = await videos.mediaFile(req.user, id, ext);
    if (!found) throw new AppError("not_found", "No such video.");
    return sendStoredObject(reply, deps.storage, found.key, req.headers.range, { cacheControl: found.pub ? "public, max-age=60" : "private, no-store", contentType: ext === "mp4" ? "video/mp4" : "image/jpeg" });
  });
}
