/**
 * Load generator of the fan-out benchmark, run as its own process by run.ts; one process holds at most
 * FANOUT_PER_LOADGEN sockets (a process may hold ~20,000 open files here). It opens `count` viewer
 * connections to one room, each to one of a few 127.0.0.x addresses so that no address runs
 * out of ephemeral ports, then, when told, drives chat and likes from the senders among them and counts
 * what every viewer receives.
 *
 * Kept lean, since it shares 2 cores with the server it measures:
 *  - a bare WebSocket client (raw-ws.ts: one callback per whole message, no decoding), no compression;
 *  - a plain viewer never parses JSON: Vetrina's chat events in a frame are counted with a byte search
 *    for `"type":"chat.message"` (inside a JSON string every `"` is escaped, so those bytes occur only
 *    as an event's own type); Socket.IO's packets are told apart by their first bytes;
 *  - only latency probes (FANOUT_PROBES connections spread over the room) parse frames, to read the
 *    server timestamp of each chat event; every latency they see goes into a histogram.
 *
 * The Socket.IO side speaks Engine.IO 4 / Socket.IO 5 over the same client (open `0{…}` → `40` → `40{sid}`,
 * ping `2` → pong `3`, events `42["name",payload]`), so both servers are measured with the same client
 * code; run.ts checks it against a real socket.io-client connected beside it.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { RawWs } from "./raw-ws.ts";
import { LatencyHistogram } from "./histogram.ts";

export interface FanoutJob {
  protocol: "vetrina" | "socketio";
  port: number;
  /** Vetrina: the room path (`/api/v1/shows/<id>/room`); unused for Socket.IO */
  roomPath: string;
  /** one session token per connection of this generator (Vetrina); empty for Socket.IO */
  tokens: string[];
  /** global index of this generator's first connection, its number of connections, the room's total */
  first: number;
  count: number;
  total: number;
  /**
   * connection j goes to addresses[floor(j / perAddress)] (the kernel picks the source port per
   * destination; binding a source address would make every connect() search the port range: slow)
   */
  addresses: string[];
  perAddress: number;
  /** room-wide numbers; a generator takes the roles of the global indices that fall to it */
  senders: number;
  chatPerSenderPerSec: number;
  likers: number;
  likeCount: number;
  likesPerLikerPerSec: number;
  probes: number;
  connectConcurrency: number;
}

export type ToLoadgen =
  | { kind: "job"; job: FanoutJob }
  /** epoch ms: senders start at sendAt and stop at windowEnd; counts cover [windowStart, windowEnd) */
  | { kind: "start"; sendAt: number; windowStart: number; windowEnd: number }
  | { kind: "report" }
  | { kind: "close" };

export interface ConnectedReport {
  kind: "connected";
  connected: number;
  failed: number;
  failures: Record<string, number>;
  /** joins that failed at first and were tried again, by reason */
  retries: Record<string, number>;
}

export interface FanoutReport {
  kind: "report";
  connected: number;
  /** chat events received by all viewers of this generator during the window */
  chatDelivered: number;
  /** likes updates (Vetrina `likes.updated`, Socket.IO `like` packets) received during the window */
  likeUpdates: number;
  frames: number;
  bytes: number;
  /** sent during the window */
  chatSent: number;
  likeMessagesSent: number;
  /** like taps sent since the start, all of them (for the accounting check) */
  likesSentTotal: number;
  /** errors the server answered senders with, by code (Vetrina: rate_limited…) */
  sendErrors: Record<string, number>;
  /** connections that closed while we did not ask for it, and their close codes */
  disconnects: number;
  closeCodes: Record<string, number>;
  latency: [number, number][];
  /** the same chat events, measured from the instant the message was posted (`at`) */
  latencyPosted: [number, number][];
  /** sends fired more than 250 ms after their turn (this generator could not keep up) */
  lateSends: number;
  /** per probe: like taps its updates account for since it joined */
  probeLikes: number[];
  /** this generator's CPU and event-loop delay during the window */
  cpuSeconds: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

/** Spreads k roles evenly over N global indices (all of them when k ≥ N); shift moves the pattern. */
export function roleOrdinal(i: number, k: number, n: number, shift = 0): number | null {
  if (k <= 0) return null;
  if (k >= n) return i;
  const j = (i + shift) % n;
  return Math.floor(((j + 1) * k) / n) > Math.floor((j * k) / n) ? Math.floor((j * k) / n) : null;
}

const now = () => performance.timeOrigin + performance.now();

const CHAT_NEEDLE = Buffer.from('"type":"chat.message"');
const CHAT_LOOSE = Buffer.from("chat.message");
const LIKES_NEEDLE = Buffer.from('"type":"likes.updated"');
const ERROR_NEEDLE = Buffer.from('"type":"error"');
const SIO_CHAT = Buffer.from('42["chat.message",');
const SIO_LIKE = Buffer.from('42["like",');

function occurrences(buf: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + needle.length)) n++;
  return n;
}
const startsWith = (buf: Buffer, prefix: Buffer) => buf.length >= prefix.length && buf.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

interface ChatEvent {
  type: string;
  ts?: number;
  message?: { at?: string; ts?: number };
  total?: number;
  likes?: number;
  code?: string;
}

/** The server's instant of a chat event: `ts` on the event (or its message) or the frame, else `at`. */
function serverTime(e: ChatEvent, frameTs: number | undefined): number {
  if (typeof e.ts === "number") return e.ts;
  if (typeof e.message?.ts === "number") return e.message.ts;
  if (typeof frameTs === "number") return frameTs;
  return Date.parse(e.message?.at ?? "");
}

/**
 * A Vetrina frame is a JSON array of events; a tick's frame may open with a `{type:"frame", seq, ts}`
 * header carrying the server's instant. Tolerates a `{ts, events}` envelope too.
 */
function vetrinaEvents(buf: Buffer): { events: ChatEvent[]; frameTs?: number } {
  const parsed = JSON.parse(buf.toString("utf8")) as ChatEvent[] | { ts?: number; events?: ChatEvent[] };
  if (!Array.isArray(parsed)) return { events: parsed.events ?? [], frameTs: typeof parsed.ts === "number" ? parsed.ts : undefined };
  const header = parsed.find((e) => e.type === "frame");
  return { events: parsed, frameTs: typeof header?.ts === "number" ? header.ts : undefined };
}

/** When the message was posted: its `at` (ISO, ms), or `ts` on the message or event. */
function postedTime(e: ChatEvent): number {
  if (e.message?.at) return Date.parse(e.message.at);
  return e.message?.ts ?? e.ts ?? NaN;
}

interface Conn {
  ws: RawWs;
  index: number;
  joined: boolean;
  probe: boolean;
  sendsSomething: boolean;
  likesBase: number;
  likesSeen: number;
  seq: number;
}

let job: FanoutJob;
const conns: Conn[] = [];
const failures: Record<string, number> = {};
const closeCodes: Record<string, number> = {};
const sendErrors: Record<string, number> = {};
const latency = new LatencyHistogram();
const latencyPosted = new LatencyHistogram();
let lateSends = 0;
let closing = false;
let windowStart = Infinity;
let windowEnd = -Infinity;
let chatDelivered = 0;
let likeUpdates = 0;
let frames = 0;
let bytes = 0;
let chatSent = 0;
let likeMessagesSent = 0;
let likesSentTotal = 0;
let disconnects = 0;
let cpuSeconds = 0;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

const bump = (o: Record<string, number>, k: string) => void (o[k] = (o[k] ?? 0) + 1);

/**
 * Counts of one frame's bytes, kept for the copies other viewers receive: a room frame is the same
 * bytes for everyone, so it is searched once per load generator, not once per socket (searching each
 * copy made the load generator, not the server, the bottleneck). A copy is recognised by its header
 * (`{"type":"frame","ts":…,"seq":…}`), its length and its last bytes; a personal frame (a sender's own
 * messages added) differs in length and ending, so it is counted on its own.
 */
const frameCounts = new Map<string, { chats: number; likes: number }>();
function countFrame(data: Buffer): { chats: number; likes: number } {
  const headerEnd = data.indexOf(0x7d); // the first "}" closes the header event
  const key = headerEnd > 0 && headerEnd < 120 ? `${data.toString("latin1", 0, headerEnd)}|${data.length}|${data.toString("latin1", Math.max(0, data.length - 32))}` : null;
  const known = key ? frameCounts.get(key) : undefined;
  if (known) return known;
  let chats = occurrences(data, CHAT_NEEDLE);
  // Should the serialization ever change (spaces, key order), fall back to parsing rather than miscount.
  if (chats === 0 && data.indexOf(CHAT_LOOSE) >= 0) chats = vetrinaEvents(data).events.filter((e) => e.type === "chat.message").length;
  const counts = { chats, likes: occurrences(data, LIKES_NEEDLE) };
  if (key) {
    if (frameCounts.size > 20_000) frameCounts.clear();
    frameCounts.set(key, counts);
  }
  return counts;
}

function onVetrinaFrame(c: Conn, data: Buffer) {
  const t = Date.now();
  const { chats, likes } = countFrame(data);
  const inWindow = t >= windowStart && t < windowEnd;
  if (inWindow) {
    chatDelivered += chats;
    likeUpdates += likes;
    frames++;
    bytes += data.length;
  }
  if (c.sendsSomething && data.indexOf(ERROR_NEEDLE) >= 0) {
    for (const e of vetrinaEvents(data).events) if (e.type === "error") bump(sendErrors, e.code ?? "?");
  }
  if (c.probe && (chats > 0 || likes > 0)) {
    const at = now();
    const { events, frameTs } = vetrinaEvents(data);
    for (const e of events) {
      if (e.type === "chat.message" && inWindow) {
        latency.add(at - serverTime(e, frameTs));
        latencyPosted.add(at - postedTime(e));
      } else if (e.type === "likes.updated" && typeof e.total === "number") c.likesSeen = e.total - c.likesBase;
    }
  }
}

function onSocketIoPacket(c: Conn, data: Buffer) {
  const t = Date.now();
  const chat = startsWith(data, SIO_CHAT);
  const like = !chat && startsWith(data, SIO_LIKE);
  if (!chat && !like) {
    if (data[0] === 0x32 /* Engine.IO ping */) c.ws.send("3");
    return;
  }
  const inWindow = t >= windowStart && t < windowEnd;
  if (inWindow) {
    if (chat) chatDelivered++;
    else likeUpdates++;
    frames++;
    bytes += data.length;
  }
  if (c.probe) {
    const at = now();
    const [, payload] = JSON.parse(data.toString("utf8", 2)) as [string, ChatEvent & { count?: number }];
    if (chat) {
      if (inWindow) {
        latency.add(at - serverTime(payload, undefined));
        latencyPosted.add(at - postedTime(payload));
      }
    } else c.likesSeen += payload.count ?? 0;
  }
}

/** Joins that failed and were tried again (as a real client reconnects), by first failure reason. */
const joinRetries: Record<string, number> = {};
const JOIN_ATTEMPTS = 4;

/** Opens viewer j, trying again after a short random pause when the join fails, up to JOIN_ATTEMPTS. */
async function open(j: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const reason = await openOnce(j, attempt === JOIN_ATTEMPTS);
    if (reason === null || attempt === JOIN_ATTEMPTS) return;
    bump(joinRetries, reason);
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
  }
}

/** One join attempt: null when joined, else why not (recorded as a failure only when `last`). */
function openOnce(j: number, last: boolean): Promise<string | null> {
  const index = job.first + j;
  const addr = job.addresses[Math.min(job.addresses.length - 1, Math.floor(j / job.perAddress))]!;
  const sender = roleOrdinal(index, job.senders, job.total) !== null;
  const liker = roleOrdinal(index, job.likers, job.total, Math.floor(job.total / Math.max(1, 2 * job.likers))) !== null;
  const probe = roleOrdinal(index, job.probes, job.total, Math.floor(job.total / Math.max(1, 3 * job.probes))) !== null;
  const vetrina = job.protocol === "vetrina";
  const c: Conn = { ws: null as unknown as RawWs, index, joined: false, probe, sendsSomething: sender || liker, likesBase: 0, likesSeen: 0, seq: 0 };
  conns[j] = c;
  return new Promise<string | null>((resolve) => {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (last) bump(failures, reason);
      c.ws.terminate();
      resolve(reason);
    };
    const timer = setTimeout(() => fail("timeout"), 30_000);
    const joined = () => {
      settled = true;
      clearTimeout(timer);
      c.joined = true;
      resolve(null);
    };
    c.ws = new RawWs(
      {
        host: addr,
        port: job.port,
        path: vetrina ? job.roomPath : "/socket.io/?EIO=4&transport=websocket",
        headers: vetrina ? { cookie: `vetrina_session=${job.tokens[j]}` } : {},
      },
      {
        open() {},
        message(data) {
          if (c.joined) return vetrina ? onVetrinaFrame(c, data) : onSocketIoPacket(c, data);
          if (vetrina) {
            // The first frame is this viewer's room.snapshot.
            if (probe) {
              const snap = vetrinaEvents(data).events.find((e) => e.type === "room.snapshot");
              c.likesBase = snap?.likes ?? 0;
            }
            return joined();
          }
          const kind = data[0];
          if (kind === 0x30 /* "0": Engine.IO open */) c.ws.send(sender ? `40{"name":"Buyer ${index}"}` : "40");
          else if (kind === 0x32 /* ping */) c.ws.send("3");
          else if (kind === 0x34 && data[1] === 0x30 /* "40": namespace connected */) joined();
          else if (kind === 0x34 && data[1] === 0x34 /* "44": connect error */) fail("connect_error");
        },
        error: (reason) => fail(reason),
        close(code) {
          if (!c.joined) return fail(`closed ${code}`);
          if (closing) return;
          disconnects++;
          bump(closeCodes, String(code));
        },
      },
    );
  });
}

async function connectAll() {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, job.connectConcurrency) }, async () => {
      while (next < job.count) await open(next++);
    }),
  );
}

/**
 * Fires `perSec` messages a second from each of `items`, phases spread over the period by their
 * room-wide ordinal, so that the room sees a steady stream rather than bursts.
 */
function schedule(items: { conn: Conn; ordinal: number }[], kindTotal: number, perSec: number, sendAt: number, fire: (c: Conn, t: number, late: boolean) => void) {
  const period = 1000 / perSec;
  const queue = items.map((x) => ({ conn: x.conn, at: sendAt + ((x.ordinal % kindTotal) / kindTotal) * period })).sort((a, b) => a.at - b.at);
  let p = 0;
  return (t: number) => {
    for (let guard = queue.length; guard > 0 && queue.length; guard--) {
      const item = queue[p]!;
      if (item.at > t) return;
      fire(item.conn, t, t - item.at > 250);
      item.at += period;
      p = (p + 1) % queue.length;
    }
  };
}

function start(sendAt: number, wStart: number, wEnd: number) {
  windowStart = wStart;
  windowEnd = wEnd;
  const vetrina = job.protocol === "vetrina";
  const senders: { conn: Conn; ordinal: number }[] = [];
  const likers: { conn: Conn; ordinal: number }[] = [];
  for (const c of conns) {
    if (!c?.joined) continue;
    const s = roleOrdinal(c.index, job.senders, job.total);
    if (s !== null) senders.push({ conn: c, ordinal: s });
    const l = roleOrdinal(c.index, job.likers, job.total, Math.floor(job.total / Math.max(1, 2 * job.likers)));
    if (l !== null) likers.push({ conn: c, ordinal: l });
  }
  const inWindow = (t: number) => t >= windowStart && t < windowEnd;
  const chatTick = schedule(senders, Math.min(job.senders, job.total), job.chatPerSenderPerSec, sendAt, (c, t, late) => {
    if (!c.ws.open) return;
    if (late && inWindow(t)) lateSends++;
    const seq = ++c.seq;
    const text = `bench chat from viewer ${c.index}, message ${seq}`;
    const id = `c${c.index}-${seq}`;
    c.ws.send(vetrina ? `{"type":"chat.send","text":"${text}","clientMsgId":"${id}"}` : `42["chat.send",{"text":"${text}","clientMsgId":"${id}"}]`);
    if (inWindow(t)) chatSent++;
  });
  const likeFrame = vetrina ? `{"type":"like.send","count":${job.likeCount}}` : `42["like.send",{"count":${job.likeCount}}]`;
  const likeTick = schedule(likers, Math.min(job.likers, job.total), job.likesPerLikerPerSec, sendAt, (c, t, late) => {
    if (!c.ws.open) return;
    if (late && inWindow(t)) lateSends++;
    c.ws.send(likeFrame);
    likesSentTotal += job.likeCount;
    if (inWindow(t)) likeMessagesSent++;
  });
  setTimeout(() => {
    const timer = setInterval(() => {
      const t = Date.now();
      if (t >= windowEnd) return clearInterval(timer);
      chatTick(t);
      likeTick(t);
    }, 5);
  }, Math.max(0, sendAt - Date.now()));
  let cpu0: NodeJS.CpuUsage;
  setTimeout(() => {
    cpu0 = process.cpuUsage();
    loopDelay.enable();
  }, Math.max(0, wStart - Date.now()));
  setTimeout(() => {
    const u = process.cpuUsage(cpu0);
    cpuSeconds = (u.user + u.system) / 1e6;
    loopDelay.disable();
  }, Math.max(0, wEnd - Date.now()));
}

function report(): FanoutReport {
  return {
    kind: "report",
    connected: conns.filter((c) => c?.joined).length,
    chatDelivered,
    likeUpdates,
    frames,
    bytes,
    chatSent,
    likeMessagesSent,
    likesSentTotal,
    sendErrors,
    disconnects,
    closeCodes,
    latency: latency.toSparse(),
    latencyPosted: latencyPosted.toSparse(),
    lateSends,
    probeLikes: conns.filter((c) => c?.joined && c.probe).map((c) => c.likesSeen),
    cpuSeconds,
    loopDelayP99Ms: loopDelay.count ? loopDelay.percentile(99) / 1e6 : NaN,
    loopDelayMaxMs: loopDelay.count ? loopDelay.max / 1e6 : NaN,
  };
}

process.on("disconnect", () => process.exit(0));
process.on("message", async (m: ToLoadgen) => {
  switch (m.kind) {
    case "job": {
      job = m.job;
      await connectAll();
      const connected = conns.filter((c) => c?.joined).length;
      const msg: ConnectedReport = { kind: "connected", connected, failed: job.count - connected, failures, retries: joinRetries };
      process.send!(msg);
      return;
    }
    case "start":
      return start(m.sendAt, m.windowStart, m.windowEnd);
    case "report":
      process.send!(report());
      return;
    case "close":
      closing = true;
      for (const c of conns) c?.ws.terminate();
      process.send!({ kind: "closed" }, () => process.exit(0));
      return;
  }
});
