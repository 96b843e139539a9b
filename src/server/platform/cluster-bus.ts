import type { DomainEvent, DomainEventType } from "../events.ts";
import type { Broker } from "./broker.ts";
import { InProcessBus, type EventBus, type EventMeta, type SubscribeOptions } from "./bus.ts";

const REMOTE: EventMeta = Object.freeze({ origin: "remote" });
const subjectOf = (type: string) => `events.${type}`;

/**
 * The event bus of a multi-node deployment (BROKER_URL). `publish` dispatches to this process's
 * subscribers exactly as the in-process bus does, and sends the event (JSON, with this node's id) on
 * the broker; another node dispatches it only to the subscribers that asked for `scope: "cluster"`.
 * So a side effect with writes (a local subscription) still runs once, where the transaction
 * committed, and what each node keeps in memory (rooms, caches, open streams) follows every node.
 * Cross-node delivery is at most once: events published while the broker is down do not reach the
 * other nodes (docs/multi-node.md).
 */
export class ClusterBus implements EventBus {
  private local: InProcessBus;
  private remote: InProcessBus;
  /** event type → [cluster subscriptions, the broker unsubscribe] */
  private wired = new Map<string, { count: number; off: () => void }>();
  private encoder = new TextEncoder();
  private decoder = new TextDecoder();

  constructor(
    private broker: Broker,
    onError: (err: unknown, event: DomainEvent) => void,
    private log: { warn(obj: object, msg: string): void },
  ) {
    this.local = new InProcessBus(onError);
    this.remote = new InProcessBus(onError);
  }

  publish(event: DomainEvent): void {
    this.local.publish(event);
    this.broker.publish(subjectOf(event.type), this.encoder.encode(JSON.stringify({ node: this.broker.nodeId, event })));
  }

  subscribe<T extends DomainEventType>(type: T, handler: (event: Extract<DomainEvent, { type: T }>, meta: EventMeta) => void | Promise<void>, opts: SubscribeOptions = {}): () => void {
    const offLocal = this.local.subscribe(type, handler);
    if (opts.scope !== "cluster") return offLocal;
    const offRemote = this.remote.subscribe(type, handler);
    let w = this.wired.get(type);
    if (!w) this.wired.set(type, (w = { count: 0, off: this.broker.subscribe(subjectOf(type), (data) => this.received(type, data)) }));
    w.count++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      offLocal();
      offRemote();
      const cur = this.wired.get(type);
      if (cur && --cur.count === 0) {
        cur.off();
        this.wired.delete(type);
      }
    };
  }

  private received(type: string, data: Uint8Array) {
    let msg: { node?: unknown; event?: DomainEvent };
    try {
      msg = JSON.parse(this.decoder.decode(data));
    } catch (err) {
      return this.log.warn({ err, type }, "unreadable event from the broker");
    }
    // Our own events were dispatched here already, when they were published.
    if (msg.node === this.broker.nodeId || msg.event?.type !== type) return;
    this.remote.publish(msg.event, REMOTE);
  }

  async close(): Promise<void> {
    for (const w of this.wired.values()) w.off();
    this.wired.clear();
    await this.local.close();
    await this.remote.close();
  }
}
