import net from "node:net";
import type { Readable } from "node:stream";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { AppConfig } from "../config.ts";
import { resolveFfmpeg, spawnFfmpeg, type FfmpegProcess } from "./ffmpeg.ts";
import { Fmp4Splitter, type Fragment } from "./llhls/fmp4.ts";
import type { LlHlsProblem, LlHlsProblemKind, LlHlsStream } from "./llhls/playlist.ts";
import { createRtmpSession, maskRtmpUrls, onMediaPacket, onNmsEvent, redirectNmsLogging, type NmsRtmpSession } from "./nms.ts";
import { createShowStream, linkRenditions, type Variant } from "./origin.ts";
import { llHlsPackagerArgs, whipPackagerArgs } from "./packager.ts";
import { acceptWhipOffer, WhipOfferError, type WhipNetworkConfig, type WhipPeer } from "./whip.ts";

/** OBS is given `rtmp://<host>:<port>/live` as server and the show's stream key. */
export const RTMP_APP = "live";

export type EndReason = "publisher_stopped" | "stalled" | "stopped_by_host" | "packager_failed" | "server_shutdown";

export interface IngestCallbacks {
  /** Resolve a stream key to a show; null = refuse the publisher before any media is accepted. */
  authorizePublish(streamKey: string): Promise<{ showId: string } | null>;
  /** The show's playlist has its first part: the show is live. */
  onLive(showId: string): Promise<void> | void;
  /**
   * The live session is over: publisher stopped or dropped, stalled (no media for
   * config.media.stallTimeoutMs), stopShow was called, the packager died, or the ingest is stopping.
   * Called exactly once per session that reached onLive, after its packager is gone and its stream ended;
   * a publisher that leaves before the show went live ends nothing.
   */
  onEnded(showId: string, reason: EndReason): Promise<void> | void;
}

export interface Ingest {
  /** Listens for RTMP on config.rtmp.port. Rejects if the port cannot be bound. */
  start(): Promise<void>;
  /** Ends every live session (onEnded "server_shutdown"), closes every connection, kills every ffmpeg. */
  stop(): Promise<void>;
  /** Kicks the publisher of this show, kills its packager and ends its stream. */
  stopShow(showId: string): Promise<void>;
  /** True once the show's playlist has its first part, until its session ends. */
  isLive(showId: string): boolean;
  liveShowIds(): string[];
  /**
   * The show's LL-HLS stream, for the routes: from the moment the show is live until
   * `endedStreamTtlMs` after its session ended (then the stream says EXT-X-ENDLIST); else null.
   */
  stream(showId: string): LlHlsStream | null;
  /** The stream and its transcoded renditions (HLS_RENDITIONS), under the same conditions as `stream`. */
  variants(showId: string): Variant[] | null;
  /**
   * WHIP (RFC 9725): a publisher offers SDP with the show's stream key as bearer token; the answer
   * is sent back and the show goes live like an RTMP one. `resourceId` names the session for DELETE.
   */
  publishWhip(streamKey: string, offer: string): Promise<WhipPublishResult>;
  /** Ends a WHIP session (DELETE on its resource); the same stream key must be presented. */
  endWhip(resourceId: string, streamKey: string): Promise<"ended" | "not_found" | "forbidden">;
  /**
   * INGEST=external: an edge RTMP server (nginx-rtmp `on_publish`) asks whether it may accept a
   * publisher on this stream key. Accepted: the packager pulls the stream from INGEST_PULL_URL (retrying
   * while the edge is still setting the publish up) and the show goes live as with the embedded ingest.
   * `clientId` is the edge's connection id, so that a late `on_publish_done` of an earlier connection
   * cannot end a newer one.
   */
  publishEdge(streamKey: string, clientId: string | null): Promise<EdgePublishResult>;
  /** The edge's publisher on this key is gone (`on_publish_done`): the session ends ("publisher_stopped"). */
  endEdge(streamKey: string, clientId: string | null): Promise<"ended" | "not_found">;
  /** `on_update`: does this server still want the edge's publisher on this key? false: the edge drops it. */
  edgeWanted(streamKey: string, clientId: string | null): boolean;
}

export type EdgePublishResult =
  | { ok: true; showId: string }
  | { ok: false; code: "invalid_stream_key" | "show_already_live" | "stream_unavailable"; message: string };

export type WhipPublishResult =
  | { ok: true; answer: string; resourceId: string }
  | { ok: false; code: "invalid_stream_key" | "show_already_live" | "whip_offer_invalid" | "whip_codec_unsupported" | "stream_unavailable"; message: string };

export interface IngestOptions {
  /** Interface to listen on; all interfaces when omitted. Tests pass "127.0.0.1". */
  host?: string;
  /** A connection that has not been authorized as publisher (or allowed as player) by then is closed. */
  handshakeTimeoutMs?: number;
  /**
   * How long an ended session's stream is still served (its final playlist, with EXT-X-ENDLIST, and
   * its media), so that players reloading after the end see the end rather than a 404. Default 10 s.
   */
  endedStreamTtlMs?: number;
  /** Where WHIP offers ICE candidates; default: every interface, or only HOST when it is not a wildcard. */
  whip?: Partial<WhipNetworkConfig>;
  /** Records every session's stream (recorder.ts); no recording when omitted. */
  recorder?: { record(showId: string, stream: LlHlsStream): void };
}

/** What the session needs from a publisher, whatever its protocol. */
interface Publisher {
  protocol: "rtmp" | "whip" | "edge";
  peer: string;
  /** when media last arrived from it */
  lastInputAt(): number;
  /** its connection is gone */
  gone(): boolean;
  onGone(cb: () => void): void;
  /** drops the connection */
  kick(): void;
  /** The packager's media time (s) → capture instant (epoch ms), once known: PROGRAM-DATE-TIME. */
  clock(): ((mediaTime: number) => number) | null;
}

interface LiveSession {
  showId: string;
  publisher: Publisher;
  /** RTMP: the stream key and the players of the stream (the packager's own connection) */
  rtmp: { streamKey: string; players: Set<NmsRtmpSession> } | null;
  /** WHIP: the resource that DELETE ends, and the stream key it was opened with */
  whip: { resourceId: string; streamKey: string; peer: WhipPeer } | null;
  /** INGEST=external: the edge's publish this session pulls */
  edge: EdgePublish | null;
  packager: FfmpegProcess;
  /** resolves once the packager's stdout has been read to its end (or closed) */
  outputDone: Promise<void>;
  stream: LlHlsStream;
  /** the stream (variant 0) and its transcoded renditions */
  variants: Variant[];
  /** media time (s) ↔ epoch ms of the first accepted part's first frame, for PROGRAM-DATE-TIME */
  clock: { media: number; wall: number } | null;
  problems: ProblemLog;
  startedAt: number;
  /** the packager's last fragment */
  lastOutputAt: number;
  /** onLive call, once the playlist has its first part */
  announced: Promise<void> | null;
  ending: Promise<void> | null;
  watchdog: NodeJS.Timeout | undefined;
}

/**
 * INGEST=external: one publish the edge accepted after asking us (`on_publish`), until the edge says it
 * is done, or we end it. Its packager may be started more than once (see publishEdge).
 */
interface EdgePublish {
  streamKey: string;
  showId: string;
  clientId: string | null;
  /** the edge said `on_publish_done` */
  gone: boolean;
  goneCallbacks: (() => void)[];
  /** packagers started so far */
  attempts: number;
  session: LiveSession | null;
  /** the next pull, when one is scheduled */
  timer: NodeJS.Timeout | undefined;
}

/**
 * The edge calls `on_publish` before it registers the publisher, and with `idle_streams off` it refuses a
 * play of a stream that is not published yet: the first pull waits a moment after we answer, and a pull
 * that fails before the first fragment is retried while the edge still holds the publish.
 */
const EDGE_FIRST_PULL_DELAY_MS = 250;
const EDGE_PULL_RETRY_MS = 750;
const EDGE_PULL_ATTEMPTS = 6;

const WATCHDOG_INTERVAL_MS = 500;
/** the same kind of LL-HLS problem is logged at most this often per session (with a count) */
const PROBLEM_LOG_INTERVAL_MS = 30_000;

/**
 * In-process RTMP ingest: node-media-server speaks RTMP, a stream key authorizes the publisher,
 * and one ffmpeg per live show repackages the stream (`-c copy`) to fragmented MP4 on its stdout,
 * which an Fmp4Splitter cuts into the parts of the show's in-memory LL-HLS stream. See docs/media.md.
 */
export function createIngest(config: AppConfig, callbacks: IngestCallbacks, logger: Logger, options: IngestOptions = {}): Ingest {
  const { stallTimeoutMs, segmentSeconds } = config.media;
  const renditions = config.media.renditions ?? [];
  const external = config.ingest?.kind === "external" ? config.ingest : null;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 15_000;
  const endedStreamTtlMs = options.endedStreamTtlMs ?? 10_000;
  // The first fragment waits for the first keyframe, and OBS's keyframe interval may be 10 s or
  // more; input bytes are the precise stall signal, the fragment check only catches a wedged ffmpeg.
  const packagerTimeoutMs = Math.max(stallTimeoutMs, 30_000);

  const sessions = new Set<NmsRtmpSession>();
  const sockets = new Set<net.Socket>();
  const live = new Map<string, LiveSession>();
  /** streams of sessions that ended, served (final playlist) until their timer drops them */
  const ended = new Map<string, { stream: LlHlsStream; variants: Variant[]; timer: NodeJS.Timeout }>();
  let server: net.Server | null = null;
  /** INGEST=external: the edge's publishes, by stream key */
  const edge = new Map<string, EdgePublish>();
  /** started and not stopping (with INGEST=external there is no listener) */
  let running = false;
  let ffmpegPath = "";
  let pullAddress = "";
  let stopping = false;
  let detach: (() => void)[] = [];
  const wildcardHost = !options.host || options.host === "0.0.0.0" || options.host === "::";
  const whipNetwork: WhipNetworkConfig = {
    interfaceAddresses: options.whip?.interfaceAddresses ?? (wildcardHost ? [] : [options.host!]),
    announcedAddresses: options.whip?.announcedAddresses ?? [],
    portRange: options.whip?.portRange,
    iceServers: options.whip?.iceServers ?? [],
  };

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
    if (live.has(grant.showId)) {
      logger.info({ peer: session.ip, showId: grant.showId }, "publish refused: show already has a publisher");
      socket.destroy();
      return;
    }
    beginRtmp(session, grant.showId);
  }

  function beginRtmp(rtmp: NmsRtmpSession, showId: string) {
    const streamKey = rtmp.streamName;
    const { socket } = rtmp;
    let lastInputAt = Date.now();
    socket.setTimeout(0);
    socket.on("data", () => {
      lastInputAt = Date.now();
    });
    // RTMP timestamps are the publisher's media clock (ms); the packager keeps them (-copyts).
    // The smallest (arrival − timestamp) over the video messages is when that clock started, as
    // seen here: the capture instant of each frame, up to the encoder's and the network's delay.
    let arrivalMinusTs = Infinity;
    onMediaPacket(rtmp, (p) => {
      if (p.kind === "video") arrivalMinusTs = Math.min(arrivalMinusTs, Date.now() - p.dts);
    });
    const publisher: Publisher = {
      protocol: "rtmp",
      peer: rtmp.ip,
      lastInputAt: () => lastInputAt,
      gone: () => socket.destroyed,
      onGone: (cb) => void socket.once("close", cb),
      kick: () => socket.destroy(),
      clock: () => (Number.isFinite(arrivalMinusTs) ? (t) => arrivalMinusTs + t * 1000 : null),
    };
    begin(showId, publisher, llHlsPackagerArgs({ input: `rtmp://${pullAddress}/${RTMP_APP}/${streamKey}`, renditions }), { rtmp: { streamKey, players: new Set() }, whip: null, edge: null });
    socket.resume();
  }

  function begin(showId: string, publisher: Publisher, packagerArgs: string[], kind: Pick<LiveSession, "rtmp" | "whip" | "edge">): LiveSession {
    const log = logger.child({ showId, component: "hls-packager" });
    let s: LiveSession | undefined; // assigned right below; read by the callbacks once ffmpeg writes
    const problems = problemLog(log, () => !!s?.ending);
    const stream = createShowStream(segmentSeconds, (p) => problems.report(p));
    options.recorder?.record(showId, stream);
    // The source (copied) is variant 0; each HLS_RENDITIONS height is one more, on pipe:3, pipe:4, …
    const variants: Variant[] = [stream, ...renditions.map(() => createShowStream(segmentSeconds, (p) => problems.report(p)))].map((v, i) => ({ name: `v${i}.m3u8`, stream: v, init: null }));
    linkRenditions(variants);
    const packager = spawnFfmpeg(ffmpegPath, packagerArgs, {
      logger: log,
      redact: maskRtmpUrls,
      quiet: () => !!s?.ending,
      stdout: "pipe",
      extraPipes: renditions.length,
    });
    const outputs = variants.map((variant, i) => {
      const splitter = new Fmp4Splitter({
        init: (init) => {
          log.debug({ codecs: init.codecs, variant: i }, "packager init segment");
          variant.init = init;
          variant.stream.setInit(init.data);
        },
        fragment: (f) => {
          if (s) onFragment(s, variant.stream, f);
        },
        error: (err) => {
          if (!s || s.ending) return void log.debug({ err }, "packager output cut short while ending");
          log.error({ err, variant: i }, "packager output is not usable fragmented MP4");
          void end(s, "packager_failed");
        },
      });
      return readToEnd(packager.child.stdio[i === 0 ? 1 : 2 + i] as Readable | null, splitter, log);
    });
    const outputDone = Promise.all(outputs).then(() => {});
    const now = Date.now();
    s = {
      showId,
      publisher,
      ...kind,
      packager,
      outputDone,
      stream,
      variants,
      clock: null,
      problems,
      startedAt: now,
      lastOutputAt: now,
      announced: null,
      ending: null,
      watchdog: undefined,
    };
    const session = s;
    live.set(showId, session);

    publisher.onGone(() => void end(session, "publisher_stopped"));
    void packager.exited.then(({ code, signal }) => {
      if (session.ending) return;
      const reason = reasonForPackagerExit(session, code);
      if (reason === "publisher_stopped") logger.info({ showId, code, signal }, "HLS packager's input ended");
      else logger.warn({ showId, code, signal }, "HLS packager exited while the show was live");
      void end(session, reason);
    });
    session.watchdog = setInterval(() => check(session), WATCHDOG_INTERVAL_MS);
    session.watchdog.unref();
    logger.info({ showId, protocol: publisher.protocol, peer: publisher.peer, pid: packager.child.pid }, "publisher accepted, packaging LL-HLS");
    return session;
  }

  /** One fragment from the packager: one part of one of the show's streams (variants share media time). */
  function onFragment(s: LiveSession, stream: LlHlsStream, f: Fragment) {
    const now = Date.now();
    s.lastOutputAt = now;
    // PROGRAM-DATE-TIME follows media time exactly, anchored at the first part the stream accepts
    // (it starts at a keyframe): to the capture instant the publisher's clock gives that media
    // time, else to arrival (a fragment reaches us about its own duration after its first frame).
    if (!s.clock && f.independent) {
      const capture = s.publisher.clock();
      s.clock = { media: f.start, wall: capture ? capture(f.start) : now - f.duration * 1000 };
      // How long the first part took from capture to here (encoder, network, the packager's probe).
      logger.info({ showId: s.showId, protocol: s.publisher.protocol, captureClock: !!capture, firstPartLagMs: Math.round(now - (s.clock.wall + f.duration * 1000)) }, "PROGRAM-DATE-TIME anchored");
    }
    const wallClock = s.clock ? s.clock.wall + (f.start - s.clock.media) * 1000 : now;
    stream.addPart({ data: f.data, duration: f.duration, independent: f.independent, wallClock });
    if (!s.announced && !s.ending && s.stream.resource(s.stream.partName(0))) announce(s);
  }

  function reasonForPackagerExit(s: LiveSession, code: number | null): EndReason {
    if (s.publisher.gone()) return "publisher_stopped";
    // The edge closes its players when its publisher leaves (idle_streams off): the packager reads
    // the end of the stream and exits cleanly, usually just before on_publish_done arrives.
    if (s.edge && code === 0) return "publisher_stopped";
    if (Date.now() - s.publisher.lastInputAt() >= stallTimeoutMs / 2) return "stalled";
    return "packager_failed";
  }

  function check(s: LiveSession) {
    if (s.ending) return;
    const now = Date.now();
    const lastInputAt = s.publisher.lastInputAt();
    if (now - lastInputAt > stallTimeoutMs) {
      logger.warn({ showId: s.showId, silentMs: now - lastInputAt }, "publisher connected but sending no media");
      void end(s, "stalled");
    } else if (now - s.lastOutputAt > packagerTimeoutMs) {
      logger.error({ showId: s.showId, silentMs: now - s.lastOutputAt }, "HLS packager produced no fragment while media was arriving");
      void end(s, "packager_failed");
    }
  }

  function announce(s: LiveSession) {
    logger.info({ showId: s.showId, afterMs: Date.now() - s.startedAt }, "first LL-HLS part ready: show is live");
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
      s.publisher.kick();
      for (const player of s.rtmp?.players ?? []) player.socket.destroy();
      await Promise.race([s.packager.exited, delay(1000)]);
      await s.packager.stop();
      // The last fragments ffmpeg flushed on its way out become the last parts.
      await Promise.race([s.outputDone, delay(1000)]);
      // Blocked playlist requests get the final playlist (EXT-X-ENDLIST); hinted-part requests a 404.
      for (const v of s.variants) v.stream.end();
      s.problems.flush();
      if (s.announced) keepEnded(s);
      if (live.get(s.showId) === s) live.delete(s.showId);
      if (s.edge) edgeSessionEnded(s, reason);
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

  /** The ended stream stays served for endedStreamTtlMs, then its memory is let go. */
  function keepEnded(s: LiveSession) {
    const previous = ended.get(s.showId);
    if (previous) clearTimeout(previous.timer);
    const entry = {
      stream: s.stream,
      variants: s.variants,
      timer: setTimeout(() => {
        if (ended.get(s.showId) === entry) ended.delete(s.showId);
      }, endedStreamTtlMs),
    };
    entry.timer.unref();
    ended.set(s.showId, entry);
  }

  function onPrePlay(session: NmsRtmpSession) {
    if (!sessions.has(session)) return;
    // Players are our own packagers; nobody else needs the raw stream.
    const { remoteAddress, localAddress } = session.socket;
    const sameHost = isLoopback(remoteAddress) || (!!remoteAddress && remoteAddress === localAddress);
    const target = session.streamApp === RTMP_APP ? [...live.values()].find((s) => s.rtmp?.streamKey === session.streamName && !s.ending) : undefined;
    if (!sameHost || !target) {
      logger.info({ peer: session.ip }, "RTMP play refused");
      session.socket.destroy();
      return;
    }
    session.socket.setTimeout(0);
    const players = target.rtmp!.players;
    players.add(session);
    session.socket.once("close", () => players.delete(session));
  }

  async function publishWhip(streamKey: string, offer: string): Promise<WhipPublishResult> {
    if (stopping || !running) return { ok: false, code: "stream_unavailable", message: "The ingest is not running." };
    let grant: { showId: string } | null = null;
    try {
      grant = await callbacks.authorizePublish(streamKey);
    } catch (err) {
      logger.error({ err }, "WHIP publish refused: authorizePublish failed");
      return { ok: false, code: "stream_unavailable", message: "The stream key could not be checked; try again." };
    }
    if (!grant) return { ok: false, code: "invalid_stream_key", message: "Unknown stream key, or the show has ended." };
    const { showId } = grant;
    if (busy(showId)) return { ok: false, code: "show_already_live", message: "The show already has a publisher." };
    const log = logger.child({ showId, component: "whip" });
    let peer: WhipPeer;
    try {
      peer = await acceptWhipOffer(offer, whipNetwork, log);
    } catch (err) {
      if (err instanceof WhipOfferError) return { ok: false, code: err.code, message: err.message };
      throw err;
    }
    // Another publisher may have won while the offer was negotiated.
    if (busy(showId) || stopping) {
      await peer.close();
      return { ok: false, code: "show_already_live", message: "The show already has a publisher." };
    }
    const resourceId = randomBytes(16).toString("base64url");
    let gone = false;
    peer.onGone(() => {
      gone = true;
    });
    const publisher: Publisher = {
      protocol: "whip",
      peer: "webrtc",
      lastInputAt: () => peer.lastInputAt,
      gone: () => gone,
      onGone: (cb) => peer.onGone(cb),
      kick: () => {
        gone = true;
        void peer.close();
      },
      clock: () => {
        const t0 = peer.firstFrameCapturedAt;
        return t0 === null ? null : (t) => t0 + t * 1000;
      },
    };
    begin(showId, publisher, whipPackagerArgs({ sdp: peer.packagerSdp, renditions }), { rtmp: null, whip: { resourceId, streamKey, peer }, edge: null });
    return { ok: true, answer: peer.answer, resourceId };
  }

  /** A publisher (or a pending edge publish) already holds this show. */
  function busy(showId: string): boolean {
    return live.has(showId) || [...edge.values()].some((e) => e.showId === showId);
  }

  async function publishEdge(streamKey: string, clientId: string | null): Promise<EdgePublishResult> {
    if (!external || stopping || !running) return { ok: false, code: "stream_unavailable", message: "The ingest is not running." };
    let grant: { showId: string } | null = null;
    try {
      grant = await callbacks.authorizePublish(streamKey);
    } catch (err) {
      logger.error({ err }, "edge publish refused: authorizePublish failed");
      return { ok: false, code: "stream_unavailable", message: "The stream key could not be checked; try again." };
    }
    if (!grant) return { ok: false, code: "invalid_stream_key", message: "Unknown stream key, or the show has ended." };
    // Checked after the await: another publish of the same show may have been accepted meanwhile.
    if (stopping) return { ok: false, code: "stream_unavailable", message: "The ingest is stopping." };
    if (busy(grant.showId)) return { ok: false, code: "show_already_live", message: "The show already has a publisher." };
    const e: EdgePublish = { streamKey, showId: grant.showId, clientId, gone: false, goneCallbacks: [], attempts: 0, session: null, timer: undefined };
    edge.set(streamKey, e);
    e.timer = setTimeout(() => pullEdge(e), EDGE_FIRST_PULL_DELAY_MS);
    logger.info({ showId: e.showId, clientId }, "edge publish accepted");
    return { ok: true, showId: e.showId };
  }

  /** Starts a packager that plays the stream back from the edge (INGEST_PULL_URL). */
  function pullEdge(e: EdgePublish) {
    e.timer = undefined;
    if (e.gone || stopping || edge.get(e.streamKey) !== e) return forgetEdge(e);
    e.attempts++;
    let session: LiveSession | undefined;
    const publisher: Publisher = {
      protocol: "edge",
      peer: "edge",
      // The edge holds the publisher's connection; what reaches us is the packager's output, so a
      // packager that writes nothing for MEDIA_STALL_TIMEOUT_MS means a stalled publisher.
      lastInputAt: () => session?.lastOutputAt ?? Date.now(),
      gone: () => e.gone,
      onGone: (cb) => void e.goneCallbacks.push(cb),
      // The edge drops its publisher at its next on_update, which edgeWanted() then refuses.
      kick: () => {},
      clock: () => null,
    };
    const input = external!.pullUrl.replace("{key}", encodeURIComponent(e.streamKey));
    session = begin(e.showId, publisher, llHlsPackagerArgs({ input, renditions }), { rtmp: null, whip: null, edge: e });
    e.session = session;
  }

  /** A session of an edge publish ended: pull again if it never got going and the edge still holds the publish. */
  function edgeSessionEnded(s: LiveSession, reason: EndReason) {
    const e = s.edge!;
    if (e.session !== s) return;
    e.session = null;
    if (!s.announced && reason === "packager_failed" && !e.gone && !stopping && e.attempts < EDGE_PULL_ATTEMPTS && edge.get(e.streamKey) === e) {
      logger.info({ showId: e.showId, attempt: e.attempts }, "pull from the edge failed before any media; retrying");
      e.timer = setTimeout(() => pullEdge(e), EDGE_PULL_RETRY_MS);
      return;
    }
    forgetEdge(e);
  }

  /** Once forgotten, the edge's next on_update for this publish is refused, and the edge drops it. */
  function forgetEdge(e: EdgePublish) {
    clearTimeout(e.timer);
    e.timer = undefined;
    if (edge.get(e.streamKey) === e) edge.delete(e.streamKey);
  }

  function edgeOf(streamKey: string, clientId: string | null): EdgePublish | null {
    const e = edge.get(streamKey);
    if (!e) return null;
    // A done or update of another (earlier) connection on the same key is not about this publish.
    if (clientId !== null && e.clientId !== null && clientId !== e.clientId) return null;
    return e;
  }

  return {
    async start() {
      if (running) throw new Error("ingest already started");
      ffmpegPath = resolveFfmpeg(config.media.ffmpegPath);
      stopping = false;
      if (external) {
        // No RTMP listener: the edge accepts publishers and asks us through its callbacks.
        running = true;
        process.on("exit", killAllNow);
        if (!external.callbackSecret) logger.warn("INGEST=external without INGEST_CALLBACK_SECRET: anyone who can reach /api/v1/ingest/nginx/* may call it");
        logger.info({ pull: maskRtmpUrls(external.pullUrl), ffmpeg: ffmpegPath }, "external RTMP ingest: waiting for the edge's callbacks");
        return;
      }
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
      running = true;
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : config.rtmp.port;
      pullAddress = `${loopbackFor(options.host)}:${port}`;
      detach = [onNmsEvent("prePublish", onPrePublish), onNmsEvent("prePlay", onPrePlay), redirectNmsLogging(logger)];
      process.on("exit", killAllNow);
      logger.info({ port, host: options.host ?? "*", ffmpeg: ffmpegPath }, "RTMP ingest listening");
    },

    async stop() {
      if (!running) return;
      const srv = server;
      stopping = true;
      const closed = srv ? new Promise<void>((resolve) => srv.close(() => resolve())) : Promise.resolve();
      for (const e of [...edge.values()]) {
        if (!e.session) forgetEdge(e);
      }
      await Promise.all([...live.values()].map((s) => end(s, "server_shutdown")));
      for (const e of [...edge.values()]) forgetEdge(e);
      for (const e of ended.values()) clearTimeout(e.timer);
      ended.clear();
      for (const socket of sockets) socket.destroy();
      await closed;
      for (const undo of detach) undo();
      detach = [];
      process.off("exit", killAllNow);
      server = null;
      running = false;
      logger.info("RTMP ingest stopped");
    },

    async stopShow(showId) {
      const s = live.get(showId);
      if (s) await end(s, "stopped_by_host");
      // An edge publish between two pulls has no session to end: forget it, so the edge drops it.
      for (const e of [...edge.values()]) if (e.showId === showId) forgetEdge(e);
    },

    isLive(showId) {
      const s = live.get(showId);
      return !!s && s.announced !== null && s.ending === null;
    },

    liveShowIds() {
      return [...live.values()].filter((s) => s.announced !== null && s.ending === null).map((s) => s.showId);
    },

    stream(showId) {
      const s = live.get(showId);
      if (s?.announced) return s.stream;
      return ended.get(showId)?.stream ?? null;
    },

    variants(showId) {
      const s = live.get(showId);
      if (s?.announced) return s.variants;
      return ended.get(showId)?.variants ?? null;
    },

    publishWhip,

    async endWhip(resourceId, streamKey) {
      const s = [...live.values()].find((x) => x.whip?.resourceId === resourceId);
      if (!s) return "not_found";
      if (!sameSecret(s.whip!.streamKey, streamKey)) return "forbidden";
      await end(s, "publisher_stopped");
      return "ended";
    },

    publishEdge,

    async endEdge(streamKey, clientId) {
      const e = edgeOf(streamKey, clientId);
      if (!e) return "not_found";
      e.gone = true;
      const s = e.session;
      for (const cb of e.goneCallbacks.splice(0)) cb();
      forgetEdge(e);
      if (s) await s.ending;
      return "ended";
    },

    edgeWanted(streamKey, clientId) {
      const e = edgeOf(streamKey, clientId);
      return !!e && !e.gone && !stopping;
    },
  };
}

interface ProblemLog {
  report(p: LlHlsProblem): void;
  /** logs the counts still held back */
  flush(): void;
}

/**
 * The stream's onProblem reports at warn level, each kind at most once per PROBLEM_LOG_INTERVAL_MS
 * (with how many were held back since), so that a stream whose every part is off does not flood the log.
 */
function problemLog(log: Logger, ending: () => boolean): ProblemLog {
  const kinds = new Map<LlHlsProblemKind, { loggedAt: number; held: number }>();
  return {
    report(p) {
      // The packager flushing on its way out after the stream ended is expected.
      if (p.kind === "part_after_end" && ending()) return;
      const now = Date.now();
      const k = kinds.get(p.kind);
      if (k && now - k.loggedAt < PROBLEM_LOG_INTERVAL_MS) {
        k.held++;
        return;
      }
      log.warn({ kind: p.kind, msn: p.msn, heldBack: k?.held ?? 0 }, `LL-HLS: ${p.message}`);
      kinds.set(p.kind, { loggedAt: now, held: 0 });
    },
    flush() {
      for (const [kind, k] of kinds) {
        if (k.held > 0) log.warn({ kind, heldBack: k.held }, `LL-HLS: ${k.held} more "${kind}" problem(s) not logged one by one`);
        k.held = 0;
      }
    },
  };
}

/**
 * Feeds one packager output to its splitter until it ends. Always read to the end, also while
 * ending: a full pipe would block ffmpeg (and so its other outputs).
 */
function readToEnd(output: Readable | null, splitter: Fmp4Splitter, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!output) return resolve();
    output.on("data", (chunk: Buffer) => splitter.push(chunk));
    output.once("end", () => splitter.end());
    output.once("close", () => resolve());
    output.on("error", (err) => {
      log.debug({ err }, "packager output error");
      resolve();
    });
  });
}

/** Compares secrets in constant time (of their hashes, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
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
