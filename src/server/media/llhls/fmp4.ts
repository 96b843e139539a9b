// Streaming ISO-BMFF (fragmented MP4 / CMAF) splitter for LL-HLS.
//
// ffmpeg writes `ftyp moov (styp? moof mdat)*` to a pipe. We cut that byte stream into the init
// segment (everything up to and including `moov`) and one Fragment per `moof`+`mdat` (with any
// boxes that came before the `moof`, e.g. styp/prft/emsg/sidx), without changing a byte. Only the
// box being received is held in memory (plus the boxes of the fragment it belongs to); the `moof`
// and `moov` are parsed for what a playlist needs: timescales and codecs, and per fragment its
// sequence number, start, duration and whether it starts with a keyframe.
// See docs/media.md, "Low-latency HLS: splitting ffmpeg's fragmented MP4".

export interface InitSegment {
  data: Buffer;
  tracks: TrackInfo[];
  /** RFC 6381 list for EXT-X-STREAM-INF CODECS, e.g. "avc1.64001f,mp4a.40.2" (video first, then audio) */
  codecs: string;
}

export interface TrackInfo {
  trackId: number;
  kind: "video" | "audio" | "other";
  timescale: number;
  codec: string;
  width?: number;
  height?: number;
}

export interface Fragment {
  /** the moof+mdat bytes (plus any styp/prft/emsg boxes that precede the moof), exactly as received */
  data: Buffer;
  /** mfhd sequence number */
  sequence: number;
  /** decode time of the first sample of the video track (or the first track), seconds */
  start: number;
  /** duration in seconds: the video track's (or first track's) summed sample durations */
  duration: number;
  /** true when the video track's first sample is a sync sample (keyframe); audio-only streams: always true */
  independent: boolean;
}

export interface Fmp4Handlers {
  init(init: InitSegment): void;
  fragment(f: Fragment): void;
  error(err: Error): void;
}

/** A box bigger than this is taken as a corrupt stream rather than buffered. */
export const MAX_BOX_SIZE = 64 * 1024 * 1024;

class Fmp4Error extends Error {
  override name = "Fmp4Error";
}

/** Default sample values from mvex/trex, per track. */
interface TrackDefaults {
  timescale: number;
  kind: TrackInfo["kind"];
  duration: number;
  flags: number;
}

/**
 * Push bytes in any chunking; `init` is called once (after moov), then `fragment` once per
 * moof+mdat, in stream order. The first problem (bad box, truncated stream) goes to `error`, once,
 * and the splitter ignores everything after it. Exceptions thrown by the handlers are not caught.
 */
export class Fmp4Splitter {
  private readonly handlers: Fmp4Handlers;
  // the box being received
  private readonly header = Buffer.alloc(16);
  private headerLen = 0;
  private box: { type: string; size: number; parts: Buffer[]; received: number } | null = null;
  // boxes received but not yet handed out: before moov (init), or of the fragment being received
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private moof: { sequence: number; start: number; duration: number; independent: boolean } | null = null;
  private tracks: Map<number, TrackDefaults> | null = null;
  private referenceTrack = 0;
  /** decode time where each track's last fragment ended, for a traf without tfdt */
  private readonly nextDecodeTime = new Map<number, number>();
  private failed = false;
  private ended = false;

  constructor(handlers: Fmp4Handlers) {
    this.handlers = handlers;
  }

  /** Slices of `chunk` are kept until the box they belong to is complete: do not reuse its memory. */
  push(chunk: Buffer): void {
    if (this.failed || this.ended) return;
    try {
      let off = 0;
      while (off < chunk.length) {
        if (!this.box) {
          off += this.readHeader(chunk, off);
          continue;
        }
        const take = Math.min(this.box.size - this.box.received, chunk.length - off);
        this.box.parts.push(chunk.subarray(off, off + take));
        this.box.received += take;
        off += take;
        if (this.box.received === this.box.size) this.completeBox();
      }
    } catch (err) {
      if (!(err instanceof Fmp4Error)) throw err;
      this.fail(err);
    }
  }

  end(): void {
    if (this.failed || this.ended) return;
    this.ended = true;
    if (this.box) {
      this.fail(new Fmp4Error(`stream ended inside a '${this.box.type}' box (${this.box.received} of ${this.box.size} bytes)`));
    } else if (this.headerLen > 0) {
      this.fail(new Fmp4Error(`stream ended inside a box header (${this.headerLen} bytes)`));
    } else if (this.moof) {
      this.fail(new Fmp4Error("stream ended after a moof without its mdat"));
    }
    // Complete boxes after the last fragment (e.g. ffmpeg's mfra trailer) are dropped.
    this.pending = [];
  }

  private fail(err: Error): void {
    this.failed = true;
    this.box = null;
    this.pending = [];
    this.moof = null;
    this.handlers.error(err);
  }

  /** Collects the 8- or 16-byte box header; returns how many bytes of `chunk` it used. */
  private readHeader(chunk: Buffer, off: number): number {
    const want = this.headerLen >= 8 && this.header.readUInt32BE(0) === 1 ? 16 : 8;
    const take = Math.min(want - this.headerLen, chunk.length - off);
    chunk.copy(this.header, this.headerLen, off, off + take);
    this.headerLen += take;
    if (this.headerLen < want) return take;
    const size32 = this.header.readUInt32BE(0);
    if (size32 === 1 && want === 8) return take; // 64-bit size follows
    const type = this.header.toString("latin1", 4, 8);
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Fmp4Error(`not an ISO-BMFF box header (type bytes ${this.header.subarray(4, 8).toString("hex")})`);
    let size: number;
    if (size32 === 1) {
      const large = this.header.readBigUInt64BE(8);
      if (large > BigInt(MAX_BOX_SIZE)) throw new Fmp4Error(`'${type}' box of ${large} bytes is too large`);
      size = Number(large);
    } else if (size32 === 0) {
      throw new Fmp4Error(`'${type}' box extends to the end of the stream (size 0), not usable for live`);
    } else {
      size = size32;
    }
    if (size < want) throw new Fmp4Error(`'${type}' box size ${size} is smaller than its header`);
    if (size > MAX_BOX_SIZE) throw new Fmp4Error(`'${type}' box of ${size} bytes is too large`);
    this.box = { type, size, parts: [Buffer.from(this.header.subarray(0, want))], received: want };
    this.headerLen = 0;
    if (size === want) this.completeBox();
    return take;
  }

  private completeBox(): void {
    const box = this.box!;
    this.box = null;
    const { type, parts, size } = box;
    if (!this.tracks) {
      // Before the init segment: everything up to and including moov belongs to it.
      if (type === "moof" || type === "mdat") throw new Fmp4Error(`'${type}' before the moov`);
      const bytes = Buffer.concat(parts, size);
      this.keep(bytes);
      if (type === "moov") this.emitInit(parseMoov(bytes));
      return;
    }
    switch (type) {
      case "ftyp":
      case "moov":
        throw new Fmp4Error(`unexpected '${type}' after the init segment`);
      case "moof": {
        if (this.moof) throw new Fmp4Error("moof without an mdat");
        const moof = Buffer.concat(parts, size);
        this.moof = this.parseMoof(moof);
        this.keep(moof);
        return;
      }
      case "mdat": {
        if (!this.moof) throw new Fmp4Error("mdat without a moof");
        // one copy of the mdat, straight from the pushed chunks into the fragment
        const data = Buffer.concat([...this.pending, ...parts], this.pendingSize + size);
        const info = this.moof;
        this.pending = [];
        this.pendingSize = 0;
        this.moof = null;
        this.handlers.fragment({ data, ...info });
        return;
      }
      default:
        // styp, prft, emsg, sidx, free...: part of the next fragment (or of this one, after its moof)
        this.keep(Buffer.concat(parts, size));
    }
  }

  /** Holds a complete box (a copy: Buffer.concat always copies) until its segment is handed out. */
  private keep(box: Buffer): void {
    this.pending.push(box);
    this.pendingSize += box.length;
    if (this.pendingSize > MAX_BOX_SIZE) throw new Fmp4Error(`more than ${MAX_BOX_SIZE} bytes without a complete fragment`);
  }

  private emitInit(parsed: ParsedTrack[]): void {
    if (parsed.length === 0) throw new Fmp4Error("moov has no tracks");
    const tracks = new Map<number, TrackDefaults>();
    for (const t of parsed) tracks.set(t.info.trackId, { timescale: t.info.timescale, kind: t.info.kind, duration: t.defaultDuration, flags: t.defaultFlags });
    this.tracks = tracks;
    this.referenceTrack = (parsed.find((t) => t.info.kind === "video") ?? parsed[0]!).info.trackId;
    const infos = parsed.map((t) => t.info);
    const codecs = [...infos.filter((t) => t.kind === "video"), ...infos.filter((t) => t.kind === "audio")].map((t) => t.codec).join(",");
    const data = Buffer.concat(this.pending, this.pendingSize);
    this.pending = [];
    this.pendingSize = 0;
    this.handlers.init({ data, tracks: infos, codecs });
  }

  /** Sequence number, and start/duration/independence of the reference track (video, else first). */
  private parseMoof(moof: Buffer): { sequence: number; start: number; duration: number; independent: boolean } {
    let sequence: number | null = null;
    const trafs: TrafSummary[] = [];
    for (const child of children(moof, headerSize(moof), moof.length)) {
      if (child.type === "mfhd") sequence = new Reader(moof, child.bodyStart + 4, child.end).u32();
      else if (child.type === "traf") trafs.push(this.parseTraf(moof, child.bodyStart, child.end));
    }
    if (sequence === null) throw new Fmp4Error("moof without mfhd");
    if (trafs.length === 0) throw new Fmp4Error("moof without traf");
    for (const t of trafs) this.nextDecodeTime.set(t.trackId, t.baseTime + t.duration);
    // A fragment without video samples (ffmpeg flushes the audio left over at the end of a stream
    // that way) is timed by its first track with samples, on that track's timeline, and is not
    // independent: it cannot start playback of a stream that has video.
    const withSamples = trafs.filter((t) => t.samples > 0);
    const ref = withSamples.find((t) => t.trackId === this.referenceTrack) ?? withSamples[0] ?? trafs[0]!;
    const timescale = this.tracks!.get(ref.trackId)!.timescale;
    const refIsVideo = this.tracks!.get(this.referenceTrack)!.kind === "video";
    return {
      sequence,
      start: ref.baseTime / timescale,
      duration: ref.duration / timescale,
      independent: !refIsVideo || (ref.trackId === this.referenceTrack && ref.firstSampleSync),
    };
  }

  private parseTraf(buf: Buffer, start: number, end: number): TrafSummary {
    let track: TrackDefaults | undefined;
    let trackId = 0;
    let defaultDuration = 0;
    let defaultFlags = 0;
    let baseTime: number | null = null;
    let duration = 0;
    let samples = 0;
    let firstSampleSync = false;
    for (const box of children(buf, start, end)) {
      const r = new Reader(buf, box.bodyStart, box.end);
      if (box.type === "tfhd") {
        const flags = r.u32() & 0xffffff;
        trackId = r.u32();
        track = this.tracks!.get(trackId);
        if (!track) throw new Fmp4Error(`traf for track ${trackId}, which the moov does not have`);
        if (flags & 0x01) r.skip(8); // base-data-offset
        if (flags & 0x02) r.skip(4); // sample-description-index
        defaultDuration = flags & 0x08 ? r.u32() : track.duration;
        if (flags & 0x10) r.skip(4); // default-sample-size
        defaultFlags = flags & 0x20 ? r.u32() : track.flags;
      } else if (box.type === "tfdt") {
        const version = r.u8();
        r.skip(3);
        baseTime = version === 1 ? r.u64() : r.u32();
      } else if (box.type === "trun") {
        if (!track) throw new Fmp4Error("trun before tfhd");
        r.skip(1); // version: 1 only makes composition offsets signed, which we skip
        const flags = r.u24();
        const count = r.u32();
        if (flags & 0x001) r.skip(4); // data-offset
        const firstFlags = flags & 0x004 ? r.u32() : null;
        const fields = [0x100, 0x200, 0x400, 0x800].filter((f) => flags & f).length;
        if (fields * 4 * count > r.remaining) throw new Fmp4Error(`trun counts ${count} samples but is shorter`);
        if (fields === 0) {
          // every sample takes the defaults (and the first may have its own flags)
          if (samples === 0 && count > 0) firstSampleSync = isSync(firstFlags ?? defaultFlags);
          duration += count * defaultDuration;
          samples += count;
          continue;
        }
        for (let i = 0; i < count; i++) {
          const sampleDuration = flags & 0x100 ? r.u32() : defaultDuration;
          if (flags & 0x200) r.skip(4); // size
          const sampleFlags = flags & 0x400 ? r.u32() : defaultFlags;
          if (flags & 0x800) r.skip(4); // composition time offset (unsigned in v0, signed in v1)
          if (samples === 0) firstSampleSync = isSync(i === 0 && firstFlags !== null ? firstFlags : sampleFlags);
          duration += sampleDuration;
          samples++;
        }
      }
    }
    if (!track) throw new Fmp4Error("traf without tfhd");
    return { trackId, baseTime: baseTime ?? this.nextDecodeTime.get(trackId) ?? 0, duration, samples, firstSampleSync };
  }
}

interface TrafSummary {
  trackId: number;
  baseTime: number;
  duration: number;
  samples: number;
  firstSampleSync: boolean;
}

/** sample_flags (ISO 14496-12 8.8.3.1): a sync sample depends on no other, or is not flagged non-sync. */
function isSync(flags: number): boolean {
  const dependsOn = (flags >>> 24) & 0x3;
  const nonSync = (flags >>> 16) & 0x1;
  return dependsOn === 2 || nonSync === 0;
}

// ---- reading boxes inside a complete buffer (moov, moof) ----

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}
  private need(n: number): number {
    if (this.pos + n > this.end) throw new Fmp4Error("box is shorter than its fields");
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number {
    return this.buf.readUInt8(this.need(1));
  }
  u16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  u24(): number {
    return this.buf.readUIntBE(this.need(3), 3);
  }
  u32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  u64(): number {
    return Number(this.buf.readBigUInt64BE(this.need(8)));
  }
  skip(n: number): void {
    this.need(n);
  }
  get remaining(): number {
    return this.end - this.pos;
  }
}

interface BoxRef {
  type: string;
  bodyStart: number;
  end: number;
}

/** The boxes laid end to end in buf[start, end). */
function children(buf: Buffer, start: number, end: number): BoxRef[] {
  const out: BoxRef[] = [];
  let pos = start;
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString("latin1", pos + 4, pos + 8);
    let header = 8;
    if (size === 1) {
      if (pos + 16 > end) throw new Fmp4Error(`'${type}' box header is cut off`);
      size = Number(buf.readBigUInt64BE(pos + 8));
      header = 16;
    } else if (size === 0) {
      size = end - pos;
    }
    if (size < header || pos + size > end) throw new Fmp4Error(`'${type}' box overruns its parent`);
    out.push({ type, bodyStart: pos + header, end: pos + size });
    pos += size;
  }
  return out;
}

/** Header length of the complete box at the start of buf: 16 with a 64-bit size. */
function headerSize(box: Buffer): number {
  return box.readUInt32BE(0) === 1 ? 16 : 8;
}

function child(buf: Buffer, parent: BoxRef, type: string): BoxRef | undefined {
  return children(buf, parent.bodyStart, parent.end).find((b) => b.type === type);
}

// ---- moov ----

interface ParsedTrack {
  info: TrackInfo;
  defaultDuration: number;
  defaultFlags: number;
}

function parseMoov(moov: Buffer): ParsedTrack[] {
  const root: BoxRef = { type: "moov", bodyStart: headerSize(moov), end: moov.length };
  const trex = new Map<number, { duration: number; flags: number }>();
  const mvex = child(moov, root, "mvex");
  if (mvex) {
    for (const box of children(moov, mvex.bodyStart, mvex.end)) {
      if (box.type !== "trex") continue;
      const r = new Reader(moov, box.bodyStart + 4, box.end);
      const trackId = r.u32();
      r.skip(4); // default_sample_description_index
      const duration = r.u32();
      r.skip(4); // default_sample_size
      trex.set(trackId, { duration, flags: r.u32() });
    }
  }
  const tracks: ParsedTrack[] = [];
  for (const trak of children(moov, root.bodyStart, root.end)) {
    if (trak.type !== "trak") continue;
    const info = parseTrak(moov, trak);
    const defaults = trex.get(info.trackId);
    tracks.push({ info, defaultDuration: defaults?.duration ?? 0, defaultFlags: defaults?.flags ?? 0 });
  }
  return tracks;
}

function parseTrak(buf: Buffer, trak: BoxRef): TrackInfo {
  const tkhd = child(buf, trak, "tkhd");
  const mdia = child(buf, trak, "mdia");
  if (!tkhd || !mdia) throw new Fmp4Error("trak without tkhd or mdia");
  const r = new Reader(buf, tkhd.bodyStart, tkhd.end);
  const tkhdVersion = r.u8();
  r.skip(3 + (tkhdVersion === 1 ? 16 : 8)); // flags, creation and modification times
  const trackId = r.u32();
  r.skip(4 + (tkhdVersion === 1 ? 8 : 4) + 8 + 2 + 2 + 2 + 2 + 36); // ... up to the matrix's end
  const displayWidth = Math.round(r.u32() / 65536);
  const displayHeight = Math.round(r.u32() / 65536);

  const mdhd = child(buf, mdia, "mdhd");
  const hdlr = child(buf, mdia, "hdlr");
  if (!mdhd || !hdlr) throw new Fmp4Error(`track ${trackId}: mdia without mdhd or hdlr`);
  const m = new Reader(buf, mdhd.bodyStart, mdhd.end);
  const mdhdVersion = m.u8();
  m.skip(3 + (mdhdVersion === 1 ? 16 : 8));
  const timescale = m.u32();
  if (timescale === 0) throw new Fmp4Error(`track ${trackId}: timescale 0`);
  const handler = buf.toString("latin1", hdlr.bodyStart + 8, hdlr.bodyStart + 12);
  const kind = handler === "vide" ? "video" : handler === "soun" ? "audio" : "other";

  const info: TrackInfo = { trackId, kind, timescale, codec: "" };
  const minf = child(buf, mdia, "minf");
  const stbl = minf && child(buf, minf, "stbl");
  const stsd = stbl && child(buf, stbl, "stsd");
  const entry = stsd && children(buf, stsd.bodyStart + 8, stsd.end)[0];
  if (entry) {
    const sample = describeSampleEntry(buf, entry, kind);
    info.codec = sample.codec;
    if (kind === "video") {
      info.width = displayWidth || sample.width;
      info.height = displayHeight || sample.height;
    }
  }
  return info;
}

/** The RFC 6381 codec name of a sample entry, and the coded picture size of a visual one. */
function describeSampleEntry(buf: Buffer, entry: BoxRef, kind: TrackInfo["kind"]): { codec: string; width?: number; height?: number } {
  const fourcc = entry.type;
  if (kind === "video") {
    const r = new Reader(buf, entry.bodyStart, entry.end);
    r.skip(6 + 2 + 16); // reserved, data_reference_index, pre_defined/reserved
    const width = r.u16();
    const height = r.u16();
    const boxes = children(buf, entry.bodyStart + 78, entry.end);
    const config = (type: string) => {
      const b = boxes.find((x) => x.type === type);
      return b && buf.subarray(b.bodyStart, b.end);
    };
    let codec: string = fourcc;
    const avcC = config("avcC");
    const hvcC = config("hvcC");
    if ((fourcc === "avc1" || fourcc === "avc3") && avcC && avcC.length >= 4) {
      codec = `${fourcc}.${avcC.subarray(1, 4).toString("hex")}`;
    } else if ((fourcc === "hvc1" || fourcc === "hev1") && hvcC && hvcC.length >= 13) {
      codec = hevcCodec(fourcc, hvcC);
    }
    return { codec, width, height };
  }
  if (kind === "audio") {
    if (fourcc === "mp4a") {
      const r = new Reader(buf, entry.bodyStart, entry.end);
      r.skip(6 + 2); // reserved, data_reference_index
      const version = r.u16(); // QuickTime sound description version (0 in MP4)
      r.skip(6 + 2 + 2 + 4 + 4 + (version === 1 ? 16 : version === 2 ? 36 : 0));
      const esds = children(buf, r.pos, entry.end).find((b) => b.type === "esds");
      if (esds) return { codec: mp4aCodec(buf.subarray(esds.bodyStart + 4, esds.end)) };
      return { codec: "mp4a" };
    }
    if (fourcc === "Opus") return { codec: "opus" };
    if (fourcc === "fLaC") return { codec: "flac" };
  }
  return { codec: fourcc };
}

/** "hvc1.<profile>.<compat>.<tier><level>.<constraints>" (ISO 14496-15 Annex E). */
function hevcCodec(fourcc: string, hvcC: Buffer): string {
  const b1 = hvcC[1]!;
  const space = ["", "A", "B", "C"][b1 >> 6]!;
  const tier = b1 & 0x20 ? "H" : "L";
  const profile = b1 & 0x1f;
  const compat = hvcC.readUInt32BE(2);
  let reversed = 0;
  for (let i = 0; i < 32; i++) if (compat & (1 << i)) reversed |= 1 << (31 - i);
  const constraints = [...hvcC.subarray(6, 12)];
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  const level = hvcC[12]!;
  return [fourcc, `${space}${profile}`, (reversed >>> 0).toString(16), `${tier}${level}`, ...constraints.map((c) => c.toString(16).toUpperCase())].join(".");
}

/** "mp4a.40.<audioObjectType>" from an esds body (after version/flags), "mp4a.<OTI>" otherwise. */
function mp4aCodec(esds: Buffer): string {
  const r = new Reader(esds, 0, esds.length);
  const descriptor = (): { tag: number; end: number } => {
    const tag = r.u8();
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = r.u8();
      size = (size << 7) | (b & 0x7f);
      if (!(b & 0x80)) break;
    }
    return { tag, end: Math.min(r.pos + size, esds.length) };
  };
  const es = descriptor();
  if (es.tag !== 0x03) return "mp4a";
  r.skip(2); // ES_ID
  const esFlags = r.u8();
  if (esFlags & 0x80) r.skip(2); // dependsOn_ES_ID
  if (esFlags & 0x40) r.skip(r.u8()); // URL
  if (esFlags & 0x20) r.skip(2); // OCR_ES_Id
  const dc = descriptor();
  if (dc.tag !== 0x04) return "mp4a";
  const oti = r.u8();
  if (oti !== 0x40) return `mp4a.${oti.toString(16).toUpperCase().padStart(2, "0")}`;
  r.skip(1 + 3 + 4 + 4); // streamType, bufferSizeDB, maxBitrate, avgBitrate
  if (r.remaining < 3) return "mp4a.40";
  const dsi = descriptor();
  if (dsi.tag !== 0x05) return "mp4a.40";
  const first = r.u8();
  let aot = first >> 3;
  if (aot === 31) aot = 32 + (((first & 0x07) << 3) | (r.u8() >> 5));
  return `mp4a.40.${aot}`;
}
