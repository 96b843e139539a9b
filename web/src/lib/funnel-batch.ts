import { MAX_INGEST_EVENTS, type ClientAnalyticsEvent } from "../../../src/shared/contracts/analytics.ts";

/**
 * The viewer's funnel events (card tapped, checkout started), batched for
 * POST /api/v1/analytics/events: at most one request in flight, at most 50 events a request, a
 * bounded queue, and the server's rate limit respected (429 → wait for Retry-After). Pure: the caller
 * owns the clock and the network (see funnel-tracker.ts), so this is unit-tested without a browser.
 *
 * Cards *shown* are never sent: the server counts them itself when the host showcases a product (and
 * for each viewer who joins while it is on screen), so only what the browser alone sees comes from here.
 */
export type FunnelEvent = ClientAnalyticsEvent;

/** What became of a batch: the HTTP status (0: no answer at all) and the Retry-After seconds, if any. */
export interface BatchOutcome {
  status: number;
  retryAfterS?: number | null;
}

export interface BatcherOptions {
  /** events per request; the server refuses more than MAX_INGEST_EVENTS */
  maxBatch?: number;
  /** events kept while the network or the rate limit holds them back; the oldest go first */
  maxQueued?: number;
  /** first wait after a failure without Retry-After, doubled each time up to `maxBackoffMs` */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export class FunnelBatcher {
  private queue: FunnelEvent[] = [];
  private inFlight: FunnelEvent[] | null = null;
  private notBefore = 0;
  private failures = 0;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  /** events given up on: the queue overflowed, or the server refused a batch as invalid */
  dropped = 0;

  constructor(o: BatcherOptions = {}) {
    this.maxBatch = Math.max(1, Math.min(o.maxBatch ?? MAX_INGEST_EVENTS, MAX_INGEST_EVENTS));
    this.maxQueued = Math.max(this.maxBatch, o.maxQueued ?? 200);
    this.backoffMs = o.backoffMs ?? 2000;
    this.maxBackoffMs = o.maxBackoffMs ?? 60_000;
  }

  /** events waiting (not counting a batch in flight) */
  get size(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  add(event: FunnelEvent): void {
    this.queue.push(event);
    this.trim();
  }

  /** The batch to send now, or null: nothing queued, one already in flight, or still waiting after a 429 or a failure. */
  take(now: number): FunnelEvent[] | null {
    if (this.inFlight || this.queue.length === 0 || now < this.notBefore) return null;
    this.inFlight = this.queue.splice(0, this.maxBatch);
    return this.inFlight;
  }

  /** The answer to the batch in flight. */
  settle(outcome: BatchOutcome, now: number): void {
    const batch = this.inFlight;
    this.inFlight = null;
    if (!batch) return;
    const { status } = outcome;
    if (status >= 200 && status < 300) {
      this.failures = 0;
      return;
    }
    if (status === 429 || status === 0 || status >= 500) {
      // Kept, in order, ahead of what came since; sent again once the wait is over.
      this.queue.unshift(...batch);
      this.trim();
      this.failures++;
      const retryAfter = outcome.retryAfterS;
      const wait =
        status === 429 && retryAfter != null && Number.isFinite(retryAfter) && retryAfter > 0
          ? retryAfter * 1000
          : Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (this.failures - 1));
      this.notBefore = now + wait;
      return;
    }
    // Any other refusal (400: not a batch the server takes) would be refused again.
    this.failures = 0;
    this.dropped += batch.length;
  }

  /**
   * Everything still queued, in batches the server takes, for a page going away (sendBeacon: no
   * answer is read). A batch in flight is left to its request.
   */
  drain(): FunnelEvent[][] {
    const out: FunnelEvent[][] = [];
    while (this.queue.length) out.push(this.queue.splice(0, this.maxBatch));
    return out;
  }

  private trim() {
    const over = this.queue.length - this.maxQueued;
    if (over > 0) {
      this.queue.splice(0, over);
      this.dropped += over;
    }
  }
}
