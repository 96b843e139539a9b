import { RoomCloseCode, ServerFrame, type ClientMessage, type ServerEvent } from "../../../src/shared/contracts/room.ts";

/** `gone`: no such show; `banned`: this account is banned from the room (neither reconnects). */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "gone" | "banned";

export interface RoomSocketHandlers {
  onEvents(events: ServerEvent[]): void;
  onState(state: ConnectionState): void;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const PING_EVERY_MS = 25_000;

/**
 * One show's room over WebSocket: every frame validated with the shared contract, automatic
 * reconnection with exponential backoff and full jitter (so a restarted server is not hit by every
 * viewer in the same millisecond), and a ping that keeps proxies from closing an idle socket.
 */
export class RoomSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private readonly onOnline = () => {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.connect();
    }
  };

  constructor(
    private readonly url: string,
    private readonly handlers: RoomSocketHandlers,
  ) {}

  /** the highest room sequence number received: a reconnect resumes after it */
  private lastSeq = 0;
  /** which server hub numbered `lastSeq` (another one, after a failover, answers with a full snapshot) */
  private epoch: string | null = null;

  start(): void {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onclose = ws.onmessage = ws.onerror = null;
      ws.close(1000, "leaving");
    }
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Sends one message; false when the socket is not open (the caller decides whether to keep it). */
  send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    this.handlers.onState(this.attempt === 0 ? "connecting" : "reconnecting");
    let ws: WebSocket;
    try {
      // After a drop, ask for what was missed: the server replays the frames after `since` when it
      // still has them, or sends a full snapshot.
      const resume = this.lastSeq > 0 ? `since=${this.lastSeq}${this.epoch ? `&epoch=${encodeURIComponent(this.epoch)}` : ""}` : "";
      ws = new WebSocket(resume ? `${this.url}${this.url.includes("?") ? "&" : "?"}${resume}` : this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.handlers.onState("open");
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: "ping", at: Date.now() }), PING_EVERY_MS);
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== "string") return;
      let json: unknown;
      try {
        json = JSON.parse(ev.data);
      } catch {
        console.warn("room: unreadable frame");
        return;
      }
      const frame = ServerFrame.safeParse(json);
      if (!frame.success) {
        console.warn("room: frame does not match the contract", frame.error.issues);
        return;
      }
      // A snapshot means the server accepted us: the next drop starts the backoff from scratch.
      for (const e of frame.data) {
        if (e.type === "room.snapshot") {
          this.attempt = 0;
          this.lastSeq = e.seq;
          this.epoch = e.epoch ?? null;
        } else if (e.type === "frame" && e.seq !== undefined) this.lastSeq = Math.max(this.lastSeq, e.seq);
      }
      this.handlers.onEvents(frame.data);
    };
    ws.onclose = (ev) => {
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = null;
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === RoomCloseCode.showNotFound) {
        this.handlers.onState("gone");
        return;
      }
      // Banned by the host or a moderator: knocking again would only be refused again.
      if (ev.code === RoomCloseCode.banned) {
        this.handlers.onState("banned");
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.attempt++;
    this.handlers.onState("reconnecting");
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(this.attempt, 10));
    const delay = 250 + Math.random() * ceiling;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }
}

/**
 * Taps on the like button, batched: at most one like.send every 250 ms carrying the taps since
 * the last one (the contract caps a message at 50).
 */
export class LikeBatcher {
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSent = 0;

  constructor(
    private readonly send: (count: number) => boolean,
    private readonly intervalMs = 250,
  ) {}

  tap(n = 1): void {
    this.pending += n;
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastSent + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    if (this.pending <= 0) return;
    const count = Math.min(50, this.pending);
    if (this.send(count)) {
      this.pending -= count;
      this.lastSent = Date.now();
    } else {
      // Offline: keep a bounded number of taps and try again later.
      this.pending = Math.min(this.pending, 200);
      this.lastSent = Date.now() + 750;
    }
    if (this.pending > 0) this.schedule();
  }
}
