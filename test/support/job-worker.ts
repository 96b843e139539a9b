/**
 * A job runner in a process of its own, for the crash test: it claims `test.crash` jobs, reports
 * half their progress and then works "forever", until the test kills it (SIGKILL).
 * JOB_DB: the database config (JSON, as AppConfig["database"]).
 */
import { openDatabase } from "../../src/server/platform/db.ts";
import { createJobs } from "../../src/server/jobs/runner.ts";

const handle = openDatabase(JSON.parse(process.env.JOB_DB!));
const log = { info() {}, warn() {}, error: (o: object, m: string) => console.error(m, o) };
const jobs = createJobs({
  db: handle.db,
  leaseMs: 600,
  pollMs: 50,
  worker: "doomed",
  log,
  handlers: {
    "test.crash": async (ctx) => {
      ctx.progress(0.5);
      await new Promise(() => {});
    },
  },
});
jobs.start();
