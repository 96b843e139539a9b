/**
 * The schedule math of a 24-hour channel (pure, no I/O). A compiled schedule is one loop: every
 * playable segment of every item in order, each with its storage key, its init segment and its
 * duration. The live media playlist is a function of (schedule, epoch, seq/disc bases, takeover,
 * wall clock) only — every viewer, every node and every restart computes the same window with the
 * same EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE. See docs/media-jobs.md, "Channels".
 *
 * Numbering: global segment h (h ≥ 0) is loop L = ⌊h / N⌋, index i = h mod N; its media sequence
 * number is seqBase + h and it plays from epoch + L·D + start(i) (D the loop's length). A "run" starts
 * at each segment after which timestamps do not simply continue (an item's first segment, a new init
 * segment, a skipped gap) and at the loop's wrap; a run start is preceded by EXT-X-DISCONTINUITY. The
 * discontinuity sequence number of segment h is discBase + L·R + runIndex(i), with R the runs of a loop.
 */
import { decimal } from "../media/llhls/playlist.ts";

export interface ScheduleSegment {
  /** storage key of the media file */
  key: string;
  /** storage key of its init segment (EXT-X-MAP) */
  init: string;
  /** ms */
  durMs: number;
  /** index of the item (in CompiledSchedule.items) it belongs to */
  item: number;
  /** it follows the previous segment of the loop in its source, same init: no discontinuity needed */
  cont: boolean;
}

export interface ScheduleItem {
  kind: "replay" | "video";
  refId: string;
  title: string;
  /** the show orders from this item are attributed to */
  showId: string | null;
  durationMs: number;
  /** why it is left out of the loop; null when it plays */
  problem: string | null;
}

export interface ScheduleCard {
  startMs: number;
  endMs: number;
  item: number;
  productId: string | null;
  showId: string | null;
}

export interface CompiledSchedule {
  version: number;
  items: ScheduleItem[];
  segments: ScheduleSegment[];
  /** loop-relative, contiguous over [0, loopMs) */
  cards: ScheduleCard[];
  /** codecs of the loop (e.g. "h264+aac") */
  codecs: string | null;
}

export interface PlayoutState {
  epoch: number;
  seqBase: number;
  discBase: number;
  /** while a live show has the channel: playout is paused at this instant */
  takeoverStartedAt: number | null;
}

export interface PreparedSchedule {
  s: CompiledSchedule;
  starts: number[];
  loopMs: number;
  runStart: boolean[];
  runIndex: number[];
  runsPerLoop: number;
  targetDuration: number;
}

export function prepare(s: CompiledSchedule): PreparedSchedule {
  const starts: number[] = [];
  const runStart: boolean[] = [];
  const runIndex: number[] = [];
  let t = 0;
  let runs = 0;
  s.segments.forEach((seg, i) => {
    starts.push(t);
    t += seg.durMs;
    const prev = s.segments[i - 1];
    const isRun = i === 0 || !seg.cont || !prev || prev.item !== seg.item || prev.init !== seg.init;
    runStart.push(isRun);
    if (isRun) runs++;
    runIndex.push(runs - 1);
  });
  return { s, starts, loopMs: t, runStart, runIndex, runsPerLoop: runs, targetDuration: Math.max(1, ...s.segments.map((x) => Math.round(x.durMs / 1000))) };
}

/** Where in its (endless) schedule the channel is at `now`, ms since its epoch; paused while taken over. */
export function positionAt(state: PlayoutState, now: number): number {
  return Math.max(0, (state.takeoverStartedAt ?? now) - state.epoch);
}

/** The global segment playing at position `p` (ms since the epoch). */
export function segmentAt(ps: PreparedSchedule, p: number): number {
  const n = ps.s.segments.length;
  if (n === 0 || ps.loopMs <= 0) return -1;
  const loop = Math.floor(p / ps.loopMs);
  const o = p - loop * ps.loopMs;
  // the last segment starting at or before o
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ps.starts[mid]! <= o) lo = mid + 1;
    else hi = mid;
  }
  return loop * n + Math.max(0, lo - 1);
}

export interface WindowEntry {
  /** global segment number (h) */
  h: number;
  seq: number;
  /** discontinuity sequence number of the segment */
  disc: number;
  segment: ScheduleSegment;
  /** epoch ms it plays from */
  pdt: number;
  /** starts a run (EXT-X-DISCONTINUITY before it, unless it is the window's first) */
  runStart: boolean;
}

export function entryOf(ps: PreparedSchedule, state: PlayoutState, h: number): WindowEntry {
  const n = ps.s.segments.length;
  const loop = Math.floor(h / n);
  const i = h - loop * n;
  return {
    h,
    seq: state.seqBase + h,
    disc: state.discBase + loop * ps.runsPerLoop + ps.runIndex[i]!,
    segment: ps.s.segments[i]!,
    pdt: state.epoch + loop * ps.loopMs + ps.starts[i]!,
    runStart: ps.runStart[i]!,
  };
}

/**
 * The sliding window at `now`: the segment playing and up to `size − 1` before it (a channel's
 * segments all exist already; the window is what makes it live — everyone is at the same place).
 */
export function windowAt(ps: PreparedSchedule, state: PlayoutState, now: number, size: number): WindowEntry[] {
  const cur = segmentAt(ps, positionAt(state, now));
  if (cur < 0) return [];
  const out: WindowEntry[] = [];
  for (let h = Math.max(0, cur - size + 1); h <= cur; h++) out.push(entryOf(ps, state, h));
  return out;
}

/** The live media playlist of the window; `uri(key)` makes a segment's (and an init's) URI. */
export function livePlaylist(ps: PreparedSchedule, entries: WindowEntry[], uri: (key: string) => string): string {
  const first = entries[0];
  const lines = ["#EXTM3U", "#EXT-X-VERSION:6", `#EXT-X-TARGETDURATION:${ps.targetDuration}`, `#EXT-X-MEDIA-SEQUENCE:${first?.seq ?? 0}`, `#EXT-X-DISCONTINUITY-SEQUENCE:${first?.disc ?? 0}`, "#EXT-X-INDEPENDENT-SEGMENTS"];
  let init: string | null = null;
  entries.forEach((e, k) => {
    if (k > 0 && e.runStart) lines.push("#EXT-X-DISCONTINUITY");
    if (e.segment.init !== init || (k > 0 && e.runStart)) {
      init = e.segment.init;
      lines.push(`#EXT-X-MAP:URI="${uri(init)}"`);
    }
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(e.pdt).toISOString()}`, `#EXTINF:${decimal(e.segment.durMs / 1000)},`, uri(e.segment.key));
  });
  return lines.join("\n") + "\n";
}

/** The card at loop offset `o` (ms), and the next loop offset at which the item or the card changes. */
export function cardAt(ps: PreparedSchedule, o: number): { card: ScheduleCard | null; nextChangeMs: number } {
  const cards = ps.s.cards;
  const card = cards.find((c) => c.startMs <= o && o < c.endMs) ?? null;
  return { card, nextChangeMs: card ? card.endMs : ps.loopMs };
}

/**
 * Adopting a new schedule at `now`: it starts from its beginning (at `takeoverStartedAt` when a show
 * has the channel, so that hand-back resumes at its start), numbered after everything the old one
 * could have listed, so sequence numbers never go back.
 */
export function adopt(old: PreparedSchedule | null, state: PlayoutState, now: number): Pick<PlayoutState, "epoch" | "seqBase" | "discBase"> {
  const at = state.takeoverStartedAt ?? now;
  if (!old || old.s.segments.length === 0) return { epoch: at, seqBase: state.seqBase, discBase: state.discBase };
  const cur = segmentAt(old, positionAt(state, now));
  const e = entryOf(old, state, Math.max(0, cur));
  return { epoch: at, seqBase: e.seq + 1, discBase: e.disc + 1 };
}

/** Hand-back after a takeover that began at `startedAt` and ended at `endedAt`: playout resumes where it paused. */
export function handBack(state: PlayoutState, endedAt: number): Pick<PlayoutState, "epoch"> {
  if (state.takeoverStartedAt === null) return { epoch: state.epoch };
  return { epoch: state.epoch + Math.max(0, endedAt - state.takeoverStartedAt) };
}
