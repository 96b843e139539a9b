import { connect, headers, RequestError, TimeoutError, type NatsConnection, type Subscription } from "@nats-io/transport-node";
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

/** Responders of one subject form this queue group: NATS gives each request to one of them. */
const RESPONDERS = "responders";

/** NATS: everything is native (subjects, queue groups, request/reply with no-responders). */
export async function openNatsBroker(url: string, opts: BrokerOptions): Promise<Broker> {
  const nodeId = newNodeId();
  const subjectOf = (s: string) => `${opts.prefix}.${checkSubject(s)}`;
  const health = new HealthTracker(`nats ${redactUrl(url)}`, opts.log);
  const timeoutMs = opts.connectTimeoutMs ?? 5000;
  const u = new URL(url);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: `${u.hostname}:${u.port || 4222}`,
      ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
      name: `vetrina ${nodeId}`,
      timeout: timeoutMs,
      // Reconnect forever, twice a second; notice a dead server within a few seconds.
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 2000,
      maxPingOut: 2,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new BrokerUnavailableError(`BROKER_URL: cannot connect to NATS at ${redactUrl(url)} within ${timeoutMs / 1000} s (${why})`);
  }

  let closing = false;
  void (async () => {
    for await (const s of nc.status()) {
      if (closing) return;
      if (s.type === "disconnect" || s.type === "staleConnection") health.set("down", s.type);
      else if (s.type === "reconnect") health.set("up");
      else if (s.type === "error") health.error(s.error);
    }
  })().catch(() => {});

  const subs = new Set<Subscription>();
  const track = (s: Subscription) => {
    subs.add(s);
    return () => {
      if (subs.delete(s)) s.unsubscribe();
    };
  };

  return {
    kind: "nats",
    nodeId,
    publish(subject, data) {
      // While away the message is dropped, not buffered by the client (it would arrive late and out of turn).
      if (health.get().status === "down") return;
      try {
        nc.publish(subjectOf(subject), data);
      } catch (err) {
        health.error(err);
      }
    },
    subscribe(subject, handler) {
      const s = nc.subscribe(subjectOf(subject), {
        callback: (err, msg) => {
          if (err) return health.error(err);
          try {
            handler(msg.data);
          } catch (e) {
            opts.log.error({ err: e, subject }, "broker subscriber failed");
          }
        },
      });
      return track(s);
    },
    async request(subject, data, o = {}) {
      const full = subjectOf(subject);
      if (health.get().status === "down" || nc.isClosed()) throw new BrokerRequestError("unavailable", subject);
      try {
        const msg = await nc.request(full, data, { timeout: o.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
        const failed = msg.headers?.get("vetrina-error");
        if (failed) throw new BrokerRequestError("responder_failed", subject, `broker request on "${subject}": the responder failed: ${failed}`);
        return msg.data;
      } catch (err) {
        if (err instanceof BrokerRequestError) throw err;
        if (err instanceof RequestError && err.isNoResponders()) throw new BrokerRequestError("no_responders", subject);
        if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) throw new BrokerRequestError("timeout", subject);
        throw new BrokerRequestError("unavailable", subject, `broker request on "${subject}": ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    respond(subject, handler) {
      const s = nc.subscribe(subjectOf(subject), {
        queue: RESPONDERS,
        callback: (err, msg) => {
          if (err) return health.error(err);
          void (async () => {
            try {
              msg.respond(await handler(msg.data));
            } catch (e) {
              const h = headers();
              h.set("vetrina-error", e instanceof Error ? e.message : String(e));
              msg.respond(new Uint8Array(), { headers: h });
            }
          })();
        },
      });
      return track(s);
    },
    health: () => health.get(),
    onHealthChange: (l) => health.on(l),
    async close() {
      closing = true;
      subs.clear();
      await nc.drain().catch(() => nc.close());
    },
  };
}
