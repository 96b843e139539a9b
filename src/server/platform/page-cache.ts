/**
 * Recent result pages by key, bounded in entries and age. Search keeps pages by query until the index
 * changes; the feed keeps anonymous pages for two seconds.
 *
 * Search: type-ahead sends the same few prefixes ("sc", "scar") from every
 * shopper, and each costs a full-text match and ranking of up to CANDIDATES entries; a page is a pure
 * function of the index, so it can be reused until the index changes. Every write to the index calls
 * `invalidate` (before and after it), and a page computed across a write is not stored (generation
 * check): a cached page is never older than the index it was read from.
 */
export interface PageCache<T> {
  get(key: string): T | undefined;
  /** the current generation: pass it back to `set` with the page computed under it */
  generation(): number;
  set(key: string, value: T, generation: number): void;
  invalidate(): void;
}

export function pageCache<T>(opts: { max: number; ttlMs: number; clock?: () => number }): PageCache<T> {
  const clock = opts.clock ?? Date.now;
  const entries = new Map<string, { at: number; value: T }>();
  let generation = 0;
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      entries.delete(key);
      if (clock() - e.at > opts.ttlMs) return undefined;
      entries.set(key, e); // most recently used last
      return e.value;
    },
    generation: () => generation,
    set(key, value, gen) {
      if (gen !== generation) return;
      entries.set(key, { at: clock(), value });
      if (entries.size > opts.max) entries.delete(entries.keys().next().value!);
    },
    invalidate() {
      generation++;
      entries.clear();
    },
  };
}
