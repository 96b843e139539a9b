/**
 * Clips: which recorded segments make the clip of a showcase (pure), and the cut itself — the
 * replay's init segment and those fMP4 segments, remuxed by stream copy into one MP4 with its index
 * up front (no re-encoding), plus a poster from its first frame. See docs/media-jobs.md, "Clips".
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { FFMPEG_BASE_ARGS } from "../media/ffmpeg.ts";

interface PlaylistEntry {
  uri: string;
  /** the EXT-X-MAP in force */
  init: string;
  /** which run (publish) it belongs to: runs are separated by EXT-X-DISCONTINUITY */
  run: number;
  /** ms from the replay's start, rounded as the replay's clock rounds them */
  start: number;
  end: number;
  gap: boolean;
}

/** The entries of a VOD playlist as `vodPlaylist` writes it. */
export function playlistEntries(playlist: string): PlaylistEntry[] {
  const out: PlaylistEntry[] = [];
  let init = "";
  let run = 0;
  let duration = NaN;
  let gap = false;
  let total = 0;
  for (const raw of playlist.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-MAP:")) init = /URI="([^"]+)"/.exec(line)?.[1] ?? "";
    else if (line === "#EXT-X-DISCONTINUITY") run++;
    else if (line === "#EXT-X-GAP") gap = true;
    else if (line.startsWith("#EXTINF:")) duration = Number(line.slice(8).split(",")[0]);
    else if (line && !line.startsWith("#")) {
      const start = Math.round(total * 1000);
      total += Number.isFinite(duration) && duration > 0 ? duration : 0;
      out.push({ uri: line, init, run, start, end: Math.round(total * 1000), gap });
      duration = NaN;
      gap = false;
    }
  }
  return out;
}

export interface ClipWindow {
  /** where the clip starts and ends in the replay, ms: whole segments, so both are segment boundaries */
  fromMs: number;
  toMs: number;
  init: string;
  segments: string[];
}

/**
 * The clip around `anchorMs` (a showcase's place in the replay): from `beforeMs` before it to
 * `afterMs` after it, clamped to the replay and rounded out to whole segments (every segment starts
 * on a keyframe, so a clip cut there needs no re-encoding). A clip stays within one publish (one
 * init segment) and stops at a gap. Null when no segment is there to cut.
 */
export function clipWindow(playlist: string, anchorMs: number, beforeMs: number, afterMs: number): ClipWindow | null {
  const entries = playlistEntries(playlist);
  if (!entries.length) return null;
  const duration = entries[entries.length - 1]!.end;
  const anchor = Math.max(0, Math.min(duration, anchorMs));
  let i = entries.findIndex((e) => e.start <= anchor && anchor < e.end);
  if (i < 0) i = entries.length - 1;
  // On a gap: the nearest recorded segment of the same run, later first (the showcase is then on screen).
  if (entries[i]!.gap) {
    const run = entries[i]!.run;
    let j = i;
    while (j < entries.length && entries[j]!.gap && entries[j]!.run === run) j++;
    if (j < entries.length && !entries[j]!.gap && entries[j]!.run === run) i = j;
    else {
      j = i;
      while (j >= 0 && entries[j]!.gap && entries[j]!.run === run) j--;
      if (j < 0 || entries[j]!.gap || entries[j]!.run !== run) return null;
      i = j;
    }
  }
  const from = anchor - beforeMs;
  const to = anchor + afterMs;
  const same = (k: number) => k >= 0 && k < entries.length && !entries[k]!.gap && entries[k]!.run === entries[i]!.run;
  let lo = i;
  let hi = i;
  while (same(lo - 1) && entries[lo - 1]!.end > from) lo--;
  while (same(hi + 1) && entries[hi + 1]!.start < to) hi++;
  const picked = entries.slice(lo, hi + 1);
  return { fromMs: picked[0]!.start, toMs: picked[picked.length - 1]!.end, init: picked[0]!.init, segments: picked.map((e) => e.uri) };
}

/** The segments of `playlist` within [fromMs, toMs] (a window clipWindow chose), for the handler. */
export function segmentsWithin(playlist: string, fromMs: number, toMs: number): { init: string; segments: string[] } | null {
  const picked = playlistEntries(playlist).filter((e) => !e.gap && e.start >= fromMs && e.end <= toMs);
  if (!picked.length || picked.some((e) => e.init !== picked[0]!.init)) return null;
  return { init: picked[0]!.init, segments: picked.map((e) => e.uri) };
}

function run(file: string, args: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { signal, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(file)} failed: ${signal.aborted ? "aborted" : String(stderr || err.message).trim().slice(-500)}`));
      else resolve(stdout);
    });
  });
}

export interface CutResult {
  mp4: Buffer;
  jpg: Buffer;
  durationMs: number | null;
  width: number | null;
  height: number | null;
}

/**
 * Remuxes `parts` (an init segment, then fMP4 segments, in order) into a faststart MP4 by stream
 * copy, and grabs its first frame as a JPEG. Everything happens in a temporary directory, removed
 * afterwards; ffmpeg is killed when `signal` aborts.
 */
export async function cutClip(o: { ffmpeg: string; ffprobe: string | null; parts: AsyncIterable<Buffer>; signal: AbortSignal; onStep?(fraction: number): void }): Promise<CutResult> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "vetrina-clip-"));
  try {
    const source = path.join(dir, "source.mp4");
    const out = path.join(dir, "clip.mp4");
    const poster = path.join(dir, "poster.jpg");
    const fh = await fs.promises.open(source, "w");
    try {
      for await (const part of o.parts) {
        o.signal.throwIfAborted();
        await fh.write(part);
      }
    } finally {
      await fh.close();
    }
    o.onStep?.(0.5);
    // Stream copy only: the segments start on keyframes, so the cut needs no re-encoding.
    await run(o.ffmpeg, [...FFMPEG_BASE_ARGS, "-y", "-i", source, "-map", "0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", out], o.signal);
    o.onStep?.(0.75);
    // The poster: the first frame (one decoded frame).
    await run(o.ffmpeg, [...FFMPEG_BASE_ARGS, "-y", "-i", out, "-map", "0:v:0", "-frames:v", "1", "-q:v", "3", "-f", "image2", poster], o.signal);
    o.onStep?.(0.85);
    let durationMs: number | null = null;
    let width: number | null = null;
    let height: number | null = null;
    if (o.ffprobe) {
      const probe = JSON.parse(await run(o.ffprobe, ["-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", out], o.signal)) as {
        format?: { duration?: string };
        streams?: { codec_type?: string; width?: number; height?: number }[];
      };
      const d = Number(probe.format?.duration);
      durationMs = Number.isFinite(d) ? Math.round(d * 1000) : null;
      const v = probe.streams?.find((s) => s.codec_type === "video");
      width = v?.width ?? null;
      height = v?.height ?? null;
    }
    return { mp4: await fs.promises.readFile(out), jpg: await fs.promises.readFile(poster), durationMs, width, height };
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}
