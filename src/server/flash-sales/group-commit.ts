/**
 * Group commit: callers submit records and await their durability; records that arrive while a
 * batch is being written form the next batch, so one transaction carries many decisions and the
 * database is never asked for one commit per attempt.
 */
export class GroupCommit<T> {
  private queue: { item: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private writing = false;
  private scheduled = false;

  constructor(
    private write: (items: T[]) => Promise<void>,
    private opts: { maxBatch: number; onFatal: (err: unknown) => void },
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once everything submitted so far is durable. */
  async drain(): Promise<void> {
    while (this.queue.length || this.writing) await new Promise((r) => setTimeout(r, 1));
  }

  get pending(): number {
    return this.queue.length;
  }

  private schedule() {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    // setImmediate: every attempt that arrived in this turn of the event loop joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush() {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    try {
      await this.write(batch.map((b) => b.item));
      for (const b of batch) b.resolve();
    } catch (err) {
      // Decisions were taken in memory but could not be made durable: nobody was told they won,
      // and memory no longer matches the database. Fail-stop; recovery rebuilds from the database.
      for (const b of batch) b.reject(err);
      this.opts.onFatal(err);
    } finally {
      this.writing = false;
      if (this.queue.length) this.schedule();
    }
  }
}
