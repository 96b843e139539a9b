import type { ServerEvent } from "../../../src/shared/contracts/room.ts";
import { frameReached } from "./frame-sync.ts";

/*
 * Room events on the video's clock.
 *
 * Some room events carry `at`: the server instant of what they announce (the host showcased a
 * product, launched a flash sale, the sale opened…). The stream's PROGRAM-DATE-TIME is on the same
 * clock, so a viewer should see the change on the first frame stamped at or after `at`, about a
 * second after the host's camera saw it. Such an event waits here until the player presents that
 * frame (or a fallback timer gives up on it).
 */

/** The events that may wait for their frame. */
export type TimedEvent = Extract<ServerEvent, { type: "product.showcased" | "flash.state" }>;

/** An event waiting for the first frame stamped at or after `at`. */
export interface Waiting {
  at: number;
  event: TimedEvent;
}

/** What an event is about: a later event about the same thing updates the one waiting. */
function subject(e: TimedEvent): string {
  return e.type === "product.showcased" ? "showcase" : `flash:${e.sale.id}`;
}

/** The waiting event `w` with the news of `next`, a refresh of it (stock left), or null when `next` is about something else. */
function refreshed(w: TimedEvent, next: TimedEvent): TimedEvent | null {
  if (w.type === "product.showcased" && next.type === "product.showcased") return w.product?.id === next.product?.id ? { ...w, product: next.product } : null;
  if (w.type === "flash.state" && next.type === "flash.state") return { ...w, sale: next.sale };
  return null;
}

function lastIndexOf(waiting: readonly Waiting[], key: string): number {
  for (let i = waiting.length - 1; i >= 0; i--) if (subject(waiting[i]!.event) === key) return i;
  return -1;
}

const replaced = (waiting: readonly Waiting[], i: number, w: Waiting) => waiting.map((x, j) => (j === i ? w : x));

/**
 * An event arrives while the video has presented frames up to `shown` (the latest frame's program
 * date; -Infinity before the first one, +Infinity for a room that does not wait for frames, the
 * studio). Returns what waits now and the event to apply at once, if any:
 * - an `at` the video has not reached, later than anything waiting for the same thing, waits (at the
 *   same instant as the one waiting, it replaces it);
 * - a refresh (no `at`, or an `at` already shown or already waiting) of something waiting updates
 *   that, so the screen never runs ahead of the video;
 * - anything else is applied at once.
 */
export function arrive(waiting: readonly Waiting[], e: TimedEvent, shown: number): { waiting: readonly Waiting[]; now: TimedEvent | null } {
  const i = lastIndexOf(waiting, subject(e));
  const last = i >= 0 ? waiting[i]! : null;
  if (e.at !== undefined && e.at > shown) {
    if (!last || e.at > last.at) return { waiting: [...waiting, { at: e.at, event: e }], now: null };
    if (e.at === last.at) return { waiting: replaced(waiting, i, { at: e.at, event: e }), now: null };
  }
  const update = last ? refreshed(last.event, e) : null;
  if (last && update) return { waiting: replaced(waiting, i, { at: last.at, event: update }), now: null };
  return { waiting, now: e };
}

/**
 * Splits what waits into the events due on a presented frame stamped `pdt` (null: no clock, all of
 * them), in arrival order, and the rest. The rule is `frameReached`, the one bench:latency measures.
 */
export function due(waiting: readonly Waiting[], pdt: number | null): { due: Waiting[]; waiting: readonly Waiting[] } {
  const ready = waiting.filter((w) => frameReached(pdt, w.at));
  return ready.length ? { due: ready, waiting: waiting.filter((w) => !frameReached(pdt, w.at)) } : { due: [], waiting };
}

/**
 * The player's frame clock: the program date of the frame on screen and when it was presented.
 *
 * The room sets `wakeAt`, the next instant at which something on screen changes (a waiting event, a
 * flash sale's next second), on every render; a frame reaching it is worth a render, the others are
 * not (30 a second).
 */
export class FrameClock {
  private last: { pdt: number; at: number } | null = null;
  private previous: number | null = null;
  /** the next program date at which something on screen changes */
  wakeAt = Infinity;
  /** some events wait for their frame */
  waiting = false;

  constructor(private readonly local: () => number = () => performance.now()) {}

  /**
   * The player presents a frame stamped `pdt` (null: it has no clock). True when the room must look:
   * the frame reaches `wakeAt`, or the clock appears or goes away.
   */
  present(pdt: number | null): boolean {
    const had = this.last !== null;
    this.previous = this.last?.pdt ?? null;
    if (pdt === null) {
      this.last = null;
      return had || this.waiting;
    }
    this.last = { pdt, at: this.local() };
    return !had || frameReached(pdt, this.wakeAt);
  }

  /** The program date of the frame on screen, or null without a clock. */
  get pdt(): number | null {
    return this.last?.pdt ?? null;
  }

  /** The program date of the frame presented before the one on screen, or null. */
  get previousPdt(): number | null {
    return this.last ? this.previous : null;
  }

  /**
   * "Video now": the frame on screen's program date advanced by the time since it was presented, but
   * never up to the next instant something changes at (`wakeAt`): that one is crossed by the frame
   * stamped at or after it, not between two frames. Null without a clock.
   */
  now(): number | null {
    if (!this.last) return null;
    const t = this.last.pdt + (this.local() - this.last.at);
    return this.last.pdt < this.wakeAt ? Math.min(t, this.wakeAt - 1) : t;
  }
}
