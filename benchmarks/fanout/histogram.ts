/**
 * Latency histogram with 0.1 ms buckets up to 60 s (anything slower lands in the last bucket): every
 * latency a probe sees is recorded in bounded memory (2.4 MB), and histograms of several load
 * generators merge exactly, so the percentiles need no sampling.
 */
const RESOLUTION_MS = 0.1;
const BUCKETS = 600_001;

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  add(ms: number) {
    const b = ms <= 0 ? 0 : Math.min(BUCKETS - 1, Math.floor(ms / RESOLUTION_MS));
    this.counts[b]!++;
    this.total++;
  }

  /** Non-empty buckets as [bucket, count] pairs, for sending over IPC. */
  toSparse(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) out.push([i, this.counts[i]!]);
    return out;
  }

  merge(sparse: [number, number][]) {
    for (const [b, n] of sparse) {
      this.counts[b]! += n;
      this.total += n;
    }
  }

  /** The p-quantile (0..1), ms: the upper edge of the bucket holding it. NaN when empty. */
  percentile(p: number): number {
    if (!this.total) return NaN;
    const rank = Math.min(this.total, Math.max(1, Math.ceil(p * this.total)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return (i + 1) * RESOLUTION_MS;
    }
    return NaN;
  }
}
