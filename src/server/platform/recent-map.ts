/**
 * Values read recently, by key, bounded in entries and age: a read-through memo for what many requests
 * ask for within seconds (search result pages, the feed's signed-out pages and items, a session's user).
 * A value may be `null` ("known to be absent"), which is kept like any other. Entries are dropped by age,
 * by `delete`/`clear` (the owner's events) or when the map is full (least recently used first).
 *
 * A value read across a drop must not be kept: take `generation()` before reading and pass it to `set`;
 * every `delete` and `clear` moves the generation on, and `set` then ignores the stale value. (Search:
 * every write to the index clears its pages, before and after, so a kept page is never older than the
 * index it was read from.)
 */
export interface RecentMap<V> {
  get(key: string): V | undefined;
  /** With `generation`: kept only if nothing was deleted or cleared since `generation()` returned it. */
  set(key: string, value: V, generation?: number): void;
  delete(key: string): void;
  clear(): void;
  generation(): number;
  /** The kept values of `keys`, and the keys that must be read. */
  split(keys: Iterable<string>): { hits: Map<string, V>; misses: string[] };
  readonly size: number;
}

export function recentMap<V>(opts: { max: number; ttlMs: number; clock?: () => number }): RecentMap<V> {
  const clock = opts.clock ?? Date.now;
  const entries = new Map<string, { at: number; value: V }>();
  let generation = 0;
  const get = (key: string): V | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    entries.delete(key);
    if (clock() - e.at > opts.ttlMs) return undefined;
    entries.set(key, e); // most recently used last
    return e.value;
  };
  return {
    get,
    set(key, value, gen) {
      if (gen !== undefined && gen !== generation) return;
      entries.delete(key);
      entries.set(key, { at: clock(), value });
      if (entries.size > opts.max) entries.delete(entries.keys().next().value!);
    },
    delete(key) {
      generation++;
      entries.delete(key);
    },
    clear() {
      generation++;
      entries.clear();
    },
    generation: () => generation,
    split(keys) {
      const hits = new Map<string, V>();
      const misses: string[] = [];
      for (const k of new Set(keys)) {
        const v = get(k);
        if (v === undefined) misses.push(k);
        else hits.set(k, v);
      }
      return { hits, misses };
    },
    get size() {
      return entries.size;
    },
  };
}
