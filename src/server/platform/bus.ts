import type { DomainEvent, DomainEventType } from "../events.ts";

type Handler<T extends DomainEventType> = (event: Extract<DomainEvent, { type: T }>) => void | Promise<void>;

/**
 * Domain events, published only after the transaction that produced them has committed.
 * The embedded implementation dispatches in-process; a Redis or NATS implementation
 * (multi-node) satisfies the same interface.
 */
export interface EventBus {
  publish(event: DomainEvent): void;
  subscribe<T extends DomainEventType>(type: T, handler: Handler<T>): () => void;
  close(): Promise<void>;
}

export class InProcessBus implements EventBus {
  private handlers = new Map<string, Set<(e: DomainEvent) => void | Promise<void>>>();
  constructor(private onError: (err: unknown, event: DomainEvent) => void) {}

  publish(event: DomainEvent): void {
    const set = this.handlers.get(event.type);
    if (!set) return;
    for (const h of set) {
      // Dispatch asynchronously so a publisher never runs subscriber code inside its own call stack.
      queueMicrotask(() => {
        try {
          const r = h(event);
          if (r && typeof (r as Promise<void>).catch === "function") (r as Promise<void>).catch((err) => this.onError(err, event));
        } catch (err) {
          this.onError(err, event);
        }
      });
    }
  }

  subscribe<T extends DomainEventType>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const h = handler as (e: DomainEvent) => void;
    set.add(h);
    return () => set.delete(h);
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
