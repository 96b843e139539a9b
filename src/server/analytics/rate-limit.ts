/**
 * Token buckets per key (a user id or an IP address), in memory. One process's view: behind a load
 * balancer each node limits on its own, which is enough to keep one client from flooding the counters.
 */
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private opts: { burst: number; perSecond: number; maxKeys?: number; now?: () => number }) {}

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number {
    const now = (this.opts.now ?? Date.now)();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= (this.opts.maxKeys ?? 50_000)) this.prune(now);
      b = { tokens: this.opts.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.opts.burst, b.tokens + ((now - b.at) / 1000) * this.opts.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) / this.opts.perSecond) * 1000);
    b.tokens -= 1;
    return 0;
  }

  /** Forgets full buckets (their keys would start full anyway), or the oldest half when none is. */
  private prune(now: number) {
    const fullAfterMs = (this.opts.burst / this.opts.perSecond) * 1000;
    for (const [k, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(k);
    if (this.buckets.size >= (this.opts.maxKeys ?? 50_000)) {
      const keys = [...this.buckets.keys()];
      for (const k of keys.slice(0, keys.length / 2)) this.buckets.delete(k);
    }
  }
}
