/**
 * Low-Latency HLS media playlist, kept in memory, with blocking reload and delta updates
 * (draft-pantos-hls-rfc8216bis, "HLS 2nd edition"; section numbers below refer to it).
 *
 * A plain class with no I/O: the caller feeds it the init segment and ~200 ms parts from the
 * fMP4 splitter, and the HTTP routes ask it for playlists and resources. Timers are injectable.
 *
 * Naming (one stream = one publish): every URL carries the stream's random token, so a name
 * always names the same bytes and everything but the playlist is immutable.
 *   <token>-init.mp4        Media Initialization Section (EXT-X-MAP)
 *   <token>-s<msn>.mp4      a complete Media Segment: its parts concatenated
 *   <token>-p<n>.mp4        a Partial Segment; n counts parts over the whole stream
 * Parts are numbered over the stream, not within their segment, because the preload hint has to
 * name the next part before anyone knows whether it will start a new segment (§4.4.5.3: the
 * hinted URI MUST be the URI the part is later listed under).
 */
import { randomBytes } from "node:crypto";

export const PLAYLIST_CONTENT_TYPE = "application/vnd.apple.mpegurl";
export const MEDIA_CONTENT_TYPE = "video/mp4";

/** EXT-X-SKIP needs protocol version 9 (EXT-X-MAP needs 6); every response uses 9. */
const VERSION = 9;
/** §6.2.2: EXT-X-PART tags SHOULD be removed once more than three Target Durations from the end. */
const PART_LIST_TARGETS = 3;
/** §4.4.3.8: CAN-SKIP-UNTIL MUST be at least six Target Durations. */
const SKIP_TARGETS = 6;
/** §4.4.3.8: PART-HOLD-BACK MUST be at least 2, SHOULD be at least 3 Part Target Durations. */
const PART_HOLD_BACK_PARTS = 3;
/** A blocked playlist request (or hinted part) is answered 503 (null) after 3 Target Durations. */
const BLOCK_TARGETS = 3;
/** §6.2.5.2: _HLS_msn beyond the last Media Segment plus two is a Bad Request. */
const MSN_AHEAD_LIMIT = 2;
/** §4.4.4.9: every part except INDEPENDENT ones and the last of a segment lasts ≥ 85% of PART-TARGET. */
const MIN_PART_FRACTION = 0.85;
/** durations are sums of floats: compare with a microsecond of slack */
const EPSILON = 1e-6;

export interface LlHlsTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type LlHlsProblemKind =
  | "part_over_target" // a part longer than PART-TARGET (§4.4.4.9 MUST); listed anyway, with its real duration
  | "part_under_floor" // a non-final, non-independent part shorter than 85% of PART-TARGET (§4.4.4.9 MUST)
  | "target_duration_changed" // a segment outgrew EXT-X-TARGETDURATION after a playlist was served
  | "leading_part_not_independent" // the stream must start at a keyframe: part dropped
  | "part_before_init" // dropped
  | "part_after_end" // dropped
  | "bad_part" // non-positive or non-finite duration, or no data: dropped
  | "init_changed" // a second, different init segment: ignored (a new init needs a new stream)
  | "segment_listener_failed"; // a SegmentListener threw: the stream carries on

export interface LlHlsProblem {
  kind: LlHlsProblemKind;
  message: string;
  msn?: number;
}

export interface LlHlsOptions {
  /** Part Target Duration in seconds (EXT-X-PART-INF:PART-TARGET), e.g. 0.2 */
  partTarget: number;
  /** a new segment starts at the first independent part once the current one is this long (s), e.g. 1 */
  segmentTarget: number;
  /** complete segments listed in the playlist (≥ 3), e.g. 6 */
  windowSegments: number;
  /** default: the global timers (unref'd) */
  timers?: LlHlsTimers;
  /** default: 10 random lowercase hex characters */
  token?: string;
  /** called for every problem in what the splitter hands us; default: ignore */
  onProblem?: (p: LlHlsProblem) => void;
}

/** Where another rendition of the same content is (EXT-X-RENDITION-REPORT, §4.4.5.4). */
export interface RenditionReport {
  /** its media playlist, relative to this one */
  uri: string;
  /** its newest segment (the open one included) and that segment's last part; -1 before any */
  lastMsn: number;
  lastPart: number;
}

export interface PartInput {
  data: Buffer;
  /** seconds */
  duration: number;
  /** the part starts with a keyframe */
  independent: boolean;
  /** epoch ms of the part's first frame (EXT-X-PROGRAM-DATE-TIME) */
  wallClock: number;
}

/** A complete segment, as `<token>-s<msn>.mp4` serves it, for whoever records the stream. */
export interface CompletedSegment {
  msn: number;
  /** its parts concatenated */
  data: Buffer;
  /** seconds */
  duration: number;
  /** epoch ms of its first frame: its EXT-X-PROGRAM-DATE-TIME */
  programDateTime: number;
  /** the stream's init segment (EXT-X-MAP) */
  init: Buffer;
}

/**
 * Told of every segment once it is complete (in msn order), and of the end. Runs on the live path,
 * inside addPart()/end(): it must return at once (queue the work) and not throw.
 */
export interface SegmentListener {
  segment(s: CompletedSegment): void;
  end(): void;
}

export interface PlaylistQuery {
  /** _HLS_msn */
  msn?: number;
  /** _HLS_part */
  part?: number;
  /** _HLS_skip=YES (or v2: there are no date ranges to skip) */
  skip?: boolean;
}

export type PlaylistReply = { status: 200; body: string } | { status: 400 | 503; reason: string };

export interface LlHlsResource {
  data: Buffer;
  contentType: string;
  immutable: boolean;
}

interface Part {
  seq: number;
  data: Buffer;
  duration: number;
  independent: boolean;
}

interface Segment {
  msn: number;
  /** seconds since the stream's first part */
  start: number;
  duration: number;
  /** epoch ms of the first part */
  wallClock: number;
  parts: Part[];
  /** the whole segment, once complete (the parts' data are views into it) */
  data: Buffer | null;
}

interface Waiter {
  key: string;
  msn: number;
  part: number | undefined;
  skip: boolean;
  timer: unknown;
  resolve: (r: PlaylistReply) => void;
}

interface ResourceWaiter {
  name: string;
  timer: unknown;
  resolve: (r: LlHlsResource | null) => void;
}

const defaultTimers: LlHlsTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Decimal for a playlist: at most 5 decimals, no exponent, no trailing zeros. */
export function decimal(n: number): string {
  return String(Number(n.toFixed(5)));
}

/** rounded up, for lower bounds that must hold after rounding */
function decimalUp(n: number): string {
  return String(Math.ceil(Number((n * 1e5).toFixed(3))) / 1e5);
}

const TOKEN = /^[a-z0-9]{1,16}$/;
/** a non-negative decimal integer without leading zeros, so that one number has one spelling */
const INT = "(0|[1-9][0-9]{0,14})";
const RESOURCE = new RegExp(`^([a-z0-9]{1,16})-(?:(init)|s${INT}|p${INT})\\.mp4$`);

/** Shape check for routes: could `name` be an LL-HLS resource name (of any stream)? */
export function isLlHlsResourceName(name: string): boolean {
  return RESOURCE.test(name);
}

/**
 * Delivery directives from a playlist URL's query (§6.2.5). Unknown parameters are ignored;
 * a malformed directive is an error (answer 400).
 */
export function parseDeliveryDirectives(
  query: Record<string, unknown>,
): PlaylistQuery | { error: string } {
  const out: PlaylistQuery = {};
  for (const [key, field] of [["_HLS_msn", "msn"], ["_HLS_part", "part"]] as const) {
    const v = query[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || !/^[0-9]{1,15}$/.test(v)) return { error: `bad ${key}` };
    out[field] = Number(v);
  }
  const skip = query._HLS_skip;
  if (skip !== undefined) {
    if (skip !== "YES" && skip !== "v2") return { error: "bad _HLS_skip" };
    out.skip = true;
  }
  return out;
}

export class LlHlsStream {
  readonly token: string;
  private readonly partTarget: number;
  private readonly segmentTarget: number;
  private readonly windowSegments: number;
  private readonly timers: LlHlsTimers;
  private readonly report: (p: LlHlsProblem) => void;

  private init: Buffer | null = null;
  /** complete segments still served (the playlist lists the last windowSegments of them) */
  private readonly segments: Segment[] = [];
  /** the segment receiving parts */
  private open: Segment | null = null;
  private readonly parts = new Map<number, Part>();
  private nextMsn = 0;
  private nextPartSeq = 0;
  private elapsed = 0;
  private targetDuration: number;
  private isEnded = false;

  /** bumps on every change; keys the render cache */
  private version = 0;
  private rendered = false;
  private readonly cache = new Map<boolean, { version: number; body: string }>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly resourceWaiters = new Set<ResourceWaiter>();
  private readonly segmentListeners: SegmentListener[] = [];
  private renditionReports: (() => RenditionReport[]) | null = null;

  constructor(opts: LlHlsOptions) {
    const { partTarget, segmentTarget, windowSegments } = opts;
    if (!(Number.isFinite(partTarget) && partTarget > 0)) throw new RangeError("partTarget must be > 0");
    if (!(Number.isFinite(segmentTarget) && segmentTarget >= partTarget)) {
      throw new RangeError("segmentTarget must be ≥ partTarget");
    }
    // §6.2.2: a live playlist MUST NOT get shorter than three Target Durations.
    if (!(Number.isInteger(windowSegments) && windowSegments >= 3)) {
      throw new RangeError("windowSegments must be an integer ≥ 3");
    }
    if (opts.token !== undefined && !TOKEN.test(opts.token)) throw new RangeError("token must match [a-z0-9]{1,16}");
    this.partTarget = partTarget;
    this.segmentTarget = segmentTarget;
    this.windowSegments = windowSegments;
    this.timers = opts.timers ?? defaultTimers;
    this.report = opts.onProblem ?? (() => {});
    this.token = opts.token ?? randomBytes(5).toString("hex");
    this.targetDuration = Math.max(1, Math.ceil(segmentTarget - 1e-9));
  }

  get ended(): boolean {
    return this.isEnded;
  }

  /** URI of EXT-X-MAP */
  get initName(): string {
    return `${this.token}-init.mp4`;
  }

  /**
   * The other renditions of the show, reported at the end of every playlist answer (they change
   * on their own, so they are added to the cached rendering rather than kept in it).
   */
  setRenditionReports(reports: () => RenditionReport[]): void {
    this.renditionReports = reports;
  }

  /** This stream's newest segment and part, as another rendition's EXT-X-RENDITION-REPORT gives them. */
  position(): { lastMsn: number; lastPart: number } {
    const e = this.edge();
    return { lastMsn: e.msn, lastPart: e.part };
  }

  /**
   * Peak and average bit rates (bits/s) over the complete segments still served, for the
   * multivariant playlist's BANDWIDTH and AVERAGE-BANDWIDTH; null before the first segment completes.
   */
  bitrates(): { peak: number; average: number } | null {
    const segs = this.segments.filter((s) => s.data && s.duration > 0);
    if (!segs.length) return null;
    let bytes = 0;
    let seconds = 0;
    let peak = 0;
    for (const s of segs) {
      bytes += s.data!.length;
      seconds += s.duration;
      peak = Math.max(peak, (s.data!.length * 8) / s.duration);
    }
    return { peak: Math.ceil(peak), average: Math.ceil((bytes * 8) / seconds) };
  }

  segmentName(msn: number): string {
    return `${this.token}-s${msn}.mp4`;
  }

  partName(seq: number): string {
    return `${this.token}-p${seq}.mp4`;
  }

  setInit(data: Buffer): void {
    if (this.init) {
      if (!this.init.equals(data)) {
        this.report({ kind: "init_changed", message: "a different init segment was ignored; a new init needs a new stream" });
      }
      return;
    }
    this.init = data;
    this.changed();
  }

  /**
   * A part from the splitter. A new segment starts at the first independent part once the current
   * one has lasted segmentTarget − partTarget/2. The stream keeps `data` (do not reuse the Buffer).
   */
  addPart(f: PartInput): void {
    if (this.isEnded) return this.report({ kind: "part_after_end", message: "part after end() dropped" });
    if (!this.init) return this.report({ kind: "part_before_init", message: "part before setInit() dropped" });
    if (!(Number.isFinite(f.duration) && f.duration > 0) || !Buffer.isBuffer(f.data) || f.data.length === 0) {
      return this.report({ kind: "bad_part", message: `part dropped (duration ${f.duration})` });
    }
    const part: Part = { seq: this.nextPartSeq, data: f.data, duration: f.duration, independent: f.independent };
    let seg = this.open;
    // Close the open segment at a keyframe once it is long enough. Half a part of slack, so that a
    // keyframe interval equal to the segment target (or a hair under it) cuts there.
    if (seg && f.independent && seg.duration >= this.segmentTarget - this.partTarget / 2) {
      this.complete(seg);
      seg = null;
    }
    if (!seg) {
      if (!f.independent) {
        return this.report({ kind: "leading_part_not_independent", message: "a segment must start at a keyframe: part dropped" });
      }
      seg = { msn: this.nextMsn++, start: this.elapsed, duration: 0, wallClock: f.wallClock, parts: [], data: null };
      this.open = seg;
    } else {
      const prev = seg.parts[seg.parts.length - 1];
      // prev is no longer the segment's last part, so the 85% floor applies to it now.
      if (prev && !prev.independent && prev.duration < MIN_PART_FRACTION * this.partTarget) {
        this.report({
          kind: "part_under_floor",
          msn: seg.msn,
          message: `part ${this.partName(prev.seq)} lasts ${decimal(prev.duration)} s, under 85% of PART-TARGET ${decimal(this.partTarget)}`,
        });
      }
    }
    if (Number(decimal(f.duration)) > Number(decimal(this.partTarget))) {
      this.report({
        kind: "part_over_target",
        msn: seg.msn,
        message: `part ${this.partName(part.seq)} lasts ${decimal(f.duration)} s, over PART-TARGET ${decimal(this.partTarget)}`,
      });
    }
    this.nextPartSeq++;
    seg.parts.push(part);
    seg.duration += f.duration;
    this.elapsed += f.duration;
    this.parts.set(part.seq, part);
    this.growTarget(seg);
    this.changed();
    this.wakeResource(this.partName(part.seq));
  }

  /** The stream is over: the open segment is completed, EXT-X-ENDLIST is added and every waiter is answered. */
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    if (this.open) this.complete(this.open);
    this.changed();
    for (const w of [...this.resourceWaiters]) this.finishResource(w, null);
    for (const l of this.segmentListeners) this.tell(() => l.end());
  }

  /** `listener` hears of every segment completed from now on, and of end() (the recording of a show). */
  onSegments(listener: SegmentListener): void {
    this.segmentListeners.push(listener);
  }

  /**
   * The playlist, honouring the delivery directives (§6.2.5). Resolves at once unless `msn` asks
   * for something the playlist does not hold yet; then when it does, or 503 after three Target
   * Durations. Ended streams answer at once with the final playlist.
   */
  playlist(q: PlaylistQuery = {}): Promise<PlaylistReply> {
    const skip = q.skip === true;
    const { msn, part } = q;
    if (part !== undefined && msn === undefined) return done({ status: 400, reason: "_HLS_part without _HLS_msn" });
    if (!validIndex(msn) || !validIndex(part)) return done({ status: 400, reason: "malformed _HLS_msn or _HLS_part" });
    const hasMedia = this.hasMedia();
    if (this.isEnded || msn === undefined) return done(this.answer(skip));

    const lastComplete = (this.open ? this.open.msn : this.nextMsn) - 1;
    if (msn > lastComplete + MSN_AHEAD_LIMIT) {
      return done({ status: 400, reason: `_HLS_msn ${msn} is more than ${MSN_AHEAD_LIMIT} past the last segment (${lastComplete})` });
    }
    if (part !== undefined && hasMedia) {
      // §6.2.5.2: Advance Part Limit, 3 / PART-TARGET (or 3 for parts of a second or more).
      const limit = this.partTarget < 1 ? 3 / this.partTarget : 3;
      const edge = this.edge();
      const ahead = msn === edge.msn ? part - edge.part : msn > edge.msn ? part + 1 : -Infinity;
      if (ahead > limit) return done({ status: 400, reason: `_HLS_part ${part} is too far ahead of the last part` });
    }
    if (hasMedia && this.satisfied(msn, part)) return done(this.answer(skip));

    return new Promise((resolve) => {
      const key = `${msn}/${part ?? "-"}`;
      const w: Waiter = { key, msn, part, skip, timer: undefined, resolve };
      w.timer = this.timers.setTimeout(() => {
        this.dropWaiter(w);
        resolve({ status: 503, reason: "the requested segment or part did not arrive in time" });
      }, this.blockMs());
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      set.add(w);
    });
  }

  /** The bytes behind a name from the playlist; null for anything else (unknown, not yet there, or rotated away). */
  resource(name: string): LlHlsResource | null {
    const m = RESOURCE.exec(name);
    if (!m || m[1] !== this.token) return null;
    if (m[2]) return this.init ? media(this.init) : null;
    if (m[3] !== undefined) {
      const msn = Number(m[3]);
      const first = this.segments[0];
      if (!first || msn < first.msn) return null;
      const seg = this.segments[msn - first.msn];
      return seg?.data ? media(seg.data) : null;
    }
    const part = this.parts.get(Number(m[4]));
    return part ? media(part.data) : null;
  }

  /**
   * Like resource(), but a request for the preload-hinted part waits for it (§4.4.5.3: the server
   * holds a hinted request until it can answer): resolves when the part arrives, or null after three
   * Target Durations or at end().
   */
  awaitResource(name: string): Promise<LlHlsResource | null> {
    const now = this.resource(name);
    if (now || this.isEnded || name !== this.hintName()) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: ResourceWaiter = { name, timer: undefined, resolve };
      w.timer = this.timers.setTimeout(() => this.finishResource(w, null), this.blockMs());
      this.resourceWaiters.add(w);
    });
  }

  // ---- internals ----

  private complete(seg: Segment): void {
    seg.data = Buffer.concat(seg.parts.map((p) => p.data));
    let offset = 0;
    for (const p of seg.parts) {
      const len = p.data.length;
      p.data = seg.data.subarray(offset, offset + len);
      offset += len;
    }
    this.segments.push(seg);
    if (this.open === seg) this.open = null;
    if (this.segmentListeners.length) {
      const done: CompletedSegment = { msn: seg.msn, data: seg.data, duration: seg.duration, programDateTime: seg.wallClock, init: this.init! };
      for (const l of this.segmentListeners) this.tell(() => l.segment(done));
    }
    // RFC 8216 §6.2.2: a segment removed from the playlist stays available for its duration plus the
    // playlist's; keeping as many segments again as the playlist lists covers that.
    while (this.segments.length > 2 * this.windowSegments) {
      const old = this.segments.shift()!;
      for (const p of old.parts) this.parts.delete(p.seq);
    }
  }

  private tell(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.report({ kind: "segment_listener_failed", message: `a segment listener threw: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private growTarget(seg: Segment): void {
    const rounded = Math.round(seg.duration);
    if (rounded <= this.targetDuration) return;
    const before = this.targetDuration;
    this.targetDuration = rounded;
    if (this.rendered) {
      this.report({
        kind: "target_duration_changed",
        msn: seg.msn,
        message: `segment ${seg.msn} is ${decimal(seg.duration)} s long: EXT-X-TARGETDURATION ${before} → ${rounded} (keyframe interval longer than the segment target?)`,
      });
    }
  }

  private blockMs(): number {
    return BLOCK_TARGETS * this.targetDuration * 1000;
  }

  /** the newest part: (its segment's msn, its index in that segment) */
  private edge(): { msn: number; part: number } {
    const seg = this.open ?? this.segments[this.segments.length - 1];
    return seg ? { msn: seg.msn, part: seg.parts.length - 1 } : { msn: -1, part: -1 };
  }

  /**
   * _HLS_msn=M alone: segment M is complete. With _HLS_part=P: the playlist holds part P of
   * segment M or any later part (so P one past M's last part means the first part of M+1).
   */
  private satisfied(msn: number, part: number | undefined): boolean {
    if (this.isEnded) return true;
    if (part === undefined) {
      const lastComplete = this.segments[this.segments.length - 1];
      return lastComplete !== undefined && lastComplete.msn >= msn;
    }
    const edge = this.edge();
    return edge.msn > msn || (edge.msn === msn && edge.part >= part);
  }

  private changed(): void {
    this.version++;
    if (this.waiters.size === 0) return;
    for (const [key, set] of this.waiters) {
      const first = set.values().next().value;
      if (!first || !this.satisfied(first.msn, first.part)) continue;
      this.waiters.delete(key);
      for (const w of set) {
        this.timers.clearTimeout(w.timer);
        w.resolve(this.answer(w.skip));
      }
    }
  }

  private dropWaiter(w: Waiter): void {
    const set = this.waiters.get(w.key);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.waiters.delete(w.key);
  }

  private hintName(): string | null {
    if (this.isEnded || !this.open) return null;
    return this.partName(this.nextPartSeq);
  }

  private wakeResource(name: string): void {
    if (this.resourceWaiters.size === 0) return;
    const r = this.resource(name);
    for (const w of [...this.resourceWaiters]) if (w.name === name) this.finishResource(w, r);
  }

  private finishResource(w: ResourceWaiter, r: LlHlsResource | null): void {
    if (!this.resourceWaiters.delete(w)) return;
    this.timers.clearTimeout(w.timer);
    w.resolve(r);
  }

  private hasMedia(): boolean {
    return this.init !== null && (this.open !== null || this.segments.length > 0);
  }

  private answer(skip: boolean): PlaylistReply {
    if (this.hasMedia()) return { status: 200, body: this.render(skip) + this.reportLines() };
    return { status: 503, reason: this.isEnded ? "the stream ended without media" : "no media yet" };
  }

  private reportLines(): string {
    if (!this.renditionReports) return "";
    return this.renditionReports()
      .map((r) => `#EXT-X-RENDITION-REPORT:URI="${r.uri}"${r.lastMsn >= 0 ? `,LAST-MSN=${r.lastMsn},LAST-PART=${Math.max(0, r.lastPart)}` : ""}\n`)
      .join("");
  }

  private render(skip: boolean): string {
    const hit = this.cache.get(skip);
    if (hit && hit.version === this.version) return hit.body;
    const body = this.build(skip);
    this.cache.set(skip, { version: this.version, body });
    this.rendered = true;
    return body;
  }

  private build(skip: boolean): string {
    const td = this.targetDuration;
    const skipUntil = SKIP_TARGETS * td;
    const listed = this.segments.slice(-this.windowSegments);
    const all = this.open ? [...listed, this.open] : listed;
    const first = all[0]!;
    const end = this.elapsed;

    const head = [
      "#EXTM3U",
      `#EXT-X-VERSION:${VERSION}`,
      `#EXT-X-TARGETDURATION:${td}`,
      `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=${decimal(skipUntil)},PART-HOLD-BACK=${decimalUp(PART_HOLD_BACK_PARTS * this.partTarget)}`,
      `#EXT-X-PART-INF:PART-TARGET=${decimal(this.partTarget)}`,
      `#EXT-X-MEDIA-SEQUENCE:${first.msn}`,
      "#EXT-X-INDEPENDENT-SEGMENTS",
    ];

    // §6.2.5.1 / §4.4.5.2: a delta update replaces the oldest segments, those wholly older than the
    // Skip Boundary, with their tags (the EXT-X-MAP before the first one included) by EXT-X-SKIP.
    let skipped = 0;
    if (skip) {
      while (skipped < listed.length && end - (listed[skipped]!.start + listed[skipped]!.duration) >= skipUntil - EPSILON) {
        skipped++;
      }
    }

    const body: string[] = [];
    if (skipped > 0) body.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);
    else body.push(`#EXT-X-MAP:URI="${this.initName}"`);
    for (const seg of all.slice(skipped)) {
      // Tags that apply to the segment come before its first EXT-X-PART (§4.4.4.9).
      body.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.wallClock).toISOString()}`);
      if (seg === this.open || end - seg.start <= PART_LIST_TARGETS * td + EPSILON) {
        for (const p of seg.parts) {
          body.push(`#EXT-X-PART:DURATION=${decimal(p.duration)},URI="${this.partName(p.seq)}"${p.independent ? ",INDEPENDENT=YES" : ""}`);
        }
      }
      if (seg !== this.open) body.push(`#EXTINF:${decimal(seg.duration)},`, this.segmentName(seg.msn));
    }
    const hint = this.hintName();
    if (hint) body.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${hint}"`);
    // §4.4.5.3: a playlist with EXT-X-ENDLIST MUST NOT carry EXT-X-PRELOAD-HINT (hintName() is null then).
    if (this.isEnded) body.push("#EXT-X-ENDLIST");
    return [...head, ...body].join("\n") + "\n";
  }
}

function validIndex(n: number | undefined): boolean {
  return n === undefined || (Number.isSafeInteger(n) && n >= 0);
}

function done(r: PlaylistReply): Promise<PlaylistReply> {
  return Promise.resolve(r);
}

function media(data: Buffer): LlHlsResource {
  return { data, contentType: MEDIA_CONTENT_TYPE, immutable: true };
}
