import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { resolveFfmpeg, resolveFfprobe } from "../ffmpeg.ts";
import { Fmp4Splitter, type Fragment, type InitSegment } from "./fmp4.ts";

// The splitter on real ffmpeg output: fragmented MP4 cut at keyframes and every 200 ms, as the
// LL-HLS packager asks for it, checked against what ffprobe reads from the same bytes.

const ffmpeg = resolveFfmpeg();
const ffprobe = resolveFfprobe(ffmpeg);
const LL_FLAGS = ["-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof+skip_trailer", "-frag_duration", "200000"];
const PART = 0.2;

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-fmp4-"));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(bin: string, args: string[]): Buffer {
  const r = spawnSync(bin, args, { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, `${path.basename(bin)} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/** ffmpeg with the given arguments, writing to stdout; returns what it wrote. */
function ffmpegOut(args: string[]): Buffer {
  return run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-nostdin", ...args, "pipe:1"]);
}

function probe(file: string, args: string[]): any {
  return JSON.parse(run(ffprobe!, ["-v", "error", "-of", "json", ...args, file]).toString());
}

let fileCount = 0;
function tmpFile(data: Buffer, ext = "mp4"): string {
  const file = path.join(tmp, `${++fileCount}.${ext}`);
  fs.writeFileSync(file, data);
  return file;
}

const AV_SOURCE = (seconds: number, fps: number, gop: number) => [
  "-f", "lavfi", "-i", `testsrc2=size=320x240:rate=${fps}`,
  "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
  "-t", String(seconds),
  "-c:v", "libx264", "-preset", "veryfast", "-g", String(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
  "-c:a", "aac", "-b:a", "64k",
];

interface Split {
  inits: InitSegment[];
  fragments: Fragment[];
  errors: Error[];
}

/** Feeds `input` to a splitter in chunks of `size()` bytes (all at once by default), then ends it. */
function split(input: Buffer, size: () => number = () => input.length): Split {
  const out: Split = { inits: [], fragments: [], errors: [] };
  const s = new Fmp4Splitter({
    init: (i) => out.inits.push(i),
    fragment: (f) => out.fragments.push(f),
    error: (e) => out.errors.push(e),
  });
  for (let off = 0; off < input.length; ) {
    const n = Math.max(1, size());
    s.push(input.subarray(off, off + n));
    off += n;
  }
  s.end();
  return out;
}

/** Deterministic chunk sizes: half tiny (1–16 bytes, often 1), half up to 64 KiB. */
function randomSizes(seed: number): () => number {
  let x = seed;
  const next = () => {
    x = (x + 0x6d2b79f5) | 0;
    let t = Math.imul(x ^ (x >>> 15), 1 | x);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => (next() < 0.5 ? 1 + Math.floor(next() * 16) : 1 + Math.floor(next() * 65536));
}

function reassemble(s: Split): Buffer {
  return Buffer.concat([...s.inits.map((i) => i.data), ...s.fragments.map((f) => f.data)]);
}

const H264_PROFILES: Record<string, number> = { "Constrained Baseline": 66, Baseline: 66, Main: 77, High: 100 };

/**
 * Checks a split audio+video stream against ffprobe's reading of the same bytes: codecs and
 * timescales, keyframes, fragment timing. Returns the video packets (decode order) for more checks.
 */
function checkVideoStream(input: Buffer, s: Split, fps: number): { dts: number; key: boolean }[] {
  assert.deepEqual(s.errors, []);
  assert.equal(s.inits.length, 1);
  assert.ok(reassemble(s).equals(input), "init + fragments are the input, byte for byte");
  const init = s.inits[0]!;
  const file = tmpFile(input);
  const streams: any[] = probe(file, ["-show_entries", "stream=index,codec_type,profile,level,time_base,width,height"]).streams;
  const pv = streams.find((x) => x.codec_type === "video");
  const pa = streams.find((x) => x.codec_type === "audio");
  const video = init.tracks.find((t) => t.kind === "video")!;
  const audio = init.tracks.find((t) => t.kind === "audio")!;

  // codecs: the avcC bytes, which ffprobe's profile and level agree with
  const at = init.data.indexOf("avcC");
  assert.ok(at > 0, "init has an avcC");
  const avcC = init.data.subarray(at + 4, at + 8);
  assert.equal(video.codec, `avc1.${avcC.subarray(1, 4).toString("hex")}`);
  assert.equal(avcC[1], H264_PROFILES[pv.profile], `profile ${pv.profile}`);
  assert.equal(avcC[3], pv.level);
  assert.equal(pa.profile, "LC");
  assert.equal(audio.codec, "mp4a.40.2");
  assert.equal(init.codecs, `${video.codec},mp4a.40.2`);
  assert.equal(`1/${video.timescale}`, pv.time_base);
  assert.equal(`1/${audio.timescale}`, pa.time_base);
  assert.equal(video.width, pv.width);
  assert.equal(video.height, pv.height);

  const packets: { dts: number; key: boolean }[] = probe(file, ["-select_streams", "v:0", "-show_entries", "packet=dts,flags"]).packets.map((p: any) => ({
    dts: Number(p.dts),
    key: String(p.flags).startsWith("K"),
  }));
  const keyAt = new Map(packets.map((p) => [p.dts, p.key]));
  const frame = 1 / fps;

  // Fragments with video start at a video packet. Only the very last one may have no video: ffmpeg
  // flushes the audio left over at the end of the input that way.
  const videoFragments = s.fragments.filter((f) => keyAt.has(Math.round(f.start * video.timescale)));
  assert.ok(videoFragments.length >= s.fragments.length - 1, "only the last fragment may be audio-only");
  for (const f of s.fragments.filter((x) => !videoFragments.includes(x))) {
    assert.equal(f, s.fragments.at(-1), "an audio-only fragment is the last");
    assert.equal(f.independent, false);
  }
  // independent exactly at keyframes, and every keyframe starts a fragment
  for (const f of videoFragments) assert.equal(f.independent, keyAt.get(Math.round(f.start * video.timescale)), `fragment ${f.sequence} at ${f.start}`);
  const starts = new Set(videoFragments.map((f) => Math.round(f.start * video.timescale)));
  for (const p of packets.filter((x) => x.key)) assert.ok(starts.has(p.dts), `keyframe at dts ${p.dts} starts a fragment`);
  assert.equal(s.fragments[0]!.independent, true);
  assert.equal(s.fragments[0]!.start, packets[0]!.dts / video.timescale);

  // contiguous, ~200 ms each; shorter only right before a keyframe or at the end
  const seqs = s.fragments.map((f) => f.sequence);
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
  videoFragments.forEach((f, i) => {
    const next = videoFragments[i + 1];
    assert.ok(f.duration <= PART + frame + 1e-9, `fragment ${f.sequence} lasts ${f.duration}`);
    if (!next) return;
    assert.ok(Math.abs(next.start - (f.start + f.duration)) < 1e-6, `fragment ${next.sequence} starts where ${f.sequence} ends`);
    if (!next.independent) assert.ok(f.duration >= PART - frame - 1e-9, `fragment ${f.sequence} lasts ${f.duration}`);
  });
  return packets;
}

describe("Fmp4Splitter on ffmpeg's fragmented MP4", () => {
  // 25 fps, a keyframe every 25 frames (1 s), B-frames, AAC; a prft box before every moof.
  let input: Buffer;
  let whole: Split;
  before(() => {
    input = ffmpegOut([...AV_SOURCE(3, 25, 25), ...LL_FLAGS, "-write_prft", "wallclock"]);
    whole = split(input);
  });

  test("one push: init with codecs and timescales, 200 ms fragments, independent at keyframes", () => {
    const packets = checkVideoStream(input, whole, 25);
    assert.equal(whole.inits[0]!.tracks.length, 2);
    assert.ok(whole.fragments.length >= 14, `${whole.fragments.length} fragments`);
    // the known GOP: a keyframe every 25 frames, i.e. every 5th fragment, at whole seconds
    for (const f of whole.fragments.slice(0, 15)) assert.equal(f.independent, (f.sequence - 1) % 5 === 0, `fragment ${f.sequence}`);
    assert.deepEqual(
      whole.fragments.filter((f) => f.independent).map((f) => f.start),
      [0, 1, 2],
    );
    for (const f of whole.fragments.slice(0, 15)) assert.ok(Math.abs(f.duration - 0.2) < 1e-9, `fragment ${f.sequence}: ${f.duration}`);
    assert.equal(packets.filter((p) => p.key).length, 3);
    // the prft before a moof is part of its fragment (ffmpeg writes none for the audio-only last one)
    for (const f of whole.fragments.slice(0, -1)) assert.equal(f.data.toString("latin1", 4, 8), "prft");
    assert.match(whole.fragments.at(-1)!.data.toString("latin1", 4, 8), /^(prft|moof)$/);
  });

  test("any chunking gives the same result, down to 1-byte pushes", () => {
    for (const seed of [1, 2, 3]) assert.deepStrictEqual(split(input, randomSizes(seed)), whole, `seed ${seed}`);
    assert.deepStrictEqual(split(input, () => 1), whole);
  });

  test("ffmpeg decodes init + the fragments from a later keyframe on, as a joining player gets them", { skip: !ffprobe && "no ffprobe" }, () => {
    const join = whole.fragments.findIndex((f) => f.independent && f.start > 0);
    assert.ok(join > 0);
    const tail = whole.fragments.slice(join);
    const file = tmpFile(Buffer.concat([whole.inits[0]!.data, ...tail.map((f) => f.data)]));
    const r = spawnSync(ffmpeg, ["-v", "error", "-xerror", "-i", file, "-f", "null", "-"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    const streams: any[] = probe(file, ["-count_packets", "-show_entries", "stream=codec_name,nb_read_packets"]).streams;
    assert.deepEqual(streams.map((x) => x.codec_name), ["h264", "aac"]);
    const timescale = whole.inits[0]!.tracks[0]!.timescale;
    const all: any[] = probe(tmpFile(input), ["-select_streams", "v:0", "-show_entries", "packet=dts"]).packets;
    const expected = all.filter((p) => Number(p.dts) >= tail[0]!.start * timescale).length;
    assert.equal(Number(streams[0].nb_read_packets), expected);
  });

  test("64-bit box sizes (size == 1, largesize) are read the same", () => {
    const large = toLargeSizes(input);
    const s = split(large, randomSizes(7));
    assert.deepEqual(s.errors, []);
    assert.ok(reassemble(s).equals(large));
    assert.deepEqual(s.inits[0]!.tracks, whole.inits[0]!.tracks);
    assert.deepEqual(s.inits[0]!.codecs, whole.inits[0]!.codecs);
    assert.deepEqual(
      s.fragments.map(({ data: _, ...meta }) => meta),
      whole.fragments.map(({ data: _, ...meta }) => meta),
    );
  });

  test("sample durations and flags missing from tfhd come from the moov's trex", () => {
    const { bytes, dropped } = moveDefaultsToTrex(input);
    assert.ok(dropped >= whole.fragments.length, `${dropped} tfhd defaults dropped`);
    const s = split(bytes, randomSizes(5));
    assert.deepEqual(s.errors, []);
    assert.ok(reassemble(s).equals(bytes));
    assert.deepEqual(
      s.fragments.map(({ data: _, ...meta }) => meta),
      whole.fragments.map(({ data: _, ...meta }) => meta),
    );
  });

  test("a truncated stream is reported through error, once, and does not throw", () => {
    const cuts = [
      input.length - 100, // inside the last mdat
      whole.inits[0]!.data.length + 5, // inside a box header
      whole.inits[0]!.data.length - 1, // inside the moov: no init at all
    ];
    for (const cut of cuts) {
      const s = split(input.subarray(0, cut), randomSizes(cut));
      assert.equal(s.errors.length, 1, `cut at ${cut}`);
      assert.match(s.errors[0]!.message, /stream ended inside/);
      for (const f of s.fragments) assert.ok(input.includes(f.data));
    }
    const s = split(input.subarray(0, input.length - 100));
    assert.equal(s.inits.length, 1);
    assert.equal(s.fragments.length, whole.fragments.length - 1);
  });

  test("bad streams are errors, and nothing is emitted after one", () => {
    const init = whole.inits[0]!.data;
    const mdat0 = Buffer.from([0, 0, 0, 0, ...Buffer.from("mdat")]);
    const firstFragment = whole.fragments[0]!.data;
    const moof = firstFragment.subarray(32, firstFragment.indexOf("mdat") - 4); // after the prft
    const cases: [string, Buffer, RegExp][] = [
      ["not MP4", Buffer.from("#EXTM3U\n#EXT-X-VERSION:7\n"), /too large|not an ISO-BMFF/],
      ["size 0", Buffer.concat([init, mdat0]), /size 0/],
      ["mdat before moov", Buffer.from([0, 0, 0, 8, ...Buffer.from("mdat")]), /before the moov/],
      ["moof without mdat", Buffer.concat([init, moof, moof]), /moof without an mdat/],
      ["second moov", Buffer.concat([init, init]), /after the init segment/],
    ];
    for (const [name, bytes, message] of cases) {
      const s = split(Buffer.concat([bytes, input]), () => 1);
      assert.equal(s.errors.length, 1, name);
      assert.match(s.errors[0]!.message, message, name);
      assert.ok(s.fragments.length === 0, name);
    }
  });
});

describe("Fmp4Splitter on -c copy of an H.264 FLV (what RTMP delivers)", () => {
  // 30 fps, keyframes every 50 frames (1.67 s: not a multiple of 200 ms), B-frames, AAC 44.1 kHz
  let flv: string;
  before(() => {
    const src = ffmpegOut([
      "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
      "-t", "4", "-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
      "-c:a", "aac", "-b:a", "96k", "-f", "flv",
    ]);
    flv = tmpFile(src, "flv");
  });

  test("fragments of ~200 ms, cut again at every keyframe", () => {
    const input = ffmpegOut(["-i", flv, "-c", "copy", ...LL_FLAGS]);
    const s = split(input, randomSizes(11));
    checkVideoStream(input, s, 30);
    const independent = s.fragments.filter((f) => f.independent).map((f) => f.start);
    assert.deepEqual(independent.map((t) => Math.round(t * 30)), [0, 50, 100]);
    // the fragment before each later keyframe is short (50 frames = 8 × 6 + 2)
    for (const f of s.fragments) {
      const next = s.fragments[s.fragments.indexOf(f) + 1];
      if (next?.independent) assert.ok(Math.abs(f.duration - 2 / 30) < 0.002, `fragment ${f.sequence}: ${f.duration}`);
    }
  });

  test("cmaf flags (trun v1 with negative composition offsets, sample description index in tfhd) split the same way", () => {
    const input = ffmpegOut(["-i", flv, "-c", "copy", "-f", "mp4", "-movflags", "cmaf+frag_keyframe+skip_trailer", "-frag_duration", "200000"]);
    assert.equal(input.toString("latin1", 8, 12), "iso6");
    checkVideoStream(input, split(input, randomSizes(12)), 30);
  });

  test("without frag_keyframe, keyframes fall inside fragments (why we ask for it)", () => {
    const input = ffmpegOut(["-i", flv, "-c", "copy", "-f", "mp4", "-movflags", "empty_moov+default_base_moof+skip_trailer", "-frag_duration", "200000"]);
    const s = split(input);
    assert.deepEqual(s.errors, []);
    assert.deepEqual(s.fragments.filter((f) => f.independent).map((f) => f.start), [0]);
  });
});

describe("Fmp4Splitter on other streams", () => {
  test("audio only: every fragment is independent, ~200 ms, contiguous", () => {
    const input = ffmpegOut(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:a", "aac", "-b:a", "64k", ...LL_FLAGS]);
    const s = split(input, randomSizes(21));
    assert.deepEqual(s.errors, []);
    assert.ok(reassemble(s).equals(input));
    assert.equal(s.inits.length, 1);
    assert.equal(s.inits[0]!.codecs, "mp4a.40.2");
    assert.deepEqual(s.inits[0]!.tracks, [{ trackId: 1, kind: "audio", timescale: 48000, codec: "mp4a.40.2" }]);
    assert.ok(s.fragments.length >= 9);
    const aacFrame = 1024 / 48000;
    s.fragments.forEach((f, i) => {
      assert.equal(f.independent, true);
      assert.ok(f.duration <= PART + aacFrame, `fragment ${f.sequence}: ${f.duration}`);
      const next = s.fragments[i + 1];
      if (next) {
        assert.ok(f.duration >= PART - aacFrame, `fragment ${f.sequence}: ${f.duration}`);
        assert.ok(Math.abs(next.start - (f.start + f.duration)) < 1e-6);
      }
    });
  });

  test("HEVC: the codec is hvc1.<profile>.<compat>.L<level>...", { skip: !ffprobe && "no ffprobe" }, () => {
    const input = ffmpegOut([
      "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "1",
      "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error:keyint=25", "-tag:v", "hvc1", ...LL_FLAGS,
    ]);
    const s = split(input, randomSizes(31));
    assert.deepEqual(s.errors, []);
    const level = probe(tmpFile(input), ["-show_entries", "stream=profile,level"]).streams[0];
    assert.equal(level.profile, "Main");
    assert.match(s.inits[0]!.codecs, new RegExp(`^hvc1\\.1\\.6\\.L${level.level}(\\.[0-9A-F]{1,2})*$`));
    assert.equal(s.fragments[0]!.independent, true);
    assert.ok(s.fragments.length >= 4);
  });
});

/** The same stream with every top-level box header rewritten to the 16-byte (largesize) form. */
function toLargeSizes(input: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const size = input.readUInt32BE(pos);
    const header = Buffer.alloc(16);
    header.writeUInt32BE(1, 0);
    input.copy(header, 4, pos + 4, pos + 8);
    header.writeBigUInt64BE(BigInt(size + 8), 8);
    out.push(header, input.subarray(pos + 8, pos + size));
    pos += size;
  }
  return Buffer.concat(out);
}

interface BoxAt {
  type: string;
  start: number;
  end: number;
}

/** The boxes (32-bit sizes only: all ffmpeg writes here) in buf[start, end). */
function boxesIn(buf: Buffer, start = 0, end = buf.length): BoxAt[] {
  const out: BoxAt[] = [];
  for (let pos = start; pos < end; pos += buf.readUInt32BE(pos)) out.push({ type: buf.toString("latin1", pos + 4, pos + 8), start: pos, end: pos + buf.readUInt32BE(pos) });
  return out;
}

function withSize(type: string, body: Buffer[]): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 4, "latin1");
  const box = Buffer.concat([header, ...body]);
  box.writeUInt32BE(box.length, 0);
  return box;
}

/**
 * The same stream with each track's default sample duration and flags put in its trex (the values
 * of its first tfhd) and dropped from every tfhd that has the same values. Data offsets are not
 * fixed up: the result is for the splitter, not for a player.
 */
function moveDefaultsToTrex(input: Buffer): { bytes: Buffer; dropped: number } {
  const top = boxesIn(input);
  const trafs = top.filter((b) => b.type === "moof").flatMap((m) => boxesIn(input, m.start + 8, m.end).filter((b) => b.type === "traf"));
  const tfhds = trafs.map((t) => boxesIn(input, t.start + 8, t.end).find((b) => b.type === "tfhd")!);
  /** tfhd fields: which flag, where it sits among the optional fields (4-byte units after track_ID) */
  const read = (tfhd: BoxAt) => {
    const flags = input.readUInt32BE(tfhd.start + 8) & 0xffffff;
    const fields: { flag: number; value: number }[] = [];
    let pos = tfhd.start + 16;
    for (const [flag, bytes] of [[0x01, 8], [0x02, 4], [0x08, 4], [0x10, 4], [0x20, 4]] as const) {
      if (!(flags & flag)) continue;
      fields.push({ flag, value: bytes === 4 ? input.readUInt32BE(pos) : -1 });
      pos += bytes;
    }
    return { flags, trackId: input.readUInt32BE(tfhd.start + 12), fields };
  };
  const defaults = new Map<number, { duration?: number; flags?: number }>();
  for (const t of tfhds.map(read)) {
    if (defaults.has(t.trackId)) continue;
    defaults.set(t.trackId, { duration: t.fields.find((f) => f.flag === 0x08)?.value, flags: t.fields.find((f) => f.flag === 0x20)?.value });
  }
  let dropped = 0;
  const rewriteTfhd = (tfhd: BoxAt): Buffer => {
    const t = read(tfhd);
    const d = defaults.get(t.trackId)!;
    let flags = t.flags;
    const body: Buffer[] = [input.subarray(tfhd.start + 12, tfhd.start + 16)];
    let pos = tfhd.start + 16;
    for (const f of t.fields) {
      const size = f.flag === 0x01 ? 8 : 4;
      if ((f.flag === 0x08 && f.value === d.duration) || (f.flag === 0x20 && f.value === d.flags)) {
        flags &= ~f.flag;
        dropped++;
      } else {
        body.push(input.subarray(pos, pos + size));
      }
      pos += size;
    }
    const vf = Buffer.alloc(4);
    vf.writeUInt32BE(((input[tfhd.start + 8]! << 24) | flags) >>> 0);
    return withSize("tfhd", [vf, ...body]);
  };
  const out = top.map((b) => {
    if (b.type === "moov") {
      const moov = Buffer.from(input.subarray(b.start, b.end));
      const mvex = boxesIn(moov, 8).find((x) => x.type === "mvex")!;
      for (const trex of boxesIn(moov, mvex.start + 8, mvex.end)) {
        const d = defaults.get(moov.readUInt32BE(trex.start + 12));
        if (d?.duration !== undefined) moov.writeUInt32BE(d.duration, trex.start + 20);
        if (d?.flags !== undefined) moov.writeUInt32BE(d.flags, trex.start + 28);
      }
      return moov;
    }
    if (b.type !== "moof") return input.subarray(b.start, b.end);
    const children = boxesIn(input, b.start + 8, b.end).map((c) => {
      if (c.type !== "traf") return input.subarray(c.start, c.end);
      return withSize("traf", boxesIn(input, c.start + 8, c.end).map((x) => (x.type === "tfhd" ? rewriteTfhd(x) : input.subarray(x.start, x.end))));
    });
    return withSize("moof", children);
  });
  return { bytes: Buffer.concat(out), dropped };
}
