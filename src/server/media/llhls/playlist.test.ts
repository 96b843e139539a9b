import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  LlHlsStream,
  isLlHlsResourceName,
  parseDeliveryDirectives,
  type LlHlsOptions,
  type LlHlsProblem,
  type LlHlsTimers,
  type PlaylistReply,
} from "./playlist.ts";

/** Timers driven by the test: nothing fires until advance(). */
class FakeTimers implements LlHlsTimers {
  now = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  get active(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = target;
  }
}

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

function harness(opts: Partial<LlHlsOptions> = {}) {
  const timers = new FakeTimers();
  const problems: LlHlsProblem[] = [];
  const s = new LlHlsStream({
    partTarget: 0.2,
    segmentTarget: 1,
    windowSegments: 6,
    timers,
    token: "tok1",
    onProblem: (p) => problems.push(p),
    ...opts,
  });
  s.setInit(Buffer.from("INIT"));
  let n = 0;
  let clock = T0;
  /** every part's bytes and flags, by the order they were added */
  const added: { data: Buffer; independent: boolean; duration: number }[] = [];
  const add = (independent: boolean, duration = 0.2) => {
    const data = Buffer.from(`part-${n++}|`);
    added.push({ data, independent, duration });
    s.addPart({ data, duration, independent, wallClock: clock });
    clock += Math.round(duration * 1000);
  };
  /** a keyframe part followed by parts-1 plain ones */
  const gop = (parts = 5, duration = 0.2) => {
    for (let i = 0; i < parts; i++) add(i === 0, duration);
  };
  return { s, timers, problems, add, gop, added };
}

async function flush(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

/** A promise's state without waiting for it. */
function track<T>(p: Promise<T>): { settled: () => boolean; value: () => T } {
  let done = false;
  let v: T;
  p.then((x) => {
    done = true;
    v = x;
  });
  return { settled: () => done, value: () => v };
}

async function body(p: Promise<PlaylistReply>): Promise<string> {
  const r = await p;
  assert.equal(r.status, 200, JSON.stringify(r));
  return (r as { body: string }).body;
}

function attrs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const list = line.slice(line.indexOf(":") + 1);
  for (const m of list.matchAll(/([A-Z0-9-]+)=("[^"]*"|[^,]*)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  return out;
}

interface ParsedPart { duration: number; uri: string; independent: boolean }
interface ParsedSegment { pdt: number; parts: ParsedPart[]; extinf?: number; uri?: string; lines: [number, number] }
interface Parsed {
  lines: string[];
  header: Map<string, string>;
  headerEnd: number;
  version: number;
  targetDuration: number;
  mediaSequence: number;
  partTarget: number;
  partHoldBack: number;
  canSkipUntil: number;
  skipped: number;
  map?: string;
  segments: ParsedSegment[]; // complete ones (with EXTINF)
  open?: ParsedSegment; // trailing parts without EXTINF
  hint?: string;
  endlist: boolean;
}

const HEADER_TAGS = [
  "#EXT-X-VERSION",
  "#EXT-X-TARGETDURATION",
  "#EXT-X-SERVER-CONTROL",
  "#EXT-X-PART-INF",
  "#EXT-X-MEDIA-SEQUENCE",
  "#EXT-X-INDEPENDENT-SEGMENTS",
];

/**
 * Parses and checks a playlist line by line against the rules we promise (rfc8216bis):
 * tag order, one of each playlist tag, segment/part structure, durations vs targets, hint and
 * ENDLIST placement, and that every URI listed is served by `s`.
 */
function validate(text: string, s: LlHlsStream, o: { partsWithinTarget?: boolean } = {}): Parsed {
  assert.ok(text.endsWith("\n"), "ends with a newline");
  const lines = text.slice(0, -1).split("\n");
  assert.equal(lines[0], "#EXTM3U", "EXTM3U first");
  for (const l of lines) assert.ok(l.length > 0 && l.trim() === l, `no blank or padded lines: ${JSON.stringify(l)}`);

  // Playlist tags: each exactly once, in this order, right after EXTM3U.
  const header = new Map<string, string>();
  HEADER_TAGS.forEach((tag, i) => {
    const line = lines[i + 1]!;
    assert.ok(line === tag || line.startsWith(tag + ":"), `line ${i + 1} is ${tag}: ${line}`);
    header.set(tag, line.includes(":") ? line.slice(line.indexOf(":") + 1) : "");
    assert.equal(lines.filter((l) => l === tag || l.startsWith(tag + ":")).length, 1, `${tag} once`);
  });
  const version = Number(header.get("#EXT-X-VERSION"));
  assert.equal(version, 9);
  const targetDuration = Number(header.get("#EXT-X-TARGETDURATION"));
  assert.ok(Number.isInteger(targetDuration) && targetDuration >= 1, "TARGETDURATION integer ≥ 1");
  const sc = attrs("#X:" + header.get("#EXT-X-SERVER-CONTROL"));
  assert.equal(sc["CAN-BLOCK-RELOAD"], "YES");
  const partTarget = Number(attrs("#X:" + header.get("#EXT-X-PART-INF"))["PART-TARGET"]);
  const partHoldBack = Number(sc["PART-HOLD-BACK"]);
  const canSkipUntil = Number(sc["CAN-SKIP-UNTIL"]);
  assert.ok(partHoldBack >= 3 * partTarget - 1e-9, "PART-HOLD-BACK ≥ 3 × PART-TARGET");
  assert.ok(canSkipUntil >= 6 * targetDuration, "CAN-SKIP-UNTIL ≥ 6 × TARGETDURATION");
  const mediaSequence = Number(header.get("#EXT-X-MEDIA-SEQUENCE"));
  assert.ok(Number.isInteger(mediaSequence) && mediaSequence >= 0);

  let i = HEADER_TAGS.length + 1;
  let skipped = 0;
  let map: string | undefined;
  if (lines[i]!.startsWith("#EXT-X-SKIP:")) {
    skipped = Number(attrs(lines[i]!)["SKIPPED-SEGMENTS"]);
    assert.ok(Number.isInteger(skipped) && skipped > 0, "SKIPPED-SEGMENTS > 0");
    i++;
  } else {
    assert.ok(lines[i]!.startsWith("#EXT-X-MAP:"), "EXT-X-MAP before the first segment");
    map = attrs(lines[i]!).URI;
    i++;
  }
  assert.equal(lines.filter((l) => l.startsWith("#EXT-X-SKIP")).length, skipped ? 1 : 0);
  assert.equal(lines.filter((l) => l.startsWith("#EXT-X-MAP")).length, map ? 1 : 0);

  const segments: ParsedSegment[] = [];
  let open: ParsedSegment | undefined;
  let hint: string | undefined;
  let endlist = false;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith("#EXT-X-PRELOAD-HINT:")) {
      const a = attrs(line);
      assert.equal(a.TYPE, "PART");
      hint = a.URI;
      i++;
      continue;
    }
    if (line === "#EXT-X-ENDLIST") {
      endlist = true;
      i++;
      continue;
    }
    assert.equal(hint, undefined, "nothing but ENDLIST after the preload hint");
    assert.equal(endlist, false, "ENDLIST is last");
    // A segment: PROGRAM-DATE-TIME (before its first part), its parts, then EXTINF + URI.
    assert.ok(line.startsWith("#EXT-X-PROGRAM-DATE-TIME:"), `segment starts with PROGRAM-DATE-TIME: line ${i}: ${line}`);
    const pdtText = line.slice(line.indexOf(":") + 1);
    assert.match(pdtText, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const seg: ParsedSegment = { pdt: Date.parse(pdtText), parts: [], lines: [i, i] };
    i++;
    while (i < lines.length && lines[i]!.startsWith("#EXT-X-PART:")) {
      const a = attrs(lines[i]!);
      assert.deepEqual(Object.keys(a).sort(), (a.INDEPENDENT ? ["DURATION", "INDEPENDENT", "URI"] : ["DURATION", "URI"]).sort());
      if (a.INDEPENDENT) assert.equal(a.INDEPENDENT, "YES");
      seg.parts.push({ duration: Number(a.DURATION), uri: a.URI!, independent: a.INDEPENDENT === "YES" });
      i++;
    }
    if (i < lines.length && lines[i]!.startsWith("#EXTINF:")) {
      assert.match(lines[i]!, /^#EXTINF:\d+(\.\d+)?,$/);
      seg.extinf = Number(lines[i]!.slice(8, -1));
      seg.uri = lines[i + 1];
      assert.ok(seg.uri && !seg.uri.startsWith("#"), "a URI line follows EXTINF");
      i += 2;
      seg.lines[1] = i - 1;
      assert.equal(open, undefined, "only the last segment may be open");
      segments.push(seg);
    } else {
      assert.ok(seg.parts.length > 0, "an open segment lists its parts");
      assert.equal(open, undefined, "one open segment");
      seg.lines[1] = i - 1;
      open = seg;
    }
  }
  if (endlist) {
    assert.equal(lines[lines.length - 1], "#EXT-X-ENDLIST");
    assert.equal(hint, undefined, "no PRELOAD-HINT with ENDLIST");
    assert.equal(open, undefined, "an ended playlist has no open segment");
  } else {
    assert.ok(hint, "a live playlist hints the next part");
  }

  const all = open ? [...segments, open] : segments;
  let partsSeen = false;
  for (const seg of all) {
    if (seg.parts.length) {
      partsSeen = true;
      assert.ok(seg.parts[0]!.independent, "a segment's first part is INDEPENDENT");
      for (const p of seg.parts) {
        if (o.partsWithinTarget !== false) assert.ok(p.duration <= partTarget, `part ${p.uri} ${p.duration} ≤ PART-TARGET`);
        assert.ok(s.resource(p.uri), `part ${p.uri} is served`);
      }
      if (seg.extinf !== undefined) {
        const sum = seg.parts.reduce((a, p) => a + p.duration, 0);
        assert.ok(Math.abs(sum - seg.extinf) < 1e-4, `parts add up to EXTINF: ${sum} vs ${seg.extinf}`);
      }
    } else {
      assert.ok(!partsSeen, "parts are listed for the newest segments only (a suffix)");
    }
    if (seg.extinf !== undefined) {
      assert.ok(Math.round(seg.extinf) <= targetDuration, `EXTINF ${seg.extinf} rounds to ≤ TARGETDURATION ${targetDuration}`);
      const r = s.resource(seg.uri!);
      assert.ok(r, `segment ${seg.uri} is served`);
      if (seg.parts.length) {
        assert.deepEqual(r.data, Buffer.concat(seg.parts.map((p) => s.resource(p.uri)!.data)), "a segment is its parts concatenated");
      }
    }
  }
  // Parts are listed for segments that start within 3 target durations of the end, and no older.
  const total = all.reduce((a, seg) => a + (seg.extinf ?? seg.parts.reduce((b, p) => b + p.duration, 0)), 0);
  let start = 0;
  for (const seg of all) {
    const within = total - start <= 3 * targetDuration + 1e-6;
    if (seg !== open && !skipped) assert.equal(seg.parts.length > 0, within, `parts listed iff within 3 TD (segment at ${start})`);
    start += seg.extinf ?? 0;
  }
  for (let k = 1; k < all.length; k++) {
    const prev = all[k - 1]!;
    assert.ok(Math.abs(all[k]!.pdt - prev.pdt - prev.extinf! * 1000) <= 1, "PROGRAM-DATE-TIME advances by EXTINF");
  }
  if (map) assert.ok(s.resource(map), "init is served");
  if (hint) assert.equal(s.resource(hint), null, "the hinted part does not exist yet");
  return {
    lines, header, headerEnd: HEADER_TAGS.length + 1, version, targetDuration, mediaSequence, partTarget,
    partHoldBack, canSkipUntil, skipped, map, segments, open, hint, endlist,
  };
}

describe("LlHlsStream playlist", () => {
  test("renders exactly the expected playlist (golden), and it validates", async () => {
    const { s, gop, add } = harness({ windowSegments: 3 });
    for (let k = 0; k < 5; k++) gop();
    add(true);
    add(false);
    const text = await body(s.playlist());
    const pdt = (ms: number) => `#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + ms).toISOString()}`;
    const parts = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => `#EXT-X-PART:DURATION=0.2,URI="tok1-p${from + k}.mp4"${k === 0 ? ",INDEPENDENT=YES" : ""}`);
    assert.equal(
      text,
      [
        "#EXTM3U",
        "#EXT-X-VERSION:9",
        "#EXT-X-TARGETDURATION:1",
        "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,PART-HOLD-BACK=0.6",
        "#EXT-X-PART-INF:PART-TARGET=0.2",
        "#EXT-X-MEDIA-SEQUENCE:2",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="tok1-init.mp4"',
        pdt(2000),
        "#EXTINF:1,",
        "tok1-s2.mp4",
        pdt(3000),
        ...parts(15, 5),
        "#EXTINF:1,",
        "tok1-s3.mp4",
        pdt(4000),
        ...parts(20, 5),
        "#EXTINF:1,",
        "tok1-s4.mp4",
        pdt(5000),
        ...parts(25, 2),
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="tok1-p27.mp4"',
        "",
      ].join("\n"),
    );
    validate(text, s);
  });

  test("a long live run validates at every step", async () => {
    const { s, add } = harness();
    // keyframes every 3 parts (0.6 s): segments close at the second keyframe (1.2 s)
    for (let n = 0; n < 80; n++) {
      add(n % 3 === 0);
      const p = validate(await body(s.playlist()), s);
      assert.ok(p.segments.length <= 6);
    }
  });

  test("INDEPENDENT=YES marks exactly the keyframe parts, and segments start at one", async () => {
    const { s, add, added } = harness();
    const pattern = [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0];
    for (const k of pattern) add(k === 1);
    const p = validate(await body(s.playlist()), s);
    const listed = [...p.segments, ...(p.open ? [p.open] : [])].flatMap((seg) => seg.parts);
    assert.equal(listed.length, 9, "segment 2 (started 1.8 s before the end) and the open one list parts");
    for (const part of listed) {
      const idx = added.findIndex((a) => a.data.equals(s.resource(part.uri)!.data));
      assert.ok(idx >= 0);
      assert.equal(part.independent, added[idx]!.independent, `${part.uri}`);
    }
    // Segment boundaries: the first keyframe once a segment has lasted ≥ 0.9 s (1 s − half a part).
    // Keyframes at 0, 3, 6, 13, 15, 16, 20: 3 is only 0.6 s in, 6 is 1.2 s in → [0..5]; 13 → [6..12];
    // 15 and 16 are 0.4 and 0.6 s in, 20 is 1.4 s in → [13..19]; [20, 21] is open.
    const firstPart = (data: Buffer) => Number(/^part-(\d+)\|/.exec(data.toString())![1]);
    const starts = [...p.segments.map((seg) => s.resource(seg.uri!)!.data), s.resource(p.open!.parts[0]!.uri)!.data].map(firstPart);
    assert.deepEqual(starts, [0, 6, 13, 20]);
  });

  test("TARGETDURATION covers long GOPs; bad parts are reported, not fatal", async () => {
    const { s, gop, add, problems } = harness({ segmentTarget: 1 });
    add(false); // before any keyframe: dropped
    assert.deepEqual(problems.map((p) => p.kind), ["leading_part_not_independent"]);
    gop(5);
    const first = validate(await body(s.playlist()), s);
    assert.equal(first.targetDuration, 1);
    gop(10); // a 2 s GOP: the segment outgrows the target
    gop(10);
    const p = validate(await body(s.playlist()), s);
    assert.equal(p.targetDuration, 2);
    assert.ok(problems.some((x) => x.kind === "target_duration_changed"));
    assert.equal(p.canSkipUntil, 12, "CAN-SKIP-UNTIL follows TARGETDURATION");
  });

  test("part durations outside PART-TARGET's bounds are reported and listed as they are", async () => {
    const { s, gop, add, problems } = harness();
    gop(3);
    add(false, 0.25); // over PART-TARGET: reported at once
    add(false, 0.1); // under 85%: reported once it is not the segment's last part
    assert.deepEqual(problems.map((x) => x.kind), ["part_over_target"]);
    add(false, 0.2);
    assert.deepEqual(problems.map((x) => x.kind), ["part_over_target", "part_under_floor"]);
    add(false, 0.05); // the last part of its segment may be short
    add(true, 0.1); // and so may a keyframe part
    add(false, 0.2);
    assert.equal(problems.length, 2);
    const listed = validate(await body(s.playlist()), s, { partsWithinTarget: false });
    assert.ok(listed.segments[0]!.parts.some((x) => x.duration === 0.25), "the real duration is listed");
    assert.equal(listed.segments[0]!.extinf, 1.2);
    s.addPart({ data: Buffer.alloc(0), duration: 0.2, independent: false, wallClock: T0 });
    s.addPart({ data: Buffer.from("x"), duration: Number.NaN, independent: false, wallClock: T0 });
    assert.deepEqual(problems.slice(2).map((x) => x.kind), ["bad_part", "bad_part"]);
    s.setInit(Buffer.from("OTHER"));
    assert.equal(problems.at(-1)!.kind, "init_changed");
    assert.deepEqual(s.resource("tok1-init.mp4")!.data, Buffer.from("INIT"));
  });

  test("the window slides; old segments and parts stop being served", async () => {
    const { s, gop } = harness({ windowSegments: 6 });
    for (let k = 0; k < 10; k++) gop(); // complete: 0..8, open: 9
    let p = validate(await body(s.playlist()), s);
    assert.equal(p.segments.length, 6);
    assert.equal(p.mediaSequence, 3);
    assert.deepEqual(p.segments.map((x) => x.uri), [3, 4, 5, 6, 7, 8].map((n) => `tok1-s${n}.mp4`));
    // Just removed from the playlist: still served for a grace period (RFC 8216 §6.2.2).
    assert.ok(s.resource("tok1-s0.mp4"));
    assert.ok(s.resource("tok1-p0.mp4"));
    for (let k = 0; k < 5; k++) gop(); // complete: 0..13, open: 14
    p = validate(await body(s.playlist()), s);
    assert.equal(p.mediaSequence, 8);
    assert.equal(s.resource("tok1-s0.mp4"), null);
    assert.equal(s.resource("tok1-s1.mp4"), null);
    assert.equal(s.resource("tok1-p0.mp4"), null);
    assert.equal(s.resource("tok1-p9.mp4"), null);
    assert.ok(s.resource("tok1-s2.mp4"), "2 × windowSegments complete segments are kept");
    assert.ok(s.resource("tok1-p10.mp4"));
    // Not yet complete, other streams, other spellings: nothing.
    assert.equal(s.resource("tok1-s14.mp4"), null, "the open segment is not a resource yet");
    assert.equal(s.resource("tok2-s9.mp4"), null);
    assert.equal(s.resource("tok1-s09.mp4"), null);
    assert.equal(s.resource("tok1-s9.mp4.tmp"), null);
    assert.equal(s.resource("../tok1-s9.mp4"), null);
    const seg = s.resource("tok1-s9.mp4")!;
    assert.equal(seg.contentType, "video/mp4");
    assert.equal(seg.immutable, true);
    assert.ok(isLlHlsResourceName("tok1-p27.mp4"));
    assert.ok(!isLlHlsResourceName("tok1-p027.mp4"));
  });

  test("the preload hint names the next part, also when that part starts a new segment", async () => {
    const { s, add } = harness();
    add(true);
    for (let n = 1; n < 12; n++) {
      const before = validate(await body(s.playlist()), s);
      assert.equal(s.resource(before.hint!), null);
      add(n % 5 === 0); // parts 5 and 10 start segments 1 and 2
      const after = validate(await body(s.playlist()), s);
      const newest = (after.open ?? after.segments.at(-1)!).parts.at(-1)!;
      assert.equal(newest.uri, before.hint, `hinted ${before.hint} is listed as the new part`);
      assert.ok(s.resource(before.hint!));
      if (n % 5 === 0) assert.equal(after.open!.parts.length, 1, "the hinted part opened a new segment");
    }
  });

  test("a request for the hinted part waits for it; times out or ends with null", async () => {
    const { s, gop, add, timers } = harness();
    gop();
    let hint = validate(await body(s.playlist()), s).hint!;
    const early = track(s.awaitResource(hint));
    const other = await s.awaitResource("tok1-p99.mp4");
    assert.equal(other, null, "only the hinted part is waited for");
    await flush();
    assert.equal(early.settled(), false);
    add(true);
    await flush();
    assert.ok(early.settled());
    assert.deepEqual(early.value(), s.resource(hint));
    assert.equal(timers.active, 0, "timer cleared");

    hint = validate(await body(s.playlist()), s).hint!;
    const late = track(s.awaitResource(hint));
    timers.advance(2999);
    await flush();
    assert.equal(late.settled(), false);
    timers.advance(1);
    await flush();
    assert.equal(late.value(), null);

    const atEnd = track(s.awaitResource(hint));
    s.end();
    await flush();
    assert.equal(atEnd.value(), null);
    assert.equal(timers.active, 0);
  });
});

describe("blocking playlist reload", () => {
  test("waits for the requested part, is answered by the part that completes it and not before", async () => {
    const { s, gop, add, timers } = harness();
    gop();
    add(true);
    add(false); // segment 1 has parts 0, 1
    const want = track(s.playlist({ msn: 1, part: 3 }));
    await flush();
    assert.equal(want.settled(), false);
    add(false); // part 2
    await flush();
    assert.equal(want.settled(), false, "part 2 does not answer a wait for part 3");
    timers.advance(2000);
    await flush();
    assert.equal(want.settled(), false);
    add(false); // part 3
    await flush();
    assert.ok(want.settled());
    const r = want.value();
    assert.equal(r.status, 200);
    const p = validate((r as { body: string }).body, s);
    assert.equal(p.open!.parts.length, 4, "the answer holds part 3 of segment 1");
    assert.equal(timers.active, 0, "its timeout was cleared");
    // Already there: answered at once.
    assert.equal((await s.playlist({ msn: 1, part: 2 })).status, 200);
    assert.equal((await s.playlist({ msn: 0 })).status, 200);
    assert.equal((await s.playlist({ msn: 0, part: 4 })).status, 200);
  });

  test("_HLS_msn alone waits until that segment is complete", async () => {
    const { s, gop, add } = harness();
    gop();
    add(true);
    const want = track(s.playlist({ msn: 1 }));
    for (let k = 0; k < 4; k++) add(false);
    await flush();
    assert.equal(want.settled(), false, "segment 1 has all its parts but is not complete");
    add(true); // opens segment 2, completing segment 1
    await flush();
    const p = validate((want.value() as { body: string }).body, s);
    assert.equal(p.segments.at(-1)!.uri, "tok1-s1.mp4");
  });

  test("_HLS_part one past the last part of a segment means the next segment's first part", async () => {
    const { s, gop, add } = harness();
    gop();
    gop(); // segment 1: parts 0..4, still open
    const want = track(s.playlist({ msn: 1, part: 5 }));
    await flush();
    assert.equal(want.settled(), false);
    add(true); // segment 2, part 0
    await flush();
    const p = validate((want.value() as { body: string }).body, s);
    assert.equal(p.open!.parts.length, 1);
    assert.equal(p.segments.at(-1)!.uri, "tok1-s1.mp4");
    // and once that is so, such a request is answered at once
    assert.equal((await s.playlist({ msn: 1, part: 5 })).status, 200);
    assert.equal((await s.playlist({ msn: 1, part: 9 })).status, 200, "any later part satisfies it");
  });

  test("times out to 503 after three target durations and clears its timer", async () => {
    const { s, gop, timers } = harness();
    gop();
    const want = track(s.playlist({ msn: 1, part: 0 }));
    timers.advance(2999);
    await flush();
    assert.equal(want.settled(), false);
    timers.advance(1);
    await flush();
    assert.deepEqual(want.value().status, 503);
    assert.equal(timers.active, 0);
  });

  test("400 for _HLS_part without _HLS_msn, for msn more than two past the last segment, for parts too far ahead", async () => {
    const { s, gop, add, timers } = harness();
    gop();
    gop();
    add(true); // complete: 0, 1; open: 2
    assert.equal((await s.playlist({ part: 1 })).status, 400);
    assert.equal((await s.playlist({ msn: 4 })).status, 400, "last complete is 1: 4 > 1 + 2");
    assert.equal((await s.playlist({ msn: -1 })).status, 400);
    assert.equal((await s.playlist({ msn: 1.5 })).status, 400);
    const ok = track(s.playlist({ msn: 3 }));
    await flush();
    assert.equal(ok.settled(), false, "msn = last + 2 blocks");
    // Advance Part Limit: 3 / 0.2 = 15 parts past the last one
    assert.equal((await s.playlist({ msn: 2, part: 16 })).status, 400);
    const near = track(s.playlist({ msn: 2, part: 15 }));
    assert.equal((await s.playlist({ msn: 3, part: 15 })).status, 400);
    await flush();
    assert.equal(near.settled(), false);
    timers.advance(3000);
    await flush();
    assert.equal(near.value().status, 503);
    assert.equal(ok.value().status, 503);
  });

  test("before any media: plain requests 503, blocking ones wait for the first part", async () => {
    const { s, add } = harness();
    assert.equal((await s.playlist()).status, 503);
    const first = track(s.playlist({ msn: 0, part: 0 }));
    await flush();
    assert.equal(first.settled(), false);
    add(true);
    await flush();
    validate((first.value() as { body: string }).body, s);
  });

  test("end() answers every waiter with the final playlist, which has ENDLIST and no hint", async () => {
    const { s, gop, add, timers, problems } = harness();
    gop();
    add(true);
    add(false);
    const waiters = [track(s.playlist({ msn: 1 })), track(s.playlist({ msn: 1, part: 4 })), track(s.playlist({ msn: 2, part: 0, skip: true }))];
    await flush();
    assert.ok(waiters.every((w) => !w.settled()));
    s.end();
    await flush();
    for (const w of waiters) {
      const r = w.value();
      assert.equal(r.status, 200);
      const p = validate((r as { body: string }).body, s);
      assert.ok(p.endlist);
      assert.equal(p.segments.at(-1)!.uri, "tok1-s1.mp4", "the open segment was completed");
      assert.equal(p.segments.at(-1)!.extinf, 0.4);
    }
    assert.equal(timers.active, 0);
    // After the end: answered at once, however far ahead.
    const late = await body(s.playlist({ msn: 50, part: 3 }));
    assert.ok(late.endsWith("#EXT-X-ENDLIST\n"));
    assert.equal((await s.playlist({ part: 3 })).status, 400);
    add(true);
    assert.equal(problems.at(-1)!.kind, "part_after_end");
  });

  test("many waiters on one part get one rendering", async () => {
    const { s, gop, add } = harness();
    gop();
    const waiters = Array.from({ length: 500 }, () => track(s.playlist({ msn: 1, part: 0 })));
    add(true);
    await flush();
    const bodies = new Set(waiters.map((w) => (w.value() as { body: string }).body));
    assert.equal(bodies.size, 1);
  });
});

describe("playlist delta updates (_HLS_skip=YES)", () => {
  test("EXT-X-SKIP replaces the segments older than CAN-SKIP-UNTIL; the rest equals the full playlist's tail", async () => {
    const { s, gop, add } = harness({ windowSegments: 12 });
    for (let k = 0; k < 14; k++) gop();
    add(true);
    add(false);
    const full = validate(await body(s.playlist()), s);
    const deltaText = await body(s.playlist({ skip: true }));
    const delta = validate(deltaText, s);

    // Expected from the full playlist: segments that end at least CAN-SKIP-UNTIL before its end.
    const openDuration = full.open!.parts.reduce((a, p) => a + p.duration, 0);
    const end = full.segments.reduce((a, seg) => a + seg.extinf!, 0) + openDuration;
    let expected = 0;
    let t = 0;
    for (const seg of full.segments) {
      t += seg.extinf!;
      if (end - t >= full.canSkipUntil - 1e-9) expected++;
      else break;
    }
    assert.equal(expected, 6, "12 one-second segments + 0.4 s, boundary 6 s");
    assert.equal(delta.skipped, expected);
    assert.equal(deltaText.split("\n").filter((l) => l.startsWith("#EXT-X-SKIP:SKIPPED-SEGMENTS=")).length, 1);

    // Same playlist tags; then SKIP; then exactly the full playlist after the last skipped segment.
    assert.deepEqual(delta.lines.slice(0, delta.headerEnd), full.lines.slice(0, full.headerEnd));
    assert.equal(delta.lines[delta.headerEnd], `#EXT-X-SKIP:SKIPPED-SEGMENTS=${expected}`);
    const tailStart = full.segments[expected - 1]!.lines[1] + 1;
    assert.deepEqual(delta.lines.slice(delta.headerEnd + 1), full.lines.slice(tailStart));
    assert.equal(delta.mediaSequence, full.mediaSequence);
  });

  test("a playlist too short to skip anything is answered in full", async () => {
    const { s, gop, add } = harness({ windowSegments: 6 });
    for (let k = 0; k < 10; k++) gop();
    add(true);
    const full = await body(s.playlist());
    assert.equal(await body(s.playlist({ skip: true })), full);
  });

  test("a blocking request can ask for a delta update", async () => {
    const { s, gop, add } = harness({ windowSegments: 12 });
    for (let k = 0; k < 14; k++) gop();
    add(true);
    const want = track(s.playlist({ msn: 14, part: 1, skip: true }));
    add(false);
    await flush();
    const p = validate((want.value() as { body: string }).body, s);
    assert.ok(p.skipped > 0);
    assert.equal(p.open!.parts.length, 2);
  });
});

describe("parseDeliveryDirectives", () => {
  test("reads _HLS_msn, _HLS_part and _HLS_skip; rejects malformed values", () => {
    assert.deepEqual(parseDeliveryDirectives({ _HLS_msn: "12", _HLS_part: "3", _HLS_skip: "YES", other: "x" }), { msn: 12, part: 3, skip: true });
    assert.deepEqual(parseDeliveryDirectives({ _HLS_skip: "v2" }), { skip: true });
    assert.deepEqual(parseDeliveryDirectives({}), {});
    for (const bad of [{ _HLS_msn: "-1" }, { _HLS_msn: "1.5" }, { _HLS_part: "x" }, { _HLS_skip: "NO" }, { _HLS_msn: ["1", "2"] }]) {
      assert.ok("error" in parseDeliveryDirectives(bad), JSON.stringify(bad));
    }
  });
});
