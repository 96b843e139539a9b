import type { LiveAnalytics } from "../../shared/contracts/analytics.ts";

type Listener = (live: LiveAnalytics) => void;

/**
 * Pushes a show's live figures to the dashboards watching it: at most once per `pushMs` per show,
 * only when something was counted, computed once and sent to every watcher of that show.
 */
export class LiveFeed {
  private listeners = new Map<string, Set<Listener>>();
  private dirty = new Set<string>();
  private timer: NodeJS.Timeout;
  private pushing = false;

  constructor(
    private compute: (showId: string) => Promise<LiveAnalytics>,
    pushMs: number,
    private log: { error(obj: object, msg: string): void },
  ) {
    this.timer = setInterval(() => void this.push(), pushMs);
    this.timer.unref();
  }

  changed(showId: string) {
    if (this.listeners.has(showId)) this.dirty.add(showId);
  }

  watch(showId: string, listener: Listener): () => void {
    let set = this.listeners.get(showId);
    if (!set) this.listeners.set(showId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(showId) === set) this.listeners.delete(showId);
    };
  }

  get watchers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  private async push() {
    if (this.pushing || this.dirty.size === 0) return;
    this.pushing = true;
    const shows = [...this.dirty];
    this.dirty.clear();
    try {
      for (const showId of shows) {
        const set = this.listeners.get(showId);
        if (!set?.size) continue;
        try {
          const live = await this.compute(showId);
          for (const l of set) l(live);
        } catch (err) {
          this.dirty.add(showId);
          this.log.error({ err, showId }, "live analytics push failed");
        }
      }
    } finally {
      this.pushing = false;
    }
  }

  close() {
    clearInterval(this.timer);
    this.listeners.clear();
  }
}
