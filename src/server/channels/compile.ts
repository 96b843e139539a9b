/**
 * Compiling a channel's playlist into its schedule (the `channel.compile` job): for every item, the
 * stored segments it plays (a replay's own recorded segments; a clip's window of its replay's
 * segments — no new file; an upload's HLS rendition) and its product cards on the item's own clock.
 * Nothing is encoded. Items whose codecs differ from the channel's (they could not follow the others
 * in one MSE source buffer without re-encoding) or that have nothing playable are flagged and left out.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ShowcaseEntry } from "../../shared/contracts/shows.ts";
import type { MediaStorage } from "../media/storage.ts";
import { replayPrefix } from "../media/recorder.ts";
import { replayClockOf } from "../media/replay-clock.ts";
import { REPLAY_PLAYLIST } from "../media/vod-playlist.ts";
import { playlistEntries } from "../videos/clip.ts";
import type { VideoChannelSource } from "../videos/channel-source.ts";
import type { CompiledSchedule, ScheduleCard, ScheduleItem, ScheduleSegment } from "./schedule.ts";

export interface CompileSources {
  storage: MediaStorage;
  show(showId: string): Promise<{ id: string; merchantId: string; title: string; hasReplay: boolean } | null>;
  timeline(showId: string): Promise<ShowcaseEntry[] | null>;
  video(videoId: string): Promise<VideoChannelSource | null>;
  ffprobe: () => string | null;
}

interface ItemMedia {
  segments: Omit<ScheduleSegment, "item">[];
  /** item-relative: [startMs, endMs) → product */
  cards: { startMs: number; endMs: number; productId: string | null }[];
  showId: string | null;
  title: string;
}

/** A playlist's non-gap segments as storage keys (URIs resolved against `prefix`), each marked when it continues the one before. */
function storedSegments(playlist: string, prefix: string, fromMs = 0, toMs = Infinity): { segs: Omit<ScheduleSegment, "item">[]; clockOf: (replayMs: number) => number } {
  const entries = playlistEntries(playlist);
  const segs: Omit<ScheduleSegment, "item">[] = [];
  // replay ms → item ms: gaps (and what is outside [fromMs, toMs)) are not played
  const kept: { start: number; end: number; itemStart: number }[] = [];
  let t = 0;
  let prevKept = false;
  let prevRun = -1;
  for (const e of entries) {
    const inside = !e.gap && e.start >= fromMs && e.end <= toMs && e.init;
    if (!inside) {
      prevKept = false;
      continue;
    }
    segs.push({ key: prefix + e.uri, init: prefix + e.init, durMs: e.end - e.start, cont: prevKept && prevRun === e.run });
    kept.push({ start: e.start, end: e.end, itemStart: t });
    t += e.end - e.start;
    prevKept = true;
    prevRun = e.run;
  }
  const clockOf = (ms: number) => {
    for (const k of kept) if (ms < k.end) return ms <= k.start ? k.itemStart : k.itemStart + (ms - k.start);
    return t;
  };
  return { segs, clockOf };
}

/** Product cards over [0, length) from (item-relative offset, product) changes in time order. */
function cardsFrom(changes: { atMs: number; productId: string | null }[], length: number) {
  const out: ItemMedia["cards"] = [];
  let cur: string | null = null;
  let from = 0;
  for (const c of changes) {
    const at = Math.max(0, Math.min(length, c.atMs));
    if (at > from) out.push({ startMs: from, endMs: at, productId: cur });
    if (at >= from) from = at;
    cur = c.productId;
  }
  if (length > from) out.push({ startMs: from, endMs: length, productId: cur });
  return out;
}

async function replayMedia(src: CompileSources, showId: string): Promise<ItemMedia | string> {
  const show = await src.show(showId);
  if (!show) return "the show no longer exists";
  const playlist = (await src.storage.read(replayPrefix(showId) + REPLAY_PLAYLIST))?.toString("utf8");
  if (!playlist) return "the show has no replay";
  const { segs, clockOf } = storedSegments(playlist, replayPrefix(showId));
  const clock = replayClockOf(playlist);
  const length = segs.reduce((a, s) => a + s.durMs, 0);
  const timeline = (await src.timeline(showId)) ?? [];
  const changes = clock ? timeline.map((e) => ({ atMs: clockOf(clock.offsetOf(e.at)), productId: e.productId })) : [];
  return { segments: segs, cards: cardsFrom(changes, length), showId, title: show.title };
}

async function videoMedia(src: CompileSources, videoId: string): Promise<ItemMedia | string> {
  const v = await src.video(videoId);
  if (!v || v.status !== "published") return "the video is not published";
  let segs: Omit<ScheduleSegment, "item">[] = [];
  const hls = (await src.storage.read(v.hlsPrefix + "index.m3u8"))?.toString("utf8");
  if (hls) segs = storedSegments(hls, v.hlsPrefix).segs;
  else if (v.clip) {
    // A clip is a window of its show's replay: play the replay's own segments for it.
    const playlist = (await src.storage.read(replayPrefix(v.clip.showId) + REPLAY_PLAYLIST))?.toString("utf8");
    if (playlist) segs = storedSegments(playlist, replayPrefix(v.clip.showId), v.clip.fromMs, v.clip.toMs).segs;
  }
  if (!segs.length) return "the video has no stored segments to play";
  const length = segs.reduce((a, s) => a + s.durMs, 0);
  return { segments: segs, cards: [{ startMs: 0, endMs: length, productId: v.productId }], showId: v.clip?.showId ?? v.showId, title: v.title };
}

/** "h264+aac" for an init segment and a media segment, by ffprobe; null when it cannot tell. */
async function codecsOf(src: CompileSources, init: string, segment: string, signal: AbortSignal): Promise<string | null> {
  const ffprobe = src.ffprobe();
  if (!ffprobe) return null;
  const [a, b] = [await src.storage.read(init), await src.storage.read(segment)];
  if (!a || !b) return null;
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "vetrina-channel-"));
  try {
    const file = path.join(dir, "probe.mp4");
    await fs.promises.writeFile(file, Buffer.concat([a, b]));
    const out = await new Promise<string>((resolve, reject) =>
      execFile(ffprobe, ["-v", "error", "-show_entries", "stream=codec_type,codec_name", "-of", "json", file], { signal, maxBuffer: 1024 * 1024 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    const streams = (JSON.parse(out) as { streams?: { codec_type?: string; codec_name?: string }[] }).streams ?? [];
    const video = streams.find((s) => s.codec_type === "video")?.codec_name ?? "none";
    const audio = streams.find((s) => s.codec_type === "audio")?.codec_name ?? "none";
    return `${video}+${audio}`;
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** The schedule of `items` (in order). Throws only on trouble worth a retry (storage, ffprobe). */
export async function compileSchedule(
  src: CompileSources,
  version: number,
  items: { kind: "replay" | "video"; refId: string }[],
  opts: { signal: AbortSignal; progress(f: number): void },
): Promise<CompiledSchedule> {
  const outItems: ScheduleItem[] = [];
  const segments: ScheduleSegment[] = [];
  const cards: ScheduleCard[] = [];
  let codecs: string | null = null;
  let loopAt = 0;
  for (const [index, ref] of items.entries()) {
    opts.signal.throwIfAborted();
    const media = ref.kind === "replay" ? await replayMedia(src, ref.refId) : await videoMedia(src, ref.refId);
    const item: ScheduleItem = { kind: ref.kind, refId: ref.refId, title: typeof media === "string" ? "" : media.title, showId: typeof media === "string" ? null : media.showId, durationMs: 0, problem: null };
    outItems.push(item);
    if (typeof media === "string") {
      item.problem = media;
      continue;
    }
    // Every init of the item (each publish of a replay has its own) must carry the channel's codecs.
    const inits = [...new Map(media.segments.map((s) => [s.init, s.key])).entries()];
    let mismatch: string | null = null;
    for (const [init, first] of inits) {
      const c = await codecsOf(src, init, first, opts.signal);
      if (c === null) continue;
      if (codecs === null) codecs = c;
      else if (c !== codecs) mismatch = `its codecs (${c}) differ from the channel's (${codecs}): it cannot play in the same stream without re-encoding`;
    }
    if (mismatch) {
      item.problem = mismatch;
      continue;
    }
    item.durationMs = media.segments.reduce((a, s) => a + s.durMs, 0);
    for (const s of media.segments) segments.push({ ...s, item: index });
    for (const c of media.cards) cards.push({ startMs: loopAt + c.startMs, endMs: loopAt + c.endMs, item: index, productId: c.productId, showId: media.showId });
    loopAt += item.durationMs;
    opts.progress((index + 1) / items.length);
  }
  return { version, items: outItems, segments, cards, codecs };
}
