/**
 * The Low-Latency HLS origin: the settings every live show's LlHlsStream is built with, and what
 * `GET /hls/:showId/:file` answers (status, type, cache headers), so that the route stays thin.
 * See docs/media.md, "Serving".
 */
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import {
  isLlHlsResourceName,
  LlHlsStream,
  parseDeliveryDirectives,
  PLAYLIST_CONTENT_TYPE,
  type LlHlsProblem,
} from "./llhls/playlist.ts";

/** The one playlist name of every live show: `/hls/<showId>/index.m3u8`. */
export const PLAYLIST_FILE = "index.m3u8";

/**
 * EXT-X-PART-INF:PART-TARGET, seconds. ffmpeg's parts are whole frames cut at ≥ 200 ms (see
 * packager.ts), so 200 ms at 15/25/30 fps and up to ~221 ms when the encoder's timestamps jitter;
 * a part over the target breaks a MUST (§4.4.4.9), and so does a non-final part under 85 % of it
 * (0.85 × 0.23 = 0.1955 s < 0.2 s). PART-HOLD-BACK is three times this: 0.69 s.
 */
export const PART_TARGET_S = 0.23;

/**
 * Complete segments listed in a playlist. With 1 s segments that is 12 s of media, more than
 * CAN-SKIP-UNTIL (6 target durations), so players get delta updates (_HLS_skip).
 */
export const WINDOW_SEGMENTS = 12;

/** Every name but the playlist means the same bytes forever (the token is new for every publish). */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * A blocking playlist request (with _HLS_msn) names the state it waits for in its URL, so a CDN may
 * share its answer for a moment: about six part targets, at least a second.
 */
export const BLOCKING_MAX_AGE_S = Math.max(1, Math.round(6 * PART_TARGET_S));

/** Retry-After on a 503 (a blocking request whose part did not arrive in three target durations). */
export const RETRY_AFTER_S = 1;

/** One live session's stream: in memory, fed by the packager's fMP4 splitter. */
export function createShowStream(segmentSeconds: number, onProblem: (p: LlHlsProblem) => void): LlHlsStream {
  return new LlHlsStream({ partTarget: PART_TARGET_S, segmentTarget: segmentSeconds, windowSegments: WINDOW_SEGMENTS, onProblem });
}

export type HlsAnswer =
  | { ok: true; contentType: string; cacheControl: string; body: string | Buffer }
  | { ok: false; code: Extract<ErrorCode, "not_found" | "validation_failed" | "stream_unavailable">; message: string; retryAfterS?: number };

/**
 * What `GET /hls/:showId/:file?query` gets from `stream` (null: the show is not live). The playlist
 * honours the delivery directives (blocking reload, delta updates); the preload-hinted part is
 * answered when it arrives. Waits at most three target durations.
 */
export async function answerHls(stream: LlHlsStream | null, file: string, query: Record<string, unknown>): Promise<HlsAnswer> {
  if (!stream) return { ok: false, code: "not_found", message: "This show is not live." };
  if (file === PLAYLIST_FILE) {
    const q = parseDeliveryDirectives(query);
    if ("error" in q) return { ok: false, code: "validation_failed", message: q.error };
    const r = await stream.playlist(q);
    if (r.status !== 200) {
      if (r.status === 400) return { ok: false, code: "validation_failed", message: r.reason };
      return { ok: false, code: "stream_unavailable", message: r.reason, retryAfterS: RETRY_AFTER_S };
    }
    return {
      ok: true,
      contentType: PLAYLIST_CONTENT_TYPE,
      cacheControl: q.msn !== undefined ? `public, max-age=${BLOCKING_MAX_AGE_S}` : "no-cache",
      body: r.body,
    };
  }
  const resource = isLlHlsResourceName(file) ? await stream.awaitResource(file) : null;
  if (!resource) return { ok: false, code: "not_found", message: "No such part or segment (or no longer available)." };
  return { ok: true, contentType: resource.contentType, cacheControl: resource.immutable ? IMMUTABLE : "no-cache", body: resource.data };
}
