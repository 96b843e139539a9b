/**
 * What `GET /replays/:showId/:file` answers, from storage: the replay's VOD playlist and its media
 * files, with byte ranges (Safari asks for them), so that the route stays thin. See docs/media.md,
 * "Recording and replays".
 */
import type { Readable } from "node:stream";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import { MEDIA_CONTENT_TYPE, PLAYLIST_CONTENT_TYPE } from "./llhls/playlist.ts";
import { IMMUTABLE } from "./origin.ts";
import { replayPrefix } from "./recorder.ts";
import { isValidStorageKey, type MediaStorage } from "./storage.ts";
import { parseRecordedFile, REPLAY_PLAYLIST } from "./vod-playlist.ts";

/** The replay of a show, once its recording is finalized. */
export function replayUrl(showId: string): string {
  return `/replays/${showId}/${REPLAY_PLAYLIST}`;
}

/**
 * The playlist is written once, when the recording is finalized (before that, and for a show without a
 * replay, the answer is an uncached 404), and names immutable files: caches may keep it an hour.
 */
export const REPLAY_PLAYLIST_CACHE = "public, max-age=3600";

const SHOW_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type ReplayAnswer =
  | {
      ok: true;
      status: 200 | 206;
      contentType: string;
      cacheControl: string;
      /** media files only */
      acceptRanges: boolean;
      contentLength: number;
      /** 206 only */
      contentRange?: string;
      body: Readable | Buffer;
    }
  /** a Range no byte of the file is in: 416 with `Content-Range: bytes *\/size` */
  | { ok: false; status: 416; size: number }
  | { ok: false; code: Extract<ErrorCode, "not_found">; message: string };

const notFound: ReplayAnswer = { ok: false, code: "not_found", message: "No such replay or replay file." };

/**
 * `file` of the replay of `showId`, honouring a single-range `Range` header on media files (several
 * ranges, or a malformed header, get the whole file, as RFC 9110 allows). Names are checked before
 * storage is asked: the playlist, an init segment or a recorded segment name; anything else is a 404.
 */
export async function answerReplay(storage: MediaStorage, showId: string, file: string, rangeHeader: string | undefined): Promise<ReplayAnswer> {
  if (!SHOW_ID.test(showId)) return notFound;
  const key = replayPrefix(showId) + file;
  if (file === REPLAY_PLAYLIST) {
    const body = await storage.read(key);
    if (!body) return notFound;
    return { ok: true, status: 200, contentType: PLAYLIST_CONTENT_TYPE, cacheControl: REPLAY_PLAYLIST_CACHE, acceptRanges: false, contentLength: body.length, body };
  }
  if (!parseRecordedFile(file) || !isValidStorageKey(key)) return notFound;
  const st = await storage.stat(key);
  if (!st) return notFound;
  const range = parseRange(rangeHeader, st.size);
  if (range === "unsatisfiable") return { ok: false, status: 416, size: st.size };
  const body = await storage.stream(key, range ?? undefined);
  if (!body) return notFound;
  const media = { ok: true as const, contentType: MEDIA_CONTENT_TYPE, cacheControl: IMMUTABLE, acceptRanges: true, body };
  if (!range) return { ...media, status: 200, contentLength: st.size };
  return { ...media, status: 206, contentLength: range.end - range.start + 1, contentRange: `bytes ${range.start}-${range.end}/${st.size}` };
}

/**
 * A `Range: bytes=…` header against a file of `size` bytes (RFC 9110 §14): the one range asked for,
 * clipped to the file; "unsatisfiable" when it starts past the end; null for no header, another unit,
 * several ranges or a malformed one (then the whole file is sent).
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  if (header === undefined) return null;
  const m = /^bytes=[ \t]*(\d{0,15})-(\d{0,15})[ \t]*$/i.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    // the last n bytes
    const n = Number(m[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? Infinity : Number(m[2]);
  if (end < start) return null;
  if (start >= size) return "unsatisfiable";
  return { start, end: Math.min(end, size - 1) };
}
