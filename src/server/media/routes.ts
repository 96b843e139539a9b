import { z } from "zod";
import { AppError } from "../platform/errors.ts";
import type { Http } from "../platform/http.ts";
import type { LlHlsStream } from "./llhls/playlist.ts";
import { answerHls } from "./origin.ts";

const HlsParams = z.object({ showId: z.string(), file: z.string() });

export interface MediaRoutesDeps {
  /** The live (or just ended) show's LL-HLS stream; null when the show is not live. */
  stream(showId: string): LlHlsStream | null;
}

/**
 * The Low-Latency HLS origin: the playlist (blocking reload, delta updates) and the init segment,
 * parts and segments of each live show, from memory. What to answer is decided in origin.ts;
 * unknown names and shows that are not live are a problem+json 404.
 */
export function mediaRoutes(app: Http, deps: MediaRoutesDeps) {
  app.get("/hls/:showId/:file", { schema: { tags: ["media"], params: HlsParams, hide: true } }, async (req, reply) => {
    const { showId, file } = req.params;
    // Players may be on another origin (an embed on the merchant's site); errors need it too.
    reply.header("access-control-allow-origin", "*");
    const answer = await answerHls(deps.stream(showId), file, req.query as Record<string, unknown>);
    if (!answer.ok) {
      if (answer.retryAfterS !== undefined) reply.header("retry-after", String(answer.retryAfterS));
      throw new AppError(answer.code, answer.message);
    }
    return reply.header("cache-control", answer.cacheControl).type(answer.contentType).send(answer.body);
  });
}
