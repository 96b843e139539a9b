import type { DomainEvent, DomainEventType } from "../events.ts";

/** Where an event came from: this process, or another node of the cluster (through the broker). */
export interface EventMeta {
  origin: "local" | "remote";
}
type Handler<T extends DomainEventType> = (event: Extract<DomainEvent, { type: T }>, meta: EventMeta) => void | Promise<void>;

/**
 * `local` (the default): only events published by this process, so side effects with writes run once,
 * on the node where the transaction committed. `cluster`: also every other node's events (multi-node,
 * BROKER_URL), for state that each node keeps in memory (rooms, caches, open streams); the handler's
 * `meta.origin` says which. In one process the two are the same. See docs/multi-node.md.
 */
export interface SubscribeOptions {
  scope?: "local" | "cluster";
}

/**
 * Domain events, published only after the transaction that produced them has committed.
 * The embedded implementation dispatches in-process; a Redis or NATS implementation
 * (multi-node) satisfies the same interface.
 */
export interface EventBus {
  publish(event: DomainEvent): void;
  subscribe<T extends DomainEventType>(type: T, handler: Handler<T>, opts?: SubscribeOptions): () => void;
  close(): Promise<void>;
}

const LOCAL: EventMeta = Object.freeze({ origin: "local" });

export class InProcessBus implements EventBus {
  private handlers = new Map<string, Set<(e: DomainEvent, meta: EventMeta) => void | Promise<void>>>();
  constructor(private onError: (err: unknown, event: DomainEvent) => void) {}

  publish(event: DomainEvent, meta: EventMeta = LOCAL): void {
    const set = this.handlers.get(event.type);
    if (!set) return;
    for (const h of set) {
      // Dispatch asynchronously so a publisher never runs subscriber code inside its own call stack.
      queueMicrotask(() => {
        try {
          const r = h(event, meta);
          if (r && typeof (r as Promise<void>).catch === "function") (r as Promise<void>).catch((err) => this.onError(err, event));
        } catch (err) {
          this.onError(err, event);
        }
      });
    }
  }

  /** One process is the whole cluster: both scopes get this process's events. */
  subscribe<T extends DomainEventType>(type: T, handler: Handler<T>, _opts?: SubscribeOptions): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const h = handler as (e: DomainEvent, meta: EventMeta) => void;
    set.add(h);
    return () => set.delete(h);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
