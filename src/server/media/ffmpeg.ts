import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { spawn, type ChildProcess } from "node:child_process";
import type { Logger } from "pino";

/** Every ffmpeg we run: no banner, only problems on stderr, never reads the terminal. */
export const FFMPEG_BASE_ARGS: readonly string[] = ["-hide_banner", "-loglevel", "warning", "-nostdin"];

/**
 * Which ffmpeg to run: the configured path (FFMPEG_PATH) if given, else the system's ffmpeg
 * (on PATH, then the usual install locations), else the static build of `@ffmpeg-installer/ffmpeg`.
 * The system build comes first because the npm one is an old (2018) static build.
 */
export function resolveFfmpeg(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = configured ?? env.FFMPEG_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`FFMPEG_PATH ${explicit} is not an executable file`);
    return explicit;
  }
  const system = findOnPath("ffmpeg", env) ?? ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg", "/opt/homebrew/bin/ffmpeg"].find(isExecutable);
  if (system) return system;
  const bundled = bundledFfmpeg();
  if (bundled) return bundled;
  throw new Error("ffmpeg not found: install it (apt install ffmpeg) or set FFMPEG_PATH");
}

/** ffprobe next to the given ffmpeg, else on PATH; null when there is none (the npm build has none). */
export function resolveFfprobe(ffmpegPath?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  if (ffmpegPath) {
    const sibling = path.join(path.dirname(ffmpegPath), process.platform === "win32" ? "ffprobe.exe" : "ffprobe");
    if (isExecutable(sibling)) return sibling;
  }
  return findOnPath("ffprobe", env) ?? (isExecutable("/usr/bin/ffprobe") ? "/usr/bin/ffprobe" : null);
}

export interface FfmpegProcess {
  child: ChildProcess;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns ffmpeg with FFMPEG_BASE_ARGS prepended; its stderr (warnings and errors only) goes to the
 * logger line by line, so a failing packager explains itself in the server log. stdin is closed;
 * stdout is discarded unless `stdout: "pipe"`.
 */
export function spawnFfmpeg(
  ffmpegPath: string,
  args: readonly string[],
  opts: {
    logger?: Logger;
    /** e.g. mask secrets that ffmpeg echoes in URLs */
    redact?: (line: string) => string;
    /** when true, stderr goes to debug: complaints about an input we closed on purpose are expected */
    quiet?: () => boolean;
    /**
     * "pipe": stdout is `child.stdout` (e.g. the packager's fragmented MP4 on `pipe:1`). The caller
     * must read it to the end, or ffmpeg blocks once the pipe is full. Default: discarded.
     */
    stdout?: "pipe" | "ignore";
    /** this many more pipes after stderr, fds 3, 4, … (`pipe:3`…): `child.stdio[3]`…, read them to the end too */
    extraPipes?: number;
  } = {},
): FfmpegProcess {
  const { logger, redact = (line: string) => line, quiet = () => false } = opts;
  const child = spawn(ffmpegPath, [...FFMPEG_BASE_ARGS, ...args], { stdio: ["ignore", opts.stdout ?? "ignore", "pipe", ...Array<"pipe">(opts.extraPipes ?? 0).fill("pipe")] });
  let pending = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim() || !logger) continue;
      if (quiet()) logger.debug({ pid: child.pid }, `ffmpeg: ${redact(line)}`);
      else logger.warn({ pid: child.pid }, `ffmpeg: ${redact(line)}`);
    }
    if (pending.length > 4096) pending = "";
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    // Failure to spawn (e.g. binary removed) emits "error" and no "exit".
    child.once("error", (err) => {
      logger?.error({ err }, "ffmpeg could not be started");
      resolve({ code: null, signal: null });
    });
  });
  return { child, exited, stop: (graceMs) => stopProcess(child, exited, graceMs) };
}

/** SIGTERM lets ffmpeg finish its files; SIGKILL is the backstop for one stuck in blocking I/O. */
export async function stopProcess(child: ChildProcess, exited: Promise<unknown>, graceMs = 3000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const killed = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (killed) {
    child.kill("SIGKILL");
    await exited;
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  const exts = process.platform === "win32" ? [".exe", ""] : [""];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function bundledFfmpeg(): string | null {
  try {
    // CommonJS package that throws on platforms it has no build for.
    const installer: { path?: unknown } = createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg");
    return typeof installer.path === "string" && isExecutable(installer.path) ? installer.path : null;
  } catch {
    return null;
  }
}
