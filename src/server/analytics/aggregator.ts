import type { AnalyticsEvent, EventLog } from "./event-log.ts";
import { minuteOf, Rollup } from "./rollup.ts";
import type { RollupStore, ShowDimension } from "./store.ts";

/** Where raw analytics events go: every source (room, bus, ingest endpoint) records through this. */
export interface AnalyticsSink {
  record(event: AnalyticsEvent): void;
}

/**
 * Counts events in memory, per minute, and adds them to the rollup tables at each flush: one
 * transaction of multi-row upserts per flush, however many events and viewers there were. It also
 * follows each room (its size, the product on screen) to sample concurrent viewers per minute and to
 * count who a product card reached.
 */
export class Aggregator implements AnalyticsSink {
  private pending = new Rollup();
  private rooms = new Map<string, { viewers: number; showcased: string | null }>();
  /** Flushes and live reads take turns, so a read never sees counts both in memory and stored. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(
    private deps: {
      store: RollupStore;
      log: EventLog;
      now: () => number;
      /** who the shows being flushed belong to (for report scoping) */
      dimensions(showIds: string[]): Promise<ShowDimension[]>;
      onChange(showId: string): void;
    },
  ) {}

  record(event: AnalyticsEvent) {
    this.pending.add(event);
    this.deps.log.append(event);
    this.deps.onChange(event.showId);
  }

  /** A connection joined or left a show's room; `viewers`: the room's connections now. */
  presence(showId: string, viewerId: string | null, viewers: number, joined: boolean) {
    const at = this.deps.now();
    const room = this.rooms.get(showId) ?? { viewers: 0, showcased: null };
    room.viewers = viewers;
    if (viewers === 0 && room.showcased === null) this.rooms.delete(showId);
    else this.rooms.set(showId, room);
    this.record({ kind: joined ? "viewer.joined" : "viewer.left", showId, at, viewerId, viewers });
    // A newcomer's snapshot shows the card on screen.
    if (joined && room.showcased) this.record({ kind: "card.shown", showId, productId: room.showcased, at, count: 1, viewerId });
  }

  /** The host put a product on screen (or took it off): it reaches everyone in the room. */
  /** `count`: false when another node of a cluster counts this showing (it happened there) */
  showcased(showId: string, productId: string | null, at: number, count = true) {
    const room = this.rooms.get(showId) ?? { viewers: 0, showcased: null };
    room.showcased = productId;
    this.rooms.set(showId, room);
    if (count && productId && room.viewers > 0) this.record({ kind: "card.shown", showId, productId, at, count: room.viewers, viewerId: null });
  }

  ended(showId: string) {
    const room = this.rooms.get(showId);
    if (!room) return;
    room.showcased = null;
    if (room.viewers === 0) this.rooms.delete(showId);
  }

  currentViewers(showId: string): number {
    return this.rooms.get(showId)?.viewers ?? 0;
  }

  /** Each open room's size goes into the current minute, so every minute a room is open has a sample. */
  private sample() {
    const minute = minuteOf(this.deps.now());
    for (const [showId, room] of this.rooms) if (room.viewers > 0) this.pending.viewers(showId, minute, room.viewers);
  }

  private inTurn<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => {});
    return run;
  }

  /** Adds what was counted since the last flush to the rollup tables; on failure, keeps it for the next one. */
  flush(): Promise<void> {
    return this.inTurn(async () => {
      this.sample();
      if (this.pending.empty) return;
      const batch = this.pending;
      this.pending = new Rollup();
      try {
        const dimensions = await this.deps.dimensions([...batch.showIds()]);
        await this.deps.store.write(batch, dimensions, this.deps.now());
      } catch (err) {
        // What arrived meanwhile is newer than the batch.
        batch.absorb(this.pending, "other");
        this.pending = batch;
        throw err;
      }
    });
  }

  /** One show's rollups as stored plus what is counted but not yet flushed: the live view. */
  readShow(showId: string): Promise<Rollup> {
    return this.inTurn(async () => {
      this.sample();
      const stored = await this.deps.store.readShow(showId);
      stored.absorb(this.pending.only(showId), "other");
      return stored;
    });
  }
}
