import os from "node:os";
import type { Kysely } from "kysely";
import type { Db } from "../platform/db.ts";
import { newId } from "../platform/ids.ts";
import type { JobStatus, JobsTables } from "./schema.ts";

type Row = JobsTables["media_jobs"];

export interface Job {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** 0..1 */
  progress: number;
  error: string | null;
  result: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface JobContext {
  job: Job;
  /** aborted when the job is taken from this worker (its lease was lost) or the runner closes */
  signal: AbortSignal;
  /** 0..1; stored at most a few times a second */
  progress(fraction: number): void;
}

/**
 * Does one job's work. It may run more than once for the same job (a worker that died half-way, a
 * lease lost on a stalled machine), so it must be idempotent: write to a temporary name and rename,
 * upsert rather than insert. Throwing fails the attempt (retried with backoff until max attempts).
 */
export type JobHandler = (ctx: JobContext) => Promise<unknown>;

export interface Jobs {
  /** Queues `kind` work named `key`; the same key again returns the job already queued (or done). */
  enqueue(kind: string, key: string, payload: unknown, opts?: { maxAttempts?: number; runAfter?: number }): Promise<Job>;
  get(id: string): Promise<Job | null>;
  byKey(key: string): Promise<Job | null>;
  /** Begins claiming due jobs of the kinds it has handlers for. */
  start(): void;
  /** Looks for due work now (after an enqueue, say) instead of at the next poll. */
  wake(): void;
  /** Resolves when this runner has nothing running and nothing of its kinds is due (tests). */
  drained(): Promise<void>;
  /**
   * Stops claiming and aborts what runs; their leases are given up, so the next start (this node
   * after a restart, or another one) takes them again at once.
   */
  close(): Promise<void>;
}

export interface JobsDeps {
  db: Db;
  handlers: Record<string, JobHandler>;
  /** jobs run at once by this runner (media work is CPU-bound: ffmpeg) */
  concurrency?: number;
  /** a running job's lease; extended every third of it while the handler runs */
  leaseMs?: number;
  pollMs?: number;
  /** first retry after this, doubling each attempt, at most 5 minutes */
  backoffMs?: number;
  clock?: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** a label for this runner in the table (default host:pid:random) */
  worker?: string;
}

const toJob = (r: Row): Job => ({
  id: r.id,
  kind: r.kind,
  key: r.key,
  payload: JSON.parse(r.payload),
  status: r.status,
  attempts: Number(r.attempts),
  maxAttempts: Number(r.max_attempts),
  progress: Number(r.progress) / 1000,
  error: r.error,
  result: r.result === null ? null : JSON.parse(r.result),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export function createJobs(deps: JobsDeps): Jobs {
  const db = deps.db.withTables<JobsTables>() as unknown as Kysely<JobsTables>;
  const now = deps.clock ?? Date.now;
  const concurrency = deps.concurrency ?? Math.max(1, Math.min(2, os.cpus().length - 1));
  const leaseMs = deps.leaseMs ?? 60_000;
  const pollMs = deps.pollMs ?? 2_000;
  const backoffMs = deps.backoffMs ?? 5_000;
  const worker = deps.worker ?? `${os.hostname()}:${process.pid}:${newId("w").slice(-6)}`;
  const kinds = Object.keys(deps.handlers);
  const running = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let polling: Promise<void> | null = null;
  let again = false;

  async function claimOne(): Promise<Row | null> {
    const t = now();
    const due = await db
      .selectFrom("media_jobs")
      .select("id")
      .where("kind", "in", kinds)
      .where((eb) => eb.or([eb.and([eb("status", "=", "queued"), eb("run_after", "<=", t)]), eb.and([eb("status", "=", "running"), eb("lease_until", "<", t)])]))
      .orderBy("run_after")
      .limit(concurrency * 2)
      .execute();
    for (const { id } of due) {
      if (running.has(id)) continue;
      // The same condition again in the UPDATE: of two workers racing for a row, one changes it.
      const claimed = await db
        .updateTable("media_jobs")
        .set((eb) => ({ status: "running", lease_until: t + leaseMs, worker, attempts: eb("attempts", "+", 1), updated_at: t }))
        .where("id", "=", id)
        .where((eb) => eb.or([eb.and([eb("status", "=", "queued"), eb("run_after", "<=", t)]), eb.and([eb("status", "=", "running"), eb("lease_until", "<", t)])]))
        .returningAll()
        .executeTakeFirst();
      if (claimed) return claimed;
    }
    return null;
  }

  function run(row: Row) {
    const ctl = new AbortController();
    const job = toJob(row);
    let lastProgress = 0;
    let pendingProgress: number | null = null;
    const keep = setInterval(async () => {
      try {
        const r = await db.updateTable("media_jobs").set({ lease_until: now() + leaseMs, updated_at: now(), ...(pendingProgress === null ? {} : { progress: pendingProgress }) }).where("id", "=", job.id).where("worker", "=", worker).where("status", "=", "running").executeTakeFirst();
        pendingProgress = null;
        if (Number(r.numUpdatedRows) === 0) ctl.abort(new Error("lease lost"));
      } catch (err) {
        deps.log.warn({ err, jobId: job.id }, "job lease could not be extended");
      }
    }, Math.max(50, Math.floor(leaseMs / 3)));
    const ctx: JobContext = {
      job,
      signal: ctl.signal,
      progress(fraction) {
        const permille = Math.max(0, Math.min(1000, Math.round(fraction * 1000)));
        if (permille === lastProgress) return;
        lastProgress = permille;
        pendingProgress = permille;
      },
    };
    const done = (async () => {
      let outcome: { ok: true; result: unknown } | { ok: false; err: unknown };
      try {
        outcome = { ok: true, result: await deps.handlers[job.kind]!(ctx) };
      } catch (err) {
        outcome = { ok: false, err };
      }
      clearInterval(keep);
      if (ctl.signal.aborted) return; // taken from us (or closing): whoever holds it now decides
      const t = now();
      const mine = () => db.updateTable("media_jobs").where("id", "=", job.id).where("worker", "=", worker).where("status", "=", "running");
      if (outcome.ok) {
        await mine()
          .set({ status: "done", progress: 1000, lease_until: null, error: null, result: JSON.stringify(outcome.result ?? null), updated_at: t })
          .execute();
        deps.log.info({ jobId: job.id, kind: job.kind, attempts: job.attempts }, "job done");
      } else {
        const message = outcome.err instanceof Error ? outcome.err.message : String(outcome.err);
        const last = job.attempts >= job.maxAttempts;
        await mine()
          .set({
            status: last ? "failed" : "queued",
            lease_until: null,
            error: message.slice(0, 2000),
            run_after: last ? t : t + Math.min(300_000, backoffMs * 2 ** (job.attempts - 1)),
            updated_at: t,
          })
          .execute();
        (last ? deps.log.error : deps.log.warn)({ jobId: job.id, kind: job.kind, attempts: job.attempts, err: message }, last ? "job failed for good" : "job failed; will retry");
      }
    })()
      .catch((err) => deps.log.error({ err, jobId: job.id }, "job bookkeeping failed"))
      .finally(() => {
        running.delete(job.id);
        self.wake();
      });
    running.set(job.id, { ctl, done });
  }

  async function poll() {
    do {
      again = false;
      while (!closed && running.size < concurrency) {
        const row = await claimOne();
        if (!row) break;
        run(row);
      }
    } while (again && !closed);
  }

  const self: Jobs = {
    async enqueue(kind, key, payload, opts = {}) {
      const t = now();
      await db
        .insertInto("media_jobs")
        .values({
          id: newId("job"),
          kind,
          key,
          payload: JSON.stringify(payload ?? null),
          status: "queued",
          attempts: 0,
          max_attempts: opts.maxAttempts ?? 5,
          progress: 0,
          run_after: opts.runAfter ?? t,
          lease_until: null,
          worker: null,
          error: null,
          result: null,
          created_at: t,
          updated_at: t,
        })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute();
      const job = (await self.byKey(key))!;
      if (kinds.includes(kind)) self.wake();
      return job;
    },

    async get(id) {
      const r = await db.selectFrom("media_jobs").selectAll().where("id", "=", id).executeTakeFirst();
      return r ? toJob(r) : null;
    },

    async byKey(key) {
      const r = await db.selectFrom("media_jobs").selectAll().where("key", "=", key).executeTakeFirst();
      return r ? toJob(r) : null;
    },

    start() {
      if (timer || closed || !kinds.length) return;
      timer = setInterval(() => self.wake(), pollMs);
      timer.unref();
      self.wake();
    },

    wake() {
      if (closed || !timer) return;
      if (polling) {
        again = true;
        return;
      }
      polling = poll()
        .catch((err) => deps.log.error({ err }, "job poll failed"))
        .finally(() => (polling = null));
    },

    async drained() {
      for (;;) {
        await polling;
        await Promise.allSettled([...running.values()].map((r) => r.done));
        const due = await db
          .selectFrom("media_jobs")
          .select("id")
          .where("kind", "in", kinds.length ? kinds : [""])
          .where((eb) => eb.or([eb.and([eb("status", "=", "queued"), eb("run_after", "<=", now())]), eb("status", "=", "running")]))
          .limit(1)
          .execute();
        if (!due.length && !running.size) return;
        self.wake();
        await new Promise((r) => setTimeout(r, 20));
      }
    },

    async close() {
      closed = true;
      clearInterval(timer);
      await polling;
      const mine = [...running.entries()];
      for (const [, r] of mine) r.ctl.abort(new Error("closing"));
      await Promise.allSettled(mine.map(([, r]) => r.done));
      if (mine.length)
        await db
          .updateTable("media_jobs")
          .set({ lease_until: 0, updated_at: now() })
          .where("id", "in", mine.map(([id]) => id))
          .where("worker", "=", worker)
          .where("status", "=", "running")
          .execute();
    },
  };
  return self;
}
