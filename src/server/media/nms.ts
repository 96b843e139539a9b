/**
 * The small, typed slice of node-media-server v4 that the ingest uses: its RTMP protocol sessions,
 * its broadcast hub (one publisher fanned out to players, per stream path) and its session events.
 *
 * We do not use the `NodeMediaServer` class itself: in 4.4 its `run()` calls `process.exit(1)` when
 * the port is taken, opens a JSON store in `./data` with a pid lock file and its own SIGINT/SIGTERM
 * handlers, and builds an Express app. We accept sockets on our own `net.Server` and hand each one
 * to NMS's `RtmpSession`, exactly as its `NodeRtmpServer.handleRequest` does.
 *
 * NMS keeps process-wide singletons (`Context.eventEmitter`, `Context.broadcasts`, its logger), so
 * every listener here must ignore sessions that belong to another ingest in the same process.
 * These are internal module paths: keep node-media-server on 4.4.x or re-check them when upgrading.
 */
import type net from "node:net";
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Logger } from "pino";

const require = createRequire(import.meta.url);

/** An RTMP connection as NMS models it (src/session/rtmp_session.js). */
export interface NmsRtmpSession {
  readonly id: string;
  readonly socket: net.Socket;
  /** "address:port" of the peer */
  readonly ip: string;
  /** RTMP app, e.g. "live"; set when the client sends publish/play */
  readonly streamApp: string;
  /** stream name without query, i.e. the stream key for publishers */
  readonly streamName: string;
  /** "/app/name" */
  readonly streamPath: string;
  run(): void;
}

type NmsRtmpSessionClass = new (socket: net.Socket) => NmsRtmpSession;

/** Events NMS emits with the session as argument. "pre*" run synchronously before NMS accepts. */
export type NmsSessionEvent = "prePublish" | "postPublish" | "donePublish" | "prePlay" | "postPlay" | "donePlay";

const RtmpSession: NmsRtmpSessionClass = require("node-media-server/src/session/rtmp_session.js");
const context: { eventEmitter: EventEmitter } = require("node-media-server/src/core/context.js");
const nmsLogger: { log(message: string, level?: string): void } = require("node-media-server/src/core/logger.js");

export function createRtmpSession(socket: net.Socket): NmsRtmpSession {
  const session = new RtmpSession(socket);
  session.run();
  return session;
}

/** An audio or video message as NMS parsed it (src/core/avpacket.js): `dts` is the RTMP timestamp, ms. */
export interface NmsMediaPacket {
  kind: "audio" | "video";
  dts: number;
}

/**
 * Calls `listener` with every audio/video message the session receives from its publisher, before
 * NMS broadcasts it. Wraps the protocol parser's packet callback (src/protocol/rtmp.js), which
 * NMS's RtmpSession sets once in its constructor.
 */
export function onMediaPacket(session: NmsRtmpSession, listener: (p: NmsMediaPacket) => void): void {
  const rtmp = (session as unknown as { rtmp: { onPacketCallback: (p: { codec_type: number; dts: number }) => void } }).rtmp;
  const next = rtmp.onPacketCallback;
  rtmp.onPacketCallback = (p) => {
    if (p.codec_type === 9) listener({ kind: "video", dts: p.dts });
    else if (p.codec_type === 8) listener({ kind: "audio", dts: p.dts });
    next(p);
  };
}

/** Subscribes to an NMS session event; returns the unsubscribe function. */
export function onNmsEvent(event: NmsSessionEvent, listener: (session: NmsRtmpSession) => void): () => void {
  context.eventEmitter.on(event, listener);
  return () => context.eventEmitter.off(event, listener);
}

/**
 * NMS logs to console.log from a module-level logger. Route it into pino instead, one level down
 * (its "info" is per-connection chatter) and with stream keys masked, because NMS prints stream
 * paths and the key is the publisher's password. Process-wide: the last ingest started wins.
 * Returns a function restoring the previous sink if it is still ours.
 */
export function redirectNmsLogging(logger: Logger): () => void {
  const previous = nmsLogger.log;
  const sink = (message: string, level = "info") => {
    const text = maskStreamPaths(String(message));
    if (level === "error" || level === "warn") logger.warn(`rtmp: ${text}`);
    else if (level === "info") logger.debug(`rtmp: ${text}`);
    else logger.trace(`rtmp: ${text}`);
  };
  nmsLogger.log = sink;
  return () => {
    if (nmsLogger.log === sink) nmsLogger.log = previous;
  };
}

/** NMS messages name streams as "/app/key" or "app=..., name=key". */
function maskStreamPaths(text: string): string {
  return maskRtmpUrls(text).replace(/(\/[A-Za-z0-9_-]+\/)[A-Za-z0-9_-]+/g, "$1***").replace(/\bname=\S+/g, "name=***");
}

/** "rtmp://host:port/app/key" → "rtmp://host:port/app/***" */
export function maskRtmpUrls(text: string): string {
  return text.replace(/(rtmps?:\/\/[^/\s]+\/[^/\s]+\/)[^\s:?]+/g, "$1***");
}
