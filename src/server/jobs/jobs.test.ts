import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { until } from "../../../test/support/until.ts";
import { createJobs, type JobHandler, type Jobs } from "./runner.ts";

const quiet = { info() {}, warn() {}, error() {} };

describe("media jobs", () => {
  let server: TestServer;
  const runners: Jobs[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const r of runners) await r.close();
    await server.close();
  });
  const runner = (handlers: Record<string, JobHandler>, opts: { leaseMs?: number; concurrency?: number; worker?: string } = {}) => {
    const r = createJobs({ db: server.app.db.db, handlers, pollMs: 50, backoffMs: 20, log: quiet, ...opts });
    runners.push(r);
    r.start();
    return r;
  };
  let n = 0;
  const unique = (what: string) => `${what}-${process.pid}-${n++}`;

  test("the same key queues one job; it runs once, reports progress and keeps its result", async () => {
    const seen: number[] = [];
    const jobs = runner({
      "test.echo": async (ctx) => {
        ctx.progress(0.25);
        seen.push((ctx.job.payload as { x: number }).x);
        return { doubled: (ctx.job.payload as { x: number }).x * 2 };
      },
    });
    const key = unique("echo");
    const a = await jobs.enqueue("test.echo", key, { x: 21 });
    const b = await jobs.enqueue("test.echo", key, { x: 99 });
    assert.equal(a.id, b.id, "one job per key");
    await jobs.drained();
    const done = (await jobs.get(a.id))!;
    assert.equal(done.status, "done");
    assert.deepEqual(done.result, { doubled: 42 });
    assert.equal(done.progress, 1);
    assert.equal(done.attempts, 1);
    assert.deepEqual(seen, [21]);
  });

  test("a failing attempt is retried with backoff; after its last attempt the job is failed with the error", async () => {
    let calls = 0;
    const jobs = runner({
      "test.flaky": async () => {
        if (++calls < 3) throw new Error(`boom ${calls}`);
        return "ok";
      },
      "test.broken": async () => {
        throw new Error("always");
      },
    });
    const flaky = await jobs.enqueue("test.flaky", unique("flaky"), {});
    const broken = await jobs.enqueue("test.broken", unique("broken"), {}, { maxAttempts: 2 });
    await jobs.drained();
    await until("both settled", async () => {
      const [f, b] = [await jobs.get(flaky.id), await jobs.get(broken.id)];
      return f!.status === "done" && b!.status === "failed";
    });
    assert.equal((await jobs.get(flaky.id))!.attempts, 3);
    const failed = (await jobs.get(broken.id))!;
    assert.equal(failed.attempts, 2);
    assert.equal(failed.error, "always");
  });

  test("two runners racing over many jobs run each job once, at most `concurrency` at a time each", async () => {
    const runs = new Map<string, number>();
    let inFlight = 0;
    let peak = 0;
    const handler: JobHandler = async (ctx) => {
      runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    };
    const a = runner({ "test.race": handler }, { concurrency: 2, worker: "a" });
    const b = runner({ "test.race": handler }, { concurrency: 2, worker: "b" });
    const ids = await Promise.all(Array.from({ length: 30 }, (_, i) => a.enqueue("test.race", unique(`race${i}`), { i }).then((j) => j.id)));
    await Promise.all([a.drained(), b.drained()]);
    assert.deepEqual(ids.map((id) => runs.get(id)), ids.map(() => 1));
    assert.ok(peak <= 4, `at most 2 per runner, saw ${peak}`);
  });

  test("a runner killed mid-job: after its lease lapses the job is taken again and completed once", async () => {
    const key = unique("crash");
    const db = server.app.config.database;
    const child = spawn(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "../../../test/support/job-worker.ts")], {
      env: { ...process.env, JOB_DB: JSON.stringify(db) },
      stdio: ["ignore", "ignore", "inherit"],
    });
    try {
      const enqueuer = createJobs({ db: server.app.db.db, handlers: {}, log: quiet });
      const job = await enqueuer.enqueue("test.crash", key, { file: "clip.mp4" });
      await until("the doomed worker half-way", async () => {
        const j = (await enqueuer.get(job.id))!;
        return j.status === "running" && j.progress === 0.5 ? j : null;
      }, 20_000);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));

      let completions = 0;
      const survivor = runner({
        "test.crash": async () => {
          completions++;
          return { written: "clip.mp4" };
        },
      });
      await until("the job completed after the crash", async () => (await survivor.get(job.id))!.status === "done", 20_000);
      await survivor.drained();
      const done = (await survivor.get(job.id))!;
      assert.equal(completions, 1, "completed once");
      assert.equal(done.attempts, 2, "the interrupted attempt and the one that finished");
      assert.deepEqual(done.result, { written: "clip.mp4" });
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("closing gives running jobs back at once: another runner takes them without waiting for the lease", async () => {
    let started!: () => void;
    const began = new Promise<void>((r) => (started = r));
    const first = createJobs({
      db: server.app.db.db,
      pollMs: 50,
      leaseMs: 3_600_000,
      log: quiet,
      handlers: {
        "test.handover": (ctx) =>
          new Promise((_, reject) => {
            started();
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          }),
      },
    });
    first.start();
    const job = await first.enqueue("test.handover", unique("handover"), {});
    await began;
    await first.close();
    const second = runner({ "test.handover": async () => "finished elsewhere" });
    await until("taken over", async () => (await second.get(job.id))!.status === "done", 10_000);
    assert.equal((await second.get(job.id))!.result, "finished elsewhere");
  });
});
