import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { AppConfig } from "../config.ts";
import { AppError } from "../platform/errors.ts";
import type { Http } from "../platform/http.ts";
import { PLAYLIST_FILE, SEGMENT_FILE, SHOW_DIR } from "./packager.ts";

const HlsParams = z.object({ showId: z.string(), file: z.string() });

/**
 * Serves the HLS files the packager writes. Only names the packager produces are served, which
 * also rules out path traversal; anything else, or a file already rotated away, is a 404.
 */
export function mediaRoutes(app: Http, config: Pick<AppConfig, "media">) {
  app.get("/hls/:showId/:file", { schema: { tags: ["media"], params: HlsParams, hide: true } }, async (req, reply) => {
    const { showId, file } = req.params;
    // Players may be on another origin (an embed on the merchant's site); errors need it too.
    reply.header("access-control-allow-origin", "*");
    const isPlaylist = file === PLAYLIST_FILE;
    if (!SHOW_DIR.test(showId) || !(isPlaylist || SEGMENT_FILE.test(file))) throw new AppError("not_found", "No such stream file.");

    // Open before answering: segments are deleted as the window rolls, and an open file stays readable.
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(path.join(config.media.hlsDir, showId, file), "r");
    } catch {
      throw new AppError("not_found", isPlaylist ? "This show is not live." : "This segment is no longer available.");
    }
    const { size } = await handle.stat().catch(async (err: unknown) => {
      await handle.close();
      throw err;
    });
    reply
      .header("content-length", size)
      // The playlist changes every segment; a segment name is never reused (session token prefix).
      .header("cache-control", isPlaylist ? "no-cache" : "public, max-age=31536000, immutable")
      .type(isPlaylist ? "application/vnd.apple.mpegurl" : "video/mp2t");
    return reply.send(handle.createReadStream());
  });
}
