/**
 * A camera whose every frame says when it was taken: Node paints the instant (epoch ms) into each raw
 * frame as a barcode of black and white 16×16 blocks, writes the frame to ffmpeg at that instant, and
 * ffmpeg encodes it (x264, zero-latency tuning, a keyframe every second) and publishes it over RTMP,
 * as an encoder on the host's laptop would. A player that reads the barcode off the frame it is
 * showing knows that frame's true age: glass-to-glass latency, encoder included.
 *
 * The barcode: 3 rows of 20 blocks at the top of a 320×180 grey frame. 44 bits of epoch ms (enough
 * until the year 2527) then a 16-bit check (the ms value mod 65521), most significant bit first, left to
 * right, row by row; white is 1. 16-pixel blocks match H.264's macroblocks, so compression leaves them
 * readable; the check rejects a frame read mid-transition.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";

export const WIDTH = 320;
export const HEIGHT = 180;
export const BLOCK = 16;
export const BITS_PER_ROW = WIDTH / BLOCK; // 20
export const TIME_BITS = 44;
export const CHECK_BITS = 16;
export const CHECK_MODULUS = 65521;

/** The 60 bits of one instant: 44 of time, 16 of check. */
export function barcodeBits(ms: number): number[] {
  const bits: number[] = [];
  for (let i = TIME_BITS - 1; i >= 0; i--) bits.push(Math.floor(ms / 2 ** i) % 2);
  const check = ms % CHECK_MODULUS;
  for (let i = CHECK_BITS - 1; i >= 0; i--) bits.push((check >> i) & 1);
  return bits;
}

/** Reads bits back (the player does the same in the page); null when the check fails. */
export function decodeBits(bits: number[]): number | null {
  let ms = 0;
  for (let i = 0; i < TIME_BITS; i++) ms = ms * 2 + bits[i]!;
  let check = 0;
  for (let i = TIME_BITS; i < TIME_BITS + CHECK_BITS; i++) check = check * 2 + bits[i]!;
  return ms % CHECK_MODULUS === check ? ms : null;
}

/** A grey frame (luma only: ffmpeg reads it as gray) with the barcode of `ms` and a moving bar. */
export function paintFrame(frame: Buffer, ms: number, n: number) {
  frame.fill(96);
  const bits = barcodeBits(ms);
  bits.forEach((bit, k) => {
    const row = Math.floor(k / BITS_PER_ROW);
    const col = k % BITS_PER_ROW;
    const value = bit ? 235 : 16;
    for (let y = row * BLOCK; y < (row + 1) * BLOCK; y++) frame.fill(value, y * WIDTH + col * BLOCK, y * WIDTH + (col + 1) * BLOCK);
  });
  // Something that moves, so the encoder has real work and a frozen player is visible.
  const x = (n * 4) % WIDTH;
  for (let y = 4 * BLOCK; y < HEIGHT; y++) frame.fill(200, y * WIDTH + x, y * WIDTH + Math.min(WIDTH, x + 8));
}

export interface ClockSource {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Publishes the clock to `rtmpUrl` at `fps` until stopped. `hls`: ordinary HLS packagings of the very
 * same encoded frames (ffmpeg's tee muxer), written to directories, for the baselines: the same
 * encoder and the same frames, only the packaging differs.
 */
export function startClockSource(o: { rtmpUrl: string; fps?: number; hls?: { dir: string; segmentSeconds: number }[] }): ClockSource {
  const fps = o.fps ?? 30;
  const outputs = [
    `[f=flv:onfail=ignore]${o.rtmpUrl}`,
    ...(o.hls ?? []).map(
      (h) => `[f=hls:hls_time=${h.segmentSeconds}:hls_list_size=8:hls_flags=delete_segments+temp_file+independent_segments:hls_segment_filename=${h.dir}/s%d.ts]${h.dir}/index.m3u8`,
    ),
  ];
  const child = spawn(
    resolveFfmpeg(),
    [
      "-hide_banner", "-loglevel", "error",
      "-f", "rawvideo", "-pix_fmt", "gray", "-s", `${WIDTH}x${HEIGHT}`, "-framerate", String(fps), "-use_wallclock_as_timestamps", "1", "-i", "pipe:0",
      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
      "-map", "0:v", "-map", "1:a",
      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
      "-g", String(fps), "-keyint_min", String(fps), "-sc_threshold", "0", "-b:v", "600k",
      "-c:a", "aac", "-b:a", "64k",
      "-flags", "+global_header",
      "-f", "tee", outputs.join("|"),
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  child.stderr!.on("data", (d) => process.env.LATENCY_DEBUG && process.stderr.write(d));
  child.stdin!.on("error", () => {});
  const frame = Buffer.alloc(WIDTH * HEIGHT);
  const start = Date.now();
  let n = 0;
  let stopped = false;
  // Frames go out on the clock (not on a drifting interval): frame n at start + n / fps.
  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    while (start + (n * 1000) / fps <= now) {
      paintFrame(frame, Date.now(), n++);
      child.stdin!.write(frame);
    }
    setTimeout(tick, Math.max(1, start + (n * 1000) / fps - Date.now()));
  };
  tick();
  return {
    child,
    async stop() {
      stopped = true;
      child.stdin!.end();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}
