/**
 * Read-only SQLite connections in worker threads for the search ranking query. On SQLite every query
 * of the app runs on the main thread's one connection; ranking up to CANDIDATES matches (bm25) is the
 * heaviest read there is (10–30 ms with a million products), and while it runs nothing else can.
 * A reader runs it on another core against the same file: WAL lets readers see every committed write,
 * so results match the main connection's. Writes never go through here.
 */
import os from "node:os";
import { Worker } from "node:worker_threads";

export interface SqliteReaders {
  all<R>(sql: string, params: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

type Reply = { id: number; rows?: unknown[]; error?: string };

/**
 * `count` workers (default: one per core, at most 2), each with its own read-only connection to `file`.
 * Two on a two-core machine too: with one, every search waited for the one before it, and bursts of
 * type-ahead queued (bench:feed, SQLite, 200 users, one run each: type-ahead p99 59 ms with one reader,
 * 44 ms with two; feed pages 11 → 14 ms, as the readers now share the cores with the main thread).
 */
export function sqliteReaders(file: string, count = Math.min(2, Math.max(1, os.availableParallelism()))): SqliteReaders {
  const url = new URL("./sqlite-reader-worker.mjs", import.meta.url);
  const workers = Array.from({ length: count }, () => {
    const w = new Worker(url, { workerData: { file } });
    w.unref();
    return { w, busy: 0 };
  });
  const waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (e: Error) => void; worker: (typeof workers)[number] }>();
  let seq = 0;
  let failed: Error | null = null;
  for (const entry of workers) {
    entry.w.on("message", (m: Reply) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      p.worker.busy--;
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.rows!);
    });
    entry.w.on("error", (err) => {
      failed = err;
      for (const [id, p] of waiting) if (p.worker === entry) (waiting.delete(id), p.reject(err));
    });
  }
  return {
    all<R>(sql: string, params: readonly unknown[]) {
      if (failed) return Promise.reject(failed);
      // the least busy reader
      const worker = workers.reduce((a, b) => (b.busy < a.busy ? b : a));
      worker.busy++;
      const id = seq++;
      return new Promise<R[]>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject, worker });
        worker.w.postMessage({ id, sql, params });
      });
    },
    async close() {
      await Promise.all(workers.map((e) => e.w.terminate()));
    },
  };
}
