import { randomBytes } from "node:crypto";

/**
 * The message broker of a multi-node deployment (BROKER_URL: Redis or NATS): fan-out between nodes
 * (publish/subscribe) and request/reply to exactly one responder (for work that one node must decide,
 * such as a flash sale's stock). Subjects are dot-separated words (`events.chat.posted`); every
 * implementation puts the instance's prefix (BROKER_PREFIX) in front, so several instances or test runs
 * can share one Redis or NATS without hearing each other.
 *
 * Delivery is at most once: a message published while the broker is away is lost (the callers say what
 * that means for them; docs/multi-node.md).
 */
export interface Broker {
  readonly kind: "redis" | "nats";
  /** this process's id in the cluster (random per start) */
  readonly nodeId: string;
  /** Fire and forget. While the broker is down the message is dropped (never queued without bound). */
  publish(subject: string, data: Uint8Array): void;
  /** Every message published on `subject` by any node (this one included) from now on; returns the unsubscribe. */
  subscribe(subject: string, handler: (data: Uint8Array) => void): () => void;
  /**
   * Sends `data` to exactly one responder of `subject` and resolves with its answer. Rejects with a
   * BrokerRequestError: `no_responders` at once when nobody responds to the subject, `timeout` after
   * `timeoutMs`, `unavailable` while the broker is down, `responder_failed` when the responder threw.
   */
  request(subject: string, data: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array>;
  /** Answers requests on `subject`; with several responders each request goes to one of them. */
  respond(subject: string, handler: (data: Uint8Array) => Uint8Array | Promise<Uint8Array>): () => void;
  health(): BrokerHealth;
  /** Called on every change between up and down. */
  onHealthChange(listener: (h: BrokerHealth) => void): () => void;
  close(): Promise<void>;
}

export interface BrokerHealth {
  status: "up" | "down";
  /** epoch ms of the last change */
  since: number;
  /** the last connection error, if any */
  lastError: string | null;
}

export type BrokerRequestFailure = "no_responders" | "timeout" | "unavailable" | "responder_failed";

export class BrokerRequestError extends Error {
  constructor(
    readonly code: BrokerRequestFailure,
    readonly subject: string,
    message?: string,
  ) {
    super(message ?? `broker request on "${subject}": ${code.replace("_", " ")}`);
    this.name = "BrokerRequestError";
  }
}

/** The broker could not be reached at start-up (or the URL is unusable): the message names BROKER_URL. */
export class BrokerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BrokerUnavailableError";
  }
}

export interface BrokerOptions {
  /** namespaces every subject and key */
  prefix: string;
  /** how long the first connection may take before start-up fails (default 5 s) */
  connectTimeoutMs?: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const newNodeId = () => `node_${randomBytes(6).toString("hex")}`;

/** A subject is dot-separated words of letters, digits, `_` and `-` (valid on both brokers). */
const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
export function checkSubject(subject: string): string {
  if (!SUBJECT.test(subject)) throw new Error(`invalid broker subject "${subject}"`);
  return subject;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * Up/down bookkeeping shared by the implementations: a change is logged once (warn when the broker
 * goes, info when it is back) and reported to the listeners.
 */
export class HealthTracker {
  private state: BrokerHealth = { status: "up", since: Date.now(), lastError: null };
  private listeners = new Set<(h: BrokerHealth) => void>();
  constructor(
    private readonly what: string,
    private readonly log: BrokerOptions["log"],
  ) {}
  get(): BrokerHealth {
    return { ...this.state };
  }
  error(err: unknown) {
    this.state.lastError = err instanceof Error ? err.message || err.name : String(err);
  }
  set(status: "up" | "down", err?: unknown) {
    if (err !== undefined) this.error(err);
    if (status === this.state.status) return;
    this.state = { status, since: Date.now(), lastError: this.state.lastError };
    if (status === "down") this.log.warn({ broker: this.what, lastError: this.state.lastError }, "broker connection lost: cross-node delivery paused");
    else this.log.info({ broker: this.what }, "broker connection back: cross-node delivery resumed");
    for (const l of this.listeners) l(this.get());
  }
  on(listener: (h: BrokerHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Opens the broker named by BROKER_URL (redis://, rediss:// or nats://); fails within the connect timeout. */
export async function openBroker(url: string, opts: BrokerOptions): Promise<Broker> {
  const scheme = url.slice(0, url.indexOf(":")).toLowerCase();
  if (scheme === "redis" || scheme === "rediss") {
    const { openRedisBroker } = await import("./redis-broker.ts");
    return openRedisBroker(url, opts);
  }
  if (scheme === "nats") {
    const { openNatsBroker } = await import("./nats-broker.ts");
    return openNatsBroker(url, opts);
  }
  throw new BrokerUnavailableError(`BROKER_URL: must start with redis://, rediss:// or nats:// (got ${redactUrl(url)})`);
}
