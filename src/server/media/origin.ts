/**
 * The Low-Latency HLS origin: the settings every live show's LlHlsStream is built with, and what
 * `GET /hls/:showId/:file` answers (status, type, cache headers), so that the route stays thin.
 * See docs/media.md, "Serving".
 */
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import type { InitSegment } from "./llhls/fmp4.ts";
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

/**
 * A plain playlist request (no _HLS_msn) must see the newest state: browsers never keep it
 * (max-age=0), a shared cache (CDN) may hand the same answer to everyone asking within a second
 * (s-maxage=1, the smallest a header can say). A player's first request is plain; every later one is
 * a blocking request that names the part it wants, so a second-old start only costs its first reload.
 * The same for the multivariant playlist (its bandwidths are remeasured as segments complete).
 */
export const LIVE_PLAYLIST_CACHE = "public, max-age=0, s-maxage=1";

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
      cacheControl: q.msn !== undefined ? `public, max-age=${BLOCKING_MAX_AGE_S}` : LIVE_PLAYLIST_CACHE,
      body: r.body,
    };
  }
  const resource = isLlHlsResourceName(file) ? await stream.awaitResource(file) : null;
  if (!resource) return { ok: false, code: "not_found", message: "No such part or segment (or no longer available)." };
  return { ok: true, contentType: resource.contentType, cacheControl: resource.immutable ? IMMUTABLE : "no-cache", body: resource.data };
}

/** One rendition of a live show: the source (copied) first, then the transcoded ones (HLS_RENDITIONS). */
export interface Variant {
  /** its media playlist's name when the show has several: `v0.m3u8`, `v1.m3u8`, … */
  name: string;
  stream: LlHlsStream;
  /** the packager's init segment, once written: codecs and picture size */
  init: InitSegment | null;
}

const VARIANT_PLAYLIST = /^v(\d)\.m3u8$/;

/**
 * `GET /hls/:showId/:file` for a show with its variants. One variant: `index.m3u8` is its media
 * playlist (as `answerHls`). Several: `index.m3u8` is the multivariant playlist, `v<i>.m3u8` the
 * media playlists (each reporting the others with EXT-X-RENDITION-REPORT), and media names go to
 * the variant whose token they carry.
 */
export async function answerShowHls(variants: readonly Variant[] | null, file: string, query: Record<string, unknown>): Promise<HlsAnswer> {
  if (!variants?.length) return answerHls(null, file, query);
  if (variants.length === 1) return answerHls(variants[0]!.stream, file, query);
  if (file === PLAYLIST_FILE) {
    const body = multivariantPlaylist(variants);
    if (!body) return { ok: false, code: "stream_unavailable", message: "no media yet", retryAfterS: RETRY_AFTER_S };
    return { ok: true, contentType: PLAYLIST_CONTENT_TYPE, cacheControl: LIVE_PLAYLIST_CACHE, body };
  }
  const m = VARIANT_PLAYLIST.exec(file);
  if (m) return answerHls(variants[Number(m[1])]?.stream ?? null, PLAYLIST_FILE, query);
  const token = file.split("-", 1)[0];
  const owner = variants.find((v) => v.stream.token === token);
  if (!owner) return { ok: false, code: "not_found", message: "No such part or segment (or no longer available)." };
  return answerHls(owner.stream, file, query);
}

/** Each variant's media playlist reports where the others are. */
export function linkRenditions(variants: readonly Variant[]): void {
  if (variants.length < 2) return;
  for (const v of variants) {
    const others = variants.filter((o) => o !== v);
    v.stream.setRenditionReports(() => others.map((o) => ({ uri: o.name, ...o.stream.position() })));
  }
}

/**
 * The multivariant playlist: one EXT-X-STREAM-INF per variant with CODECS and RESOLUTION from its
 * init segment and BANDWIDTH (peak) / AVERAGE-BANDWIDTH measured over its segments; null until every
 * variant has its init segment. Before a variant's first segment completes, BANDWIDTH is a nominal
 * FALLBACK_BANDWIDTH (the attribute is required; the playlist is not cached, so it is soon replaced).
 */
export function multivariantPlaylist(variants: readonly Variant[]): string | null {
  if (variants.some((v) => !v.init)) return null;
  const lines = ["#EXTM3U", "#EXT-X-VERSION:9", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const v of variants) {
    const init = v.init!;
    const video = init.tracks.find((t) => t.kind === "video");
    const rates = v.stream.bitrates();
    const bandwidth = rates?.peak ?? FALLBACK_BANDWIDTH;
    const attrs = [
      `BANDWIDTH=${bandwidth}`,
      ...(rates ? [`AVERAGE-BANDWIDTH=${rates.average}`] : []),
      `CODECS="${init.codecs}"`,
      ...(video?.width && video.height ? [`RESOLUTION=${video.width}x${video.height}`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attrs.join(",")}`, v.name);
  }
  return lines.join("\n") + "\n";
}

/** BANDWIDTH before a variant has a complete segment: a 720p30 stream's worth, so players start high. */
const FALLBACK_BANDWIDTH = 3_000_000;
