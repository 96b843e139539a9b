/**
 * Recording of live shows: every segment of a show's LL-HLS stream is written to storage as it
 * completes (the same bytes viewers got, no re-encoding), and when the stream ends the recording is
 * finalized into a VOD playlist, the show's replay. See docs/media.md, "Recording and replays".
 *
 * Nothing here may slow the live path: the stream tells us of a segment synchronously, we queue
 * the write and return. Each show's writes run one at a time, in order, behind one queue whose
 * unwritten bytes are bounded; a segment that would overflow it is dropped (and logged), and the
 * playlist marks its time as a gap.
 */
import type { Logger } from "pino";
import type { CompletedSegment, LlHlsStream } from "./llhls/playlist.ts";
import type { MediaStorage } from "./storage.ts";
import { initFile, REPLAY_PLAYLIST, segmentFile, vodPlaylist } from "./vod-playlist.ts";

export interface RecorderCallbacks {
  /** The show's first segment is about to be written: from now on it has a recording to finalize, even after a crash. */
  onRecording(showId: string): Promise<void> | void;
  /** finalize() is done: "ready" when the replay's playlist is written, "empty" when nothing playable was stored. */
  onFinalized(showId: string, result: "ready" | "empty"): Promise<void> | void;
}

export interface RecorderOptions {
  /** unwritten bytes a show's queue may hold before segments are dropped; default 64 MiB (about a minute at 8 Mbit/s) */
  maxQueuedBytes?: number;
  /** the same kind of trouble is logged at most this often per show (with a count); default 30 s */
  logIntervalMs?: number;
}

export interface Recorder {
  /** Records a live session's stream (call before it has media): its segments as they complete, finalized at its end. */
  record(showId: string, stream: LlHlsStream): void;
  /**
   * Writes the show's VOD playlist from what storage holds, after any write still queued for it.
   * Called at each stream's end, and at start-up for recordings a crash left unfinished.
   */
  finalize(showId: string): Promise<"ready" | "empty" | "failed">;
  /** Waits for every queued write and finalization. */
  close(): Promise<void>;
}

/** The storage folder of a show's recording (and replay). */
export function replayPrefix(showId: string): string {
  return `replays/${showId}/`;
}

interface ShowQueue {
  /** the last queued task; the next one runs after it */
  tail: Promise<void>;
  /** bytes of the segments queued and not yet written */
  queuedBytes: number;
  /** tasks not yet done */
  pending: number;
}

/** One live session being recorded. */
interface Session {
  showId: string;
  token: string;
  initQueued: boolean;
  /** onRecording is queued */
  announced: boolean;
  segments: number;
}

export function createRecorder(storage: MediaStorage, callbacks: RecorderCallbacks, logger: Logger, options: RecorderOptions = {}): Recorder {
  const maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024;
  const logIntervalMs = options.logIntervalMs ?? 30_000;
  const queues = new Map<string, ShowQueue>();
  /** per show, per kind of trouble: when it was last logged and how many were held back since */
  const troubles = new Map<string, Map<string, { loggedAt: number; held: number }>>();

  const queueOf = (showId: string): ShowQueue => {
    let q = queues.get(showId);
    if (!q) queues.set(showId, (q = { tail: Promise.resolve(), queuedBytes: 0, pending: 0 }));
    return q;
  };

  /** Runs `task` after the show's earlier tasks; a failure is logged, and the queue goes on. */
  function enqueue<T>(showId: string, bytes: number, what: string, task: () => Promise<T>): Promise<T | undefined> {
    const q = queueOf(showId);
    q.queuedBytes += bytes;
    q.pending++;
    const run = q.tail.then(task).then(
      (v) => v,
      (err: unknown) => {
        trouble(showId, what, "error", { err }, `recording: ${what} failed`);
        return undefined;
      },
    );
    q.tail = run.then(() => {
      q.queuedBytes -= bytes;
      // An idle show's queue is let go; the next task makes a new one.
      if (--q.pending === 0 && queues.get(showId) === q) queues.delete(showId);
    });
    return run;
  }

  /** Logs at `level`, each kind at most once per logIntervalMs per show, with how many were held back. */
  function trouble(showId: string, kind: string, level: "warn" | "error", fields: object, message: string) {
    let kinds = troubles.get(showId);
    if (!kinds) troubles.set(showId, (kinds = new Map()));
    const now = Date.now();
    const t = kinds.get(kind);
    if (t && now - t.loggedAt < logIntervalMs) {
      t.held++;
      return;
    }
    logger[level]({ showId, kind, heldBack: t?.held ?? 0, ...fields }, message);
    kinds.set(kind, { loggedAt: now, held: 0 });
  }

  /** The stream completed a segment: queue its write (and, the first time, the init segment's). */
  function onSegment(r: Session, s: CompletedSegment) {
    const { showId } = r;
    const q = queueOf(showId);
    const bytes = s.data.length + (r.initQueued ? 0 : s.init.length);
    if (q.queuedBytes + bytes > maxQueuedBytes) {
      trouble(showId, "overflow", "warn", { msn: s.msn, queuedBytes: q.queuedBytes }, "recording: storage is not keeping up, segment dropped (the replay will have a gap)");
      return;
    }
    r.segments++;
    if (!r.announced) {
      r.announced = true;
      void enqueue(showId, 0, "onRecording", async () => callbacks.onRecording(showId));
    }
    const prefix = replayPrefix(showId);
    if (!r.initQueued) {
      r.initQueued = true;
      void enqueue(showId, s.init.length, "writing the init segment", () => storage.write(prefix + initFile(r.token), s.init));
    }
    const name = segmentFile({ token: r.token, msn: s.msn, programDateTime: s.programDateTime, duration: s.duration });
    void enqueue(showId, s.data.length, "writing a segment", () => storage.write(prefix + name, s.data));
  }

  /** Logs the troubles still held back and forgets them. */
  function flushTroubles(showId: string) {
    for (const [kind, t] of troubles.get(showId) ?? []) {
      if (t.held > 0) logger.warn({ showId, kind, heldBack: t.held }, `recording: ${t.held} more "${kind}" problem(s) not logged one by one`);
    }
    troubles.delete(showId);
  }

  async function writePlaylist(showId: string): Promise<"ready" | "empty"> {
    const prefix = replayPrefix(showId);
    const names = (await storage.list(prefix)).map((k) => k.slice(prefix.length));
    const playlist = vodPlaylist(names);
    if (playlist) await storage.write(prefix + REPLAY_PLAYLIST, playlist);
    const result = playlist ? "ready" : "empty";
    flushTroubles(showId);
    logger.info({ showId, files: names.length, result }, "recording finalized");
    await callbacks.onFinalized(showId, result);
    return result;
  }

  const self: Recorder = {
    record(showId, stream) {
      const r: Session = { showId, token: stream.token, initQueued: false, announced: false, segments: 0 };
      stream.onSegments({
        segment: (s) => onSegment(r, s),
        end: () => {
          // A publisher that left before the first segment recorded nothing.
          if (r.segments > 0) void self.finalize(showId);
        },
      });
    },

    async finalize(showId) {
      return (await enqueue(showId, 0, "finalizing", () => writePlaylist(showId))) ?? "failed";
    },

    async close() {
      while (queues.size) await Promise.all([...queues.values()].map((q) => q.tail));
    },
  };
  return self;
}
