/**
 * Values read recently, by key, bounded in entries and age: a read-through memo for rows that many
 * requests ask for within seconds (the feed's items, a session's user). A value may be `null` ("known
 * to be absent"), which is kept like any other. Entries are dropped by age, by `delete` (the owner's
 * events) or when the map is full (least recently used first).
 */
export interface RecentMap<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  clear(): void;
  /** The kept values of `keys`, and the keys that must be read. */
  split(keys: Iterable<string>): { hits: Map<string, V>; misses: string[] };
  readonly size: number;
}

export function recentMap<V>(opts: { max: number; ttlMs: number; clock?: () => number }): RecentMap<V> {
  const clock = opts.clock ?? Date.now;
  const entries = new Map<string, { at: number; value: V }>();
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
    set(key, value) {
      entries.delete(key);
      entries.set(key, { at: clock(), value });
      if (entries.size > opts.max) entries.delete(entries.keys().next().value!);
    },
    delete: (key) => void entries.delete(key),
    clear: () => entries.clear(),
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
