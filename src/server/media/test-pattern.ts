import { spawn } from "node:child_process";
import { FFMPEG_BASE_ARGS } from "./ffmpeg.ts";

export interface TestPatternOptions {
  /** RTMP URL including the stream key, e.g. rtmp://127.0.0.1:1935/live/KEY */
  url: string;
  /** stop after this many seconds; runs until killed when omitted */
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** burn in a clock; needs drawtext with a usable default font (see drawtextWorks) */
  clock?: boolean;
  /** x264 preset; "ultrafast" keeps test CPU low */
  preset?: string;
}

/**
 * Full ffmpeg argument list (base args included) that pushes a moving test picture and a tone
 * that beeps every second, encoded the way we tell hosts to set up OBS: H.264 with a keyframe
 * every second, AAC audio, FLV over RTMP, in real time.
 */
export function testPatternArgs(o: TestPatternOptions): string[] {
  const width = o.width ?? 720;
  const height = o.height ?? 1280;
  const fps = o.fps ?? 30;
  const kbps = Math.max(300, Math.round((width * height * fps * 0.07) / 1000));
  const filters = ["format=yuv420p"];
  if (o.clock) {
    const size = Math.max(10, Math.round(Math.min(width, height) / 16));
    const line = (text: string, y: string) =>
      `drawtext=text='${text}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=${Math.round(size / 4)}:x=(w-text_w)/2:y=${y}`;
    filters.unshift(line("VETRINA TEST", "h*0.06"), line("%{localtime}", `h*0.06+${Math.round(size * 1.6)}`));
  }
  return [
    ...FFMPEG_BASE_ARGS,
    "-re", "-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}`,
    "-re", "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=2:sample_rate=48000",
    ...(o.seconds !== undefined ? ["-t", String(o.seconds)] : []),
    "-vf", filters.join(","),
    "-c:v", "libx264", "-preset", o.preset ?? "veryfast", "-tune", "zerolatency",
    "-g", String(fps), "-keyint_min", String(fps), "-sc_threshold", "0",
    "-b:v", `${kbps}k`, "-maxrate", `${kbps}k`, "-bufsize", `${kbps * 2}k`,
    "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000",
    "-f", "flv", "-flvflags", "no_duration_filesize",
    o.url,
  ];
}

/** Whether this ffmpeg can draw text without a font file (needs libfreetype and fontconfig). */
export function drawtextWorks(ffmpegPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      ffmpegPath,
      [...FFMPEG_BASE_ARGS, "-f", "lavfi", "-i", "color=size=64x64:rate=1", "-vf", "drawtext=text='%{localtime}'", "-frames:v", "1", "-f", "null", "-"],
      { stdio: "ignore" },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("error", () => resolve(false));
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}
