/**
 * ffmpeg (5.1) closes a fragment when the next packet is this long (µs) or more after the
 * fragment's first one: each fragment becomes one LL-HLS part of whole frames, ~200 ms
 * (5 frames at 25 fps, 6 at 30, 3 at 15). See docs/media.md.
 */
export const FRAGMENT_DURATION_US = 200_000;

export interface PackagerArgs {
  /** RTMP URL the packager plays from the local ingest */
  input: string;
  /** heights of the extra, transcoded renditions (HLS_RENDITIONS), written to pipe:3, pipe:4, … */
  renditions?: readonly number[];
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
    ...renditionOutputs(o.renditions ?? [], ["-c:a", "copy"]),
  ];
}

/**
 * One more fragmented-MP4 output per extra rendition (fd 3, 4, …), from the same input: H.264 scaled
 * to that height, with keyframes exactly where the source has them (`-force_key_frames source`), so
 * segments line up across renditions and a player can switch at any segment. x264 `veryfast` with
 * `zerolatency` (no look-ahead, no B-frames) keeps the rendition's parts as prompt as the source's;
 * decoding a 720p30 source and encoding 360p took 16 % of one core here (a test pattern; camera
 * footage costs more).
 */
export function renditionOutputs(heights: readonly number[], audio: readonly string[]): string[] {
  return heights.flatMap((h, i) => {
    const kbps = renditionKbps(h);
    return [
      "-map", "0:v",
      "-map", "0:a?",
      "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-profile:v", "main", "-pix_fmt", "yuv420p",
      "-vf", `scale=-2:${h}`,
      "-b:v", `${kbps}k`, "-maxrate", `${Math.round(kbps * 1.2)}k`, "-bufsize", `${kbps}k`,
      "-force_key_frames", "source",
      ...audio,
      ...FMP4_OUTPUT.slice(0, -1),
      `pipe:${3 + i}`,
    ];
  });
}

/** Video bit rate for a rendition of this height, kbit/s: ~0.1 bit per pixel at 30 fps. */
export function renditionKbps(height: number): number {
  return Math.round((height * height * (16 / 9) * 30 * 0.1) / 1000 / 50) * 50;
}

/** Fragmented MP4 on stdout, one fragment per ~200 ms part (see llHlsPackagerArgs). */
const FMP4_OUTPUT = ["-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", "-frag_duration", String(FRAGMENT_DURATION_US), "pipe:1"];

/**
 * ffmpeg arguments for a WHIP publisher: the RTP that whip.ts forwards on loopback, described by
 * `sdp` (given inline as a data: URL). H.264 is copied; Opus becomes AAC, which every HLS player
 * (Safari included) decodes in MP4. `-copyts` keeps the timeline whip.ts set with its sender
 * reports: media time 0 is the first keyframe's capture.
 */
export function whipPackagerArgs(o: { sdp: string; renditions?: readonly number[] }): string[] {
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
    ...renditionOutputs(o.renditions ?? [], ["-c:a", "aac", "-b:a", "96k"]),
  ];
}
