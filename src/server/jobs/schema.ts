export type JobStatus = "queued" | "running" | "done" | "failed";

/** (A type rather than an interface: `db.withTables<JobsTables>()` wants an indexable record.) */
export type JobsTables = {
  /**
   * Media work (clips, transcodes, channel playout…) as durable jobs. A job is claimed with a lease
   * that its worker keeps extending while it runs; a worker that dies stops extending it, and once the
   * lease has passed any worker (the same process after a restart, or another node) claims it again.
   */
  media_jobs: {
    id: string;
    kind: string;
    /** what the job is about, unique: enqueueing the same work twice gives the same job */
    key: string;
    /** JSON */
    payload: string;
    status: JobStatus;
    /** claims so far (each claim is an attempt, an interrupted one included) */
    attempts: number;
    max_attempts: number;
    /** 0..1000 (per mille), as the handler reports it */
    progress: number;
    /** not claimed before (backoff after a failure) */
    run_after: number;
    /** the running claim is the worker's until then */
    lease_until: number | null;
    worker: string | null;
    /** the last failure's message */
    error: string | null;
    /** JSON, when done */
    result: string | null;
    created_at: number;
    updated_at: number;
  };
};
