import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import {
  BrokerRequestError,
  BrokerUnavailableError,
  checkSubject,
  DEFAULT_REQUEST_TIMEOUT_MS,
  HealthTracker,
  newNodeId,
  redactUrl,
  type Broker,
  type BrokerOptions,
} from "./broker.ts";

/** A responder refreshes its entry this often; one not refreshed for RESPONDER_STALE_MS is skipped. */
const RESPONDER_HEARTBEAT_MS = 1000;
const RESPONDER_STALE_MS = 5000;

/**
 * Redis: publish/subscribe on a second connection (a subscribed Redis connection can do nothing else);
 * request/reply through per-node channels. Pub/sub reaches every subscriber, so "exactly one responder"
 * is made by hand: each responder keeps itself in a sorted set per subject (score: last heartbeat) and
 * listens on a channel of its own; a requester picks a live one, PUBLISHes to its channel (Redis says
 * how many received it: 0 means it is gone, try the next) and waits on its own reply channel for the
 * answer carrying the request's correlation id.
 */
export async function openRedisBroker(url: string, opts: BrokerOptions): Promise<Broker> {
  const nodeId = newNodeId();
  const p = opts.prefix;
  const channel = (subject: string) => `${p}:${subject}`;
  const inboxOf = (subject: string, node: string) => `${p}:rq:${subject}:${node}`;
  const registryOf = (subject: string) => `${p}:responders:${subject}`;
  const replyChannel = `${p}:reply:${nodeId}`;
  const health = new HealthTracker(`redis ${redactUrl(url)}`, opts.log);

  const common = {
    lazyConnect: true,
    connectTimeout: Math.min(opts.connectTimeoutMs ?? 5000, 3000),
    // While the broker is away, commands fail at once (a dropped message) instead of piling up in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Forever, but never faster than every 2 s: the process recovers by itself when Redis returns.
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
  const cmd = new Redis(url, common);
  const sub = cmd.duplicate();
  for (const c of [cmd, sub]) c.on("error", (err: Error) => health.error(err));

  // First connection: bounded, and a clear message naming the setting.
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  try {
    await withTimeout(Promise.all([cmd.connect(), sub.connect()]), timeoutMs);
  } catch (err) {
    cmd.disconnect();
    sub.disconnect();
    const why = err instanceof Error ? err.message : String(err);
    throw new BrokerUnavailableError(`BROKER_URL: cannot connect to Redis at ${redactUrl(url)} within ${timeoutMs / 1000} s (${why})`);
  }

  const bothReady = () => cmd.status === "ready" && sub.status === "ready";
  let closing = false;
  for (const c of [cmd, sub]) {
    c.on("ready", () => {
      if (!closing && bothReady()) {
        health.set("up");
        // ioredis subscribes again only to what it had; what was asked for while away is subscribed now.
        void resubscribe();
        // Redis may have lost the registry (a restart without persistence): put our responders back now.
        void heartbeat();
      }
    });
    c.on("close", () => closing || health.set("down"));
    c.on("reconnecting", () => closing || health.set("down"));
  }

  const handlers = new Map<string, Set<(data: Uint8Array) => void>>();
  const responders = new Map<string, (data: Uint8Array) => Uint8Array | Promise<Uint8Array>>();
  const pending = new Map<string, { resolve(b: Uint8Array): void; reject(e: Error): void; timer: NodeJS.Timeout; subject: string }>();

  sub.on("messageBuffer", (chBuf: Buffer, message: Buffer) => {
    const ch = chBuf.toString();
    if (ch === replyChannel) return onReply(message);
    if (ch.startsWith(`${p}:rq:`)) return void onRequest(ch, message);
    const subject = ch.slice(p.length + 1);
    for (const h of handlers.get(subject) ?? []) {
      try {
        h(message);
      } catch (err) {
        opts.log.error({ err, subject }, "broker subscriber failed");
      }
    }
  });
  await sub.subscribe(replyChannel);

  function onReply(message: Buffer) {
    const { header, body } = unframe(message);
    const req = pending.get(String(header.id));
    if (!req) return;
    pending.delete(String(header.id));
    clearTimeout(req.timer);
    if (header.error) req.reject(new BrokerRequestError("responder_failed", req.subject, `broker request on "${req.subject}": the responder failed: ${header.error}`));
    else req.resolve(body);
  }

  async function onRequest(ch: string, message: Buffer) {
    const subject = ch.slice(`${p}:rq:`.length, ch.length - nodeId.length - 1);
    const handler = responders.get(subject);
    const { header, body } = unframe(message);
    let reply: Buffer;
    try {
      if (!handler) throw new Error("no longer responding");
      reply = frame({ id: header.id }, await handler(body));
    } catch (err) {
      reply = frame({ id: header.id, error: err instanceof Error ? err.message : String(err) }, new Uint8Array());
    }
    await cmd.publish(String(header.reply), reply).catch((err) => opts.log.warn({ err, subject }, "broker reply lost"));
  }

  async function resubscribe() {
    const wanted = [replyChannel, ...[...handlers.keys()].map(channel), ...[...responders.keys()].map((subject) => inboxOf(subject, nodeId))];
    await sub.subscribe(...wanted).catch((err) => health.error(err));
  }

  async function heartbeat() {
    if (cmd.status !== "ready") return;
    const now = Date.now();
    for (const subject of responders.keys()) {
      await cmd.zadd(registryOf(subject), now, nodeId).catch(() => {});
    }
  }
  const beat = setInterval(() => void heartbeat(), RESPONDER_HEARTBEAT_MS);
  beat.unref();

  const broker: Broker = {
    kind: "redis",
    nodeId,
    publish(subject, data) {
      cmd.publish(channel(checkSubject(subject)), Buffer.from(data.buffer, data.byteOffset, data.byteLength)).catch((err) => health.error(err));
    },
    subscribe(subject, handler) {
      checkSubject(subject);
      let set = handlers.get(subject);
      if (!set) {
        handlers.set(subject, (set = new Set()));
        // ioredis subscribes again by itself after a reconnect (autoResubscribe).
        sub.subscribe(channel(subject)).catch((err) => opts.log.warn({ err, subject }, "broker subscribe failed; retried on reconnect"));
      }
      set.add(handler);
      return () => {
        const s = handlers.get(subject);
        if (!s?.delete(handler) || s.size) return;
        handlers.delete(subject);
        sub.unsubscribe(channel(subject)).catch(() => {});
      };
    },
    async request(subject, data, o = {}) {
      checkSubject(subject);
      if (!bothReady()) throw new BrokerRequestError("unavailable", subject);
      const live = await cmd.zrangebyscore(registryOf(subject), Date.now() - RESPONDER_STALE_MS, "+inf").catch(() => null);
      if (live === null) throw new BrokerRequestError("unavailable", subject);
      const id = randomUUID();
      const timeoutMs = o.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const answer = new Promise<Uint8Array>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new BrokerRequestError("timeout", subject));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer, subject });
      });
      answer.catch(() => {});
      const msg = frame({ id, reply: replyChannel }, data);
      // Start at a random live responder (spreads the load), then try the others in turn.
      const start = Math.floor(Math.random() * Math.max(1, live.length));
      for (let i = 0; i < live.length; i++) {
        const node = live[(start + i) % live.length]!;
        const received = await cmd.publish(inboxOf(subject, node), msg).catch(() => 0);
        if (received > 0) return answer;
      }
      const req = pending.get(id);
      if (req) {
        clearTimeout(req.timer);
        pending.delete(id);
      }
      throw new BrokerRequestError("no_responders", subject);
    },
    respond(subject, handler) {
      checkSubject(subject);
      if (responders.has(subject)) throw new Error(`this node already responds to "${subject}"`);
      responders.set(subject, handler);
      sub.subscribe(inboxOf(subject, nodeId)).then(
        () => cmd.zadd(registryOf(subject), Date.now(), nodeId),
        (err) => opts.log.warn({ err, subject }, "broker respond failed; retried on reconnect"),
      ).catch(() => {});
      return () => {
        if (responders.get(subject) !== handler) return;
        responders.delete(subject);
        cmd.zrem(registryOf(subject), nodeId).catch(() => {});
        sub.unsubscribe(inboxOf(subject, nodeId)).catch(() => {});
      };
    },
    health: () => health.get(),
    onHealthChange: (l) => health.on(l),
    async close() {
      closing = true;
      clearInterval(beat);
      for (const [id, req] of pending) {
        clearTimeout(req.timer);
        req.reject(new BrokerRequestError("unavailable", req.subject, "broker closed"));
        pending.delete(id);
      }
      if (cmd.status === "ready") await Promise.all([...responders.keys()].map((s) => cmd.zrem(registryOf(s), nodeId).catch(() => {})));
      responders.clear();
      handlers.clear();
      await Promise.all([sub.quit().catch(() => sub.disconnect()), cmd.quit().catch(() => cmd.disconnect())]);
    },
  };
  return broker;
}

/** [4-byte header length][header JSON][body] */
function frame(header: Record<string, unknown>, body: Uint8Array): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([len, h, body]);
}

function unframe(buf: Buffer): { header: Record<string, unknown>; body: Buffer } {
  const n = buf.readUInt32BE(0);
  return { header: JSON.parse(buf.subarray(4, 4 + n).toString()), body: buf.subarray(4 + n) };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no connection after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (err) => {
        clearTimeout(t);
        reject(err);
      },
    );
  });
}
