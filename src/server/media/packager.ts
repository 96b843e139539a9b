/**
 * ffmpeg (5.1) closes a fragment when the next packet is this long (µs) or more after the
 * fragment's first one: each fragment becomes one LL-HLS part of whole frames, ~200 ms
 * (5 frames at 25 fps, 6 at 30, 3 at 15). See docs/media.md.
 */
export const FRAGMENT_DURATION_US = 200_000;

export interface PackagerArgs {
  /** RTMP URL the packager plays from the local ingest */
  input: string;
}

/**
 * ffmpeg arguments (after FFMPEG_BASE_ARGS) that repackage the published stream, without
 * re-encoding, into fragmented MP4 on stdout: the init segment (ftyp + moov, no samples) first,
 * then one moof+mdat per ~200 ms part. The ingest cuts that stream with `Fmp4Splitter` and serves
 * it as Low-Latency HLS from memory (`LlHlsStream`). The host's encoder already chose codecs and
 * keyframes, so this costs almost no CPU.
 *
 * - `frag_keyframe`: every video keyframe also starts a fragment, so segments can be cut at parts.
 * - `empty_moov`: the init segment exists before any media.
 * - `default_base_moof`: data offsets relative to the moof, as CMAF/HLS expect.
 * - `skip_trailer`: no `mfra` index at the end, useless live.
 *
 * No `-rw_timeout`: ffmpeg 5.1 does not apply it to RTMP input (a paused publisher kept a test
 * reader waiting 9 s past a 2 s timeout). The input is our own server, so the ingest's watchdog
 * ends a stalled stream by closing the packager's connection, which makes ffmpeg finish and exit.
 */
export function llHlsPackagerArgs(o: PackagerArgs): string[] {
  return [
    "-rtmp_live", "live",
    // An RTMP publisher sends its codec headers first; probing for 1 s instead of 5 brings the
    // first part (and so "live") about 1.5 s sooner.
    "-analyzeduration", "1000000",
    // Keep the publisher's RTMP timestamps as media time: the ingest maps them to the wall clock
    // (PROGRAM-DATE-TIME) from when each RTMP message arrived, see docs/media.md.
    "-copyts",
    "-i", o.input,
    "-map", "0:v?",
    "-map", "0:a?",
    "-c", "copy",
    ...FMP4_OUTPUT,
  ];
}

/** Fragmented MP4 on stdout, one fragment per ~200 ms part (see llHlsPackagerArgs). */
const FMP4_OUTPUT = ["-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", "-frag_duration", String(FRAGMENT_DURATION_US), "pipe:1"];

/**
 * ffmpeg arguments for a WHIP publisher: the RTP that whip.ts forwards on loopback, described by
 * `sdp` (given inline as a data: URL). H.264 is copied; Opus becomes AAC, which every HLS player
 * (Safari included) decodes in MP4. `-copyts` keeps the timeline whip.ts set with its sender
 * reports: media time 0 is the first keyframe's capture.
 */
export function whipPackagerArgs(o: { sdp: string }): string[] {
  return [
    "-protocol_whitelist", "data,udp,rtp",
    "-f", "sdp",
    "-analyzeduration", "500000",
    "-buffer_size", "4194304",
    "-copyts",
    "-i", `data:application/sdp;base64,${Buffer.from(o.sdp).toString("base64")}`,
    "-map", "0:v",
    "-map", "0:a?",
    "-c:v", "copy",
    "-c:a", "aac",
    "-b:a", "128k",
    ...FMP4_OUTPUT,
  ];
}
