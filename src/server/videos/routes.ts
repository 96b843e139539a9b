import { z } from "zod";
import { Cursor, Id } from "../../shared/contracts/common.ts";
import { ShortVideo, ShortVideoPage, StudioClip } from "../../shared/contracts/videos.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Shows } from "../shows/service.ts";
import type { MediaStorage } from "../media/storage.ts";
import { parseRange } from "../media/replay.ts";
import type { Videos } from "./service.ts";

const VideoParams = z.object({ videoId: Id });
const MediaParams = z.object({ file: z.string().regex(/^[A-Za-z0-9_-]{1,64}\.(mp4|jpg)$/, "invalid file") });

export function videosRoutes(app: Http, deps: { videos: Videos; shows: Pick<Shows, "authorizeHost">; storage: MediaStorage }) {
  const { videos } = deps;

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
    const st = await deps.storage.stat(found.key);
    if (!st) throw new AppError("not_found", "No such video.");
    const range = parseRange(req.headers.range, st.size);
    if (range === "unsatisfiable") {
      reply.header("content-range", `bytes */${st.size}`);
      throw new AppError("range_not_satisfiable");
    }
    const body = await deps.storage.stream(found.key, range ?? undefined);
    if (!body) throw new AppError("not_found", "No such video.");
    reply
      .header("accept-ranges", "bytes")
      .header("cache-control", found.pub ? "public, max-age=60" : "private, no-store")
      .type(ext === "mp4" ? "video/mp4" : "image/jpeg");
    if (!range) return reply.status(200).header("content-length", st.size).send(body);
    return reply
      .status(206)
      .header("content-length", range.end - range.start + 1)
      .header("content-range", `bytes ${range.start}-${range.end}/${st.size}`)
      .send(body);
  });
}
