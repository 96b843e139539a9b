/**
 * ffprobe checks of an uploaded file, and its transcode into an fMP4 HLS VOD rendition plus a poster.
 * See docs/media-jobs.md, "Uploads" and "Transcodes".
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { FFMPEG_BASE_ARGS } from "../media/ffmpeg.ts";

export type UploadRefusal = "upload_not_video" | "upload_truncated" | "upload_too_long";

export interface ProbedVideo {
  /** ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  format: string;
  durationMs: number;
  width: number;
  height: number;
  hasAudio: boolean;
}

export type ProbeVerdict = { ok: true; video: ProbedVideo } | { ok: false; code: UploadRefusal; message: string };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], signal?: AbortSignal): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { signal, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** An ISO BMFF file (MP4/MOV) begins with a box such as ftyp, moov, mdat, free or wide. */
async function looksLikeIsoBmff(file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, "r");
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await fh.read(head, 0, 12, 0);
    if (bytesRead < 8) return false;
    return ["ftyp", "moov", "mdat", "free", "wide", "skip"].includes(head.toString("latin1", 4, 8));
  } finally {
    await fh.close();
  }
}

/**
 * Judges an upload by its content, never by its name: an MP4/MOV container with a video stream, whole
 * (its index readable and its last second decodable), at most `maxSeconds` long.
 */
export async function probeUpload(o: { ffprobe: string; ffmpeg: string; file: string; maxSeconds: number; signal?: AbortSignal }): Promise<ProbeVerdict> {
  const probe = await exec(
    o.ffprobe,
    ["-v", "error", "-show_entries", "format=format_name,duration:stream=codec_type,codec_name,width,height:stream_disposition=attached_pic", "-of", "json", o.file],
    o.signal,
  );
  type P = { format?: { format_name?: string; duration?: string }; streams?: { codec_type?: string; width?: number; height?: number; disposition?: { attached_pic?: number } }[] };
  let parsed: P = {};
  try {
    parsed = JSON.parse(probe.stdout || "{}") as P;
  } catch {
    parsed = {};
  }
  if (probe.code !== 0 || !parsed.format) {
    // An MP4/MOV whose index (moov) is missing was cut short (the index is written last by most encoders).
    if (/moov atom not found/i.test(probe.stderr) || (await looksLikeIsoBmff(o.file))) return { ok: false, code: "upload_truncated", message: "The video file is incomplete or damaged." };
    return { ok: false, code: "upload_not_video", message: "This file is not an MP4 or MOV video." };
  }
  const format = parsed.format.format_name ?? "";
  const video = parsed.streams?.find((s) => s.codec_type === "video" && !s.disposition?.attached_pic && s.width && s.height);
  if (!/(^|,)(mov|mp4)(,|$)/.test(format) || !video) return { ok: false, code: "upload_not_video", message: "This file is not an MP4 or MOV video." };
  const seconds = Number(parsed.format.duration);
  if (!Number.isFinite(seconds) || seconds <= 0) return { ok: false, code: "upload_truncated", message: "The video file is incomplete or damaged." };
  if (seconds > o.maxSeconds + 0.5) return { ok: false, code: "upload_too_long", message: `The video is ${Math.round(seconds)} s long; at most ${o.maxSeconds} s are allowed.` };
  // The index can be whole while the media data is not (an index-first file cut short): decode the end.
  const tail = Math.min(1.5, seconds);
  const decode = await exec(o.ffmpeg, [...FFMPEG_BASE_ARGS.map((a) => (a === "warning" ? "error" : a)), "-sseof", `-${tail.toFixed(3)}`, "-i", o.file, "-map", "0:v:0", "-f", "framecrc", "-"], o.signal);
  const frames = decode.stdout.split("\n").filter((l) => l && !l.startsWith("#")).length;
  if (decode.code !== 0 || frames === 0 || /partial file|invalid data|error while decoding|corrupt/i.test(decode.stderr))
    return { ok: false, code: "upload_truncated", message: "The video file is incomplete or damaged." };
  return { ok: true, video: { format, durationMs: Math.round(seconds * 1000), width: video.width!, height: video.height!, hasAudio: !!parsed.streams?.some((s) => s.codec_type === "audio") } };
}

/** The longest side of a transcoded upload, px. */
export const MAX_SIDE = 1280;
/** HLS target segment duration, s (keyframes are forced on it, so every segment is this long but the last). */
export const SEGMENT_SECONDS = 2;
export const HLS_PLAYLIST = "index.m3u8";
export const HLS_INIT = "init.mp4";

export interface Transcoded {
  /** every file written to `outDir`, playlist last */
  files: string[];
  poster: string;
  durationMs: number | null;
  width: number | null;
  height: number | null;
}

const SCALE = `scale='if(gte(iw,ih),min(${MAX_SIDE},iw),-2)':'if(gte(iw,ih),-2,min(${MAX_SIDE},ih))'`;

/**
 * H.264 + AAC in fMP4 HLS (VOD playlist with its own EXT-X-MAP and EXT-X-ENDLIST, ~2 s segments), the
 * longest side at most 1280 (ffmpeg applies the source's rotation first, so phone videos stay vertical),
 * and a poster JPEG. A source without sound gets a silent track: every short video then has the same
 * streams, which players and channel stitching (EXT-X-DISCONTINUITY between items) rely on.
 * `onProgress` gets 0..1 from ffmpeg's `-progress` output. ffmpeg is killed when `signal` aborts.
 */
export async function transcodeToHls(o: { ffmpeg: string; ffprobe: string | null; source: string; outDir: string; durationMs: number; hasAudio: boolean; signal: AbortSignal; onProgress?(fraction: number): void }): Promise<Transcoded> {
  await fs.promises.rm(o.outDir, { recursive: true, force: true });
  await fs.promises.mkdir(o.outDir, { recursive: true });
  const audioIn = o.hasAudio ? [] : ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000"];
  const audioMap = o.hasAudio ? ["-map", "0:a:0"] : ["-map", "1:a:0", "-shortest"];
  const args = [
    ...FFMPEG_BASE_ARGS,
    "-y",
    "-i",
    o.source,
    ...audioIn,
    "-map",
    "0:v:0",
    ...audioMap,
    "-vf",
    `${SCALE},format=yuv420p`,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-crf",
    "23",
    "-profile:v",
    "high",
    "-force_key_frames",
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
    "-c:a",
    "aac",
    "-b:a",
    "128k",
    "-ar",
    "48000",
    "-ac",
    "2",
    "-f",
    "hls",
    "-hls_time",
    String(SEGMENT_SECONDS),
    "-hls_playlist_type",
    "vod",
    "-hls_segment_type",
    "fmp4",
    "-hls_fmp4_init_filename",
    HLS_INIT,
    "-hls_flags",
    "independent_segments",
    "-hls_segment_filename",
    path.join(o.outDir, "seg-%04d.m4s"),
    "-progress",
    "pipe:1",
    "-nostats",
    path.join(o.outDir, HLS_PLAYLIST),
  ];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(o.ffmpeg, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let pending = "";
    const onAbort = () => child.kill("SIGKILL");
    o.signal.addEventListener("abort", onAbort, { once: true });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^out_time_us=(\d+)/.exec(line);
        if (m && o.durationMs > 0) o.onProgress?.(Math.min(1, Number(m[1]) / 1000 / o.durationMs));
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
    child.once("error", reject);
    child.once("exit", (code, sig) => {
      o.signal.removeEventListener("abort", onAbort);
      if (o.signal.aborted) reject(o.signal.reason ?? new Error("aborted"));
      else if (code === 0) resolve();
      else reject(new Error(`ffmpeg transcode failed (${code ?? sig}): ${stderr.trim().slice(-500)}`));
    });
  });
  const poster = path.join(o.outDir, "poster.jpg");
  const at = Math.min(1, o.durationMs / 4000);
  const still = await exec(o.ffmpeg, [...FFMPEG_BASE_ARGS, "-y", "-ss", at.toFixed(3), "-i", o.source, "-map", "0:v:0", "-frames:v", "1", "-vf", SCALE, "-q:v", "3", "-f", "image2", poster], o.signal);
  if (still.code !== 0) throw new Error(`ffmpeg poster failed: ${still.stderr.trim().slice(-500)}`);
  const names = (await fs.promises.readdir(o.outDir)).filter((n) => n !== "poster.jpg" && n !== HLS_PLAYLIST).sort();
  if (!names.includes(HLS_INIT) || !names.some((n) => n.endsWith(".m4s"))) throw new Error("ffmpeg wrote no HLS segments");
  let durationMs: number | null = null;
  let width: number | null = null;
  let height: number | null = null;
  if (o.ffprobe) {
    const p = await exec(o.ffprobe, ["-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", path.join(o.outDir, HLS_PLAYLIST)], o.signal);
    try {
      const j = JSON.parse(p.stdout) as { format?: { duration?: string }; streams?: { codec_type?: string; width?: number; height?: number }[] };
      const d = Number(j.format?.duration);
      durationMs = Number.isFinite(d) ? Math.round(d * 1000) : null;
      const v = j.streams?.find((s) => s.codec_type === "video");
      width = v?.width ?? null;
      height = v?.height ?? null;
    } catch {
      /* dimensions stay unknown */
    }
  }
  return { files: [...names, HLS_PLAYLIST], poster, durationMs, width, height };
}
