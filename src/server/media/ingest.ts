import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { AppConfig } from "../config.ts";
import { resolveFfmpeg, spawnFfmpeg, type FfmpegProcess } from "./ffmpeg.ts";
import { createRtmpSession, maskRtmpUrls, onNmsEvent, redirectNmsLogging, type NmsRtmpSession } from "./nms.ts";
import { hlsPackagerArgs, PLAYLIST_FILE, SHOW_DIR } from "./packager.ts";

/** OBS is given `rtmp://<host>:<port>/live` as server and the show's stream key. */
export const RTMP_APP = "live";

export type EndReason = "publisher_stopped" | "stalled" | "stopped_by_host" | "packager_failed" | "server_shutdown";

export interface IngestCallbacks {
  /** Resolve a stream key to a show; null = refuse the publisher before any media is accepted. */
  authorizePublish(streamKey: string): Promise<{ showId: string } | null>;
  /** First media arrived and HLS packaging started: the show is live. */
  onLive(showId: string): Promise<void> | void;
  /**
   * The live session is over: publisher stopped or dropped, stalled (no media for
   * config.media.stallTimeoutMs), stopShow was called, the packager died, or the ingest is stopping.
   * Called exactly once per session that reached onLive, after its packager and files are gone;
   * a publisher that leaves before the show went live ends nothing.
   */
  onEnded(showId: string, reason: EndReason): Promise<void> | void;
}

export interface Ingest {
  /** Listens for RTMP on config.rtmp.port. Rejects if the port cannot be bound. */
  start(): Promise<void>;
  /** Ends every live session (onEnded "server_shutdown"), closes every connection, kills every ffmpeg. */
  stop(): Promise<void>;
  /** Kicks the publisher of this show, kills its packager and removes its HLS files. */
  stopShow(showId: string): Promise<void>;
  /** True once the show's first playlist exists, until its session ends. */
  isLive(showId: string): boolean;
  liveShowIds(): string[];
}

export interface IngestOptions {
  /** Interface to listen on; all interfaces when omitted. Tests pass "127.0.0.1". */
  host?: string;
  /** A connection that has not been authorized as publisher (or allowed as player) by then is closed. */
  handshakeTimeoutMs?: number;
}

interface LiveSession {
  showId: string;
  streamKey: string;
  publisher: NmsRtmpSession;
  /** RTMP players of this stream: the packager's own connection */
  players: Set<NmsRtmpSession>;
  dir: string;
  packager: FfmpegProcess;
  startedAt: number;
  lastInputAt: number;
  lastOutputAt: number;
  playlistMtimeMs: number;
  /** onLive call, once the first playlist exists */
  announced: Promise<void> | null;
  ending: Promise<void> | null;
  watchdog: NodeJS.Timeout | undefined;
  checking: boolean;
}

const WATCHDOG_INTERVAL_MS = 500;

/**
 * In-process RTMP ingest: node-media-server speaks RTMP, a stream key authorizes the publisher,
 * and one ffmpeg per live show repackages the stream to HLS (`-c copy`) under
 * `<hlsDir>/<showId>/`. See docs/media.md.
 */
export function createIngest(config: AppConfig, callbacks: IngestCallbacks, logger: Logger, options: IngestOptions = {}): Ingest {
  const { stallTimeoutMs, segmentSeconds, hlsDir } = config.media;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000;
  // Output can only move once per keyframe interval, which OBS may set to 10 s or more;
  // input bytes are the precise stall signal, the playlist check only catches a wedged ffmpeg.
  const packagerTimeoutMs = Math.max(stallTimeoutMs, 30_000);

  const sessions = new Set<NmsRtmpSession>();
  const sockets = new Set<net.Socket>();
  const live = new Map<string, LiveSession>();
  let server: net.Server | null = null;
  let ffmpegPath = "";
  let pullAddress = "";
  let stopping = false;
  let detach: (() => void)[] = [];

  const killAllNow = () => {
    for (const s of live.values()) s.packager.child.kill("SIGKILL");
  };

  function onConnection(socket: net.Socket) {
    if (stopping) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setTimeout(handshakeTimeoutMs);
    socket.on("timeout", () => socket.destroy());
    const session = createRtmpSession(socket);
    sessions.add(session);
    socket.once("close", () => {
      sockets.delete(socket);
      sessions.delete(session);
    });
  }

  function onPrePublish(session: NmsRtmpSession) {
    if (!sessions.has(session)) return;
    if (stopping || session.streamApp !== RTMP_APP) {
      logger.info({ peer: session.ip, app: session.streamApp }, "publish refused: unknown RTMP app");
      session.socket.destroy();
      return;
    }
    // NMS has already answered "publish started" and cannot wait for an async check:
    // read nothing more from this publisher until its key is known.
    session.socket.pause();
    void authorize(session);
  }

  async function authorize(session: NmsRtmpSession) {
    const { socket } = session;
    let grant: { showId: string } | null = null;
    try {
      grant = await callbacks.authorizePublish(session.streamName);
    } catch (err) {
      logger.error({ err }, "publish refused: authorizePublish failed");
    }
    if (socket.destroyed) return;
    if (stopping || socket.writableEnded) {
      // writableEnded: NMS itself refused it, e.g. a second publisher on the same stream key.
      if (socket.writableEnded) logger.info({ peer: session.ip, showId: grant?.showId }, "publish refused: stream key already in use");
      socket.destroy();
      return;
    }
    if (!grant) {
      logger.info({ peer: session.ip }, "publish refused: unknown stream key");
      socket.destroy();
      return;
    }
    if (!SHOW_DIR.test(grant.showId)) {
      logger.error({ showId: grant.showId }, "publish refused: show id is not usable as a directory name");
      socket.destroy();
      return;
    }
    if (live.has(grant.showId)) {
      logger.info({ peer: session.ip, showId: grant.showId }, "publish refused: show already has a publisher");
      socket.destroy();
      return;
    }
    begin(session, grant.showId);
  }

  function begin(publisher: NmsRtmpSession, showId: string) {
    const dir = path.join(hlsDir, showId);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const streamKey = publisher.streamName;
    let s: LiveSession | undefined; // assigned right below; read by `quiet` once ffmpeg writes
    const packager = spawnFfmpeg(
      ffmpegPath,
      hlsPackagerArgs({
        input: `rtmp://${pullAddress}/${RTMP_APP}/${streamKey}`,
        dir,
        segmentSeconds,
        sessionToken: Date.now().toString(36) + randomBytes(3).toString("hex"),
      }),
      { logger: logger.child({ showId, component: "hls-packager" }), redact: maskRtmpUrls, quiet: () => !!s?.ending },
    );
    const now = Date.now();
    s = {
      showId,
      streamKey,
      publisher,
      players: new Set(),
      dir,
      packager,
      startedAt: now,
      lastInputAt: now,
      lastOutputAt: now,
      playlistMtimeMs: 0,
      announced: null,
      ending: null,
      watchdog: undefined,
      checking: false,
    };
    live.set(showId, s);

    const { socket } = publisher;
    socket.setTimeout(0);
    socket.on("data", () => {
      s.lastInputAt = Date.now();
    });
    socket.once("close", () => void end(s, "publisher_stopped"));
    void packager.exited.then(({ code, signal }) => {
      if (s.ending) return;
      logger.warn({ showId, code, signal }, "HLS packager exited while the show was live");
      void end(s, reasonForPackagerExit(s));
    });
    s.watchdog = setInterval(() => void check(s), WATCHDOG_INTERVAL_MS);
    s.watchdog.unref();
    socket.resume();
    logger.info({ showId, peer: publisher.ip, pid: packager.child.pid }, "publisher accepted, packaging HLS");
  }

  function reasonForPackagerExit(s: LiveSession): EndReason {
    if (s.publisher.socket.destroyed) return "publisher_stopped";
    if (Date.now() - s.lastInputAt >= stallTimeoutMs / 2) return "stalled";
    return "packager_failed";
  }

  async function check(s: LiveSession) {
    if (s.ending || s.checking) return;
    s.checking = true;
    try {
      const now = Date.now();
      if (now - s.lastInputAt > stallTimeoutMs) {
        logger.warn({ showId: s.showId, silentMs: now - s.lastInputAt }, "publisher connected but sending no media");
        void end(s, "stalled");
        return;
      }
      const stat = await fs.promises.stat(path.join(s.dir, PLAYLIST_FILE)).catch(() => null);
      if (s.ending) return;
      if (stat && stat.mtimeMs !== s.playlistMtimeMs) {
        s.playlistMtimeMs = stat.mtimeMs;
        s.lastOutputAt = Date.now();
        if (!s.announced) announce(s);
      } else if (Date.now() - s.lastOutputAt > packagerTimeoutMs) {
        logger.error({ showId: s.showId }, "HLS packager produced no playlist update while media was arriving");
        void end(s, "packager_failed");
      }
    } finally {
      s.checking = false;
    }
  }

  function announce(s: LiveSession) {
    logger.info({ showId: s.showId, afterMs: Date.now() - s.startedAt }, "first HLS playlist written: show is live");
    s.announced = (async () => {
      try {
        await callbacks.onLive(s.showId);
      } catch (err) {
        logger.error({ err, showId: s.showId }, "onLive failed");
      }
    })();
  }

  function end(s: LiveSession, reason: EndReason): Promise<void> {
    s.ending ??= (async () => {
      clearInterval(s.watchdog);
      logger.info({ showId: s.showId, reason, wasLive: s.announced !== null }, "live session ending");
      // Closing its input makes ffmpeg finish its files and exit; it ignores a single SIGTERM
      // while blocked reading a quiet stream, so the signal is only the backstop.
      s.publisher.socket.destroy();
      for (const player of s.players) player.socket.destroy();
      await Promise.race([s.packager.exited, delay(1000)]);
      await s.packager.stop();
      await fs.promises.rm(s.dir, { recursive: true, force: true }).catch((err: unknown) => logger.warn({ err, dir: s.dir }, "could not remove HLS files"));
      // The slot stays taken until the files are gone, so a reconnecting publisher cannot lose its new ones.
      if (live.get(s.showId) === s) live.delete(s.showId);
      if (!s.announced) return;
      await s.announced;
      try {
        await callbacks.onEnded(s.showId, reason);
      } catch (err) {
        logger.error({ err, showId: s.showId }, "onEnded failed");
      }
    })();
    return s.ending;
  }

  function onPrePlay(session: NmsRtmpSession) {
    if (!sessions.has(session)) return;
    // Players are our own packagers; nobody else needs the raw stream.
    const { remoteAddress, localAddress } = session.socket;
    const sameHost = isLoopback(remoteAddress) || (!!remoteAddress && remoteAddress === localAddress);
    const target = session.streamApp === RTMP_APP ? [...live.values()].find((s) => s.streamKey === session.streamName && !s.ending) : undefined;
    if (!sameHost || !target) {
      logger.info({ peer: session.ip }, "RTMP play refused");
      session.socket.destroy();
      return;
    }
    session.socket.setTimeout(0);
    target.players.add(session);
    session.socket.once("close", () => target.players.delete(session));
  }

  async function removeStaleShowDirs() {
    await fs.promises.mkdir(hlsDir, { recursive: true });
    for (const entry of await fs.promises.readdir(hlsDir, { withFileTypes: true })) {
      if (entry.isDirectory() && SHOW_DIR.test(entry.name)) await fs.promises.rm(path.join(hlsDir, entry.name), { recursive: true, force: true });
    }
  }

  return {
    async start() {
      if (server) throw new Error("ingest already started");
      ffmpegPath = resolveFfmpeg(config.media.ffmpegPath);
      // Nothing is live before we listen; files left by a crash would be served as if it were.
      await removeStaleShowDirs();
      stopping = false;
      const srv = net.createServer(onConnection);
      await new Promise<void>((resolve, reject) => {
        srv.once("error", reject);
        srv.listen({ port: config.rtmp.port, host: options.host }, () => {
          srv.off("error", reject);
          resolve();
        });
      });
      srv.on("error", (err) => logger.error({ err }, "RTMP listener error"));
      server = srv;
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : config.rtmp.port;
      pullAddress = `${loopbackFor(options.host)}:${port}`;
      detach = [onNmsEvent("prePublish", onPrePublish), onNmsEvent("prePlay", onPrePlay), redirectNmsLogging(logger)];
      process.on("exit", killAllNow);
      logger.info({ port, host: options.host ?? "*", ffmpeg: ffmpegPath }, "RTMP ingest listening");
    },

    async stop() {
      const srv = server;
      if (!srv) return;
      stopping = true;
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      await Promise.all([...live.values()].map((s) => end(s, "server_shutdown")));
      for (const socket of sockets) socket.destroy();
      await closed;
      for (const undo of detach) undo();
      detach = [];
      process.off("exit", killAllNow);
      server = null;
      logger.info("RTMP ingest stopped");
    },

    async stopShow(showId) {
      const s = live.get(showId);
      if (s) await end(s, "stopped_by_host");
    },

    isLive(showId) {
      const s = live.get(showId);
      return !!s && s.announced !== null && s.ending === null;
    },

    liveShowIds() {
      return [...live.values()].filter((s) => s.announced !== null && s.ending === null).map((s) => s.showId);
    },
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

function isLoopback(address: string | undefined): boolean {
  return !!address && (address === "::1" || address.startsWith("127.") || address.startsWith("::ffff:127."));
}

/** Where our own packager connects: the listening interface, or loopback when listening on all. */
function loopbackFor(host: string | undefined): string {
  if (!host || host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return net.isIPv6(host) ? `[${host}]` : host;
}
