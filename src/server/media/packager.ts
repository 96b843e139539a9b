import path from "node:path";

/** The playlist every live show exposes: `<hlsDir>/<showId>/index.m3u8`. */
export const PLAYLIST_FILE = "index.m3u8";

/**
 * Segment names are `<session>-<n>.ts`. The session token changes with every publish, so a
 * segment URL never names two different files and can be cached as immutable.
 */
export const SEGMENT_FILE = /^[a-z0-9]{1,16}-\d{1,10}\.ts$/;

/** Show ids become directory names: only what `newId` produces, never a path. */
export const SHOW_DIR = /^[A-Za-z0-9_-]{1,64}$/;

export interface PackagerArgs {
  /** RTMP URL the packager plays from the local ingest */
  input: string;
  /** the show's HLS directory */
  dir: string;
  segmentSeconds: number;
  /** per-publish token that prefixes segment names (lowercase alphanumerics) */
  sessionToken: string;
  /** segments kept in the rolling playlist */
  listSize?: number;
}

/**
 * ffmpeg arguments (after FFMPEG_BASE_ARGS) that repackage the published stream into HLS without
 * re-encoding: the host's encoder already chose codecs and keyframes, so this costs almost no CPU.
 * Segments are cut at keyframes, so they are as long as the host's keyframe interval at least.
 *
 * No `-rw_timeout`: ffmpeg 5.1 does not apply it to RTMP input (a paused publisher kept a test
 * reader waiting 9 s past a 2 s timeout). The input is our own server, so the ingest's watchdog
 * ends a stalled stream by closing the packager's connection, which makes ffmpeg finish and exit.
 */
export function hlsPackagerArgs(o: PackagerArgs): string[] {
  return [
    "-rtmp_live", "live",
    // An RTMP publisher sends its codec headers first; probing for 1 s instead of 5 brings the
    // first playlist (and so "live") about 1.5 s sooner.
    "-analyzeduration", "1000000",
    "-i", o.input,
    "-map", "0:v?",
    "-map", "0:a?",
    "-c", "copy",
    "-f", "hls",
    "-hls_time", String(o.segmentSeconds),
    "-hls_list_size", String(o.listSize ?? 6),
    // temp_file: segments and playlist appear by rename, so a player never reads a half-written file.
    "-hls_flags", "delete_segments+independent_segments+temp_file",
    "-hls_segment_type", "mpegts",
    "-hls_segment_filename", path.join(o.dir, `${o.sessionToken}-%d.ts`),
    path.join(o.dir, PLAYLIST_FILE),
  ];
}
