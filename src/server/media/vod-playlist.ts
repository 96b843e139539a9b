/**
 * A recorded show as stored (see recorder.ts): the names of its files, and the VOD media playlist
 * made from them. Pure functions, no I/O.
 *
 * Files of a show, under `replays/<showId>/` (token = the live stream's random token, one per publish):
 *   <token>-init.mp4                          the init segment (EXT-X-MAP)
 *   <token>-s<msn>-t<pdt ms>-d<µs>.mp4         segment msn, byte for byte as `<token>-s<msn>.mp4` was
 *                                             served live; its name carries its PROGRAM-DATE-TIME
 *                                             (epoch ms) and its duration (µs)
 *   index.m3u8                                the VOD playlist, written when the recording is finalized
 * A segment's name is its own journal entry: writing the file records everything the playlist needs
 * to know of it, at once, so a listing of the folder is enough to finalize a recording after a crash.
 */
import { decimal } from "./llhls/playlist.ts";

/** The one playlist name of every replay: `/replays/<showId>/index.m3u8`. */
export const REPLAY_PLAYLIST = "index.m3u8";

/** EXT-X-MAP in a media playlist without EXT-X-I-FRAMES-ONLY needs protocol version 6. */
const VERSION = 6;

export interface RecordedSegment {
  token: string;
  msn: number;
  /** epoch ms of its first frame */
  programDateTime: number;
  /** seconds */
  duration: number;
}

export type RecordedFile = { kind: "init"; token: string } | ({ kind: "segment" } & RecordedSegment);

const INT = (digits: number) => `(0|[1-9][0-9]{0,${digits - 1}})`;
const FILE = new RegExp(`^([a-z0-9]{1,16})-(?:(init)|s${INT(15)}-t${INT(16)}-d([1-9][0-9]{0,11}))\\.mp4$`);

export function initFile(token: string): string {
  return `${token}-init.mp4`;
}

export function segmentFile(s: RecordedSegment): string {
  return `${s.token}-s${s.msn}-t${Math.floor(s.programDateTime)}-d${Math.max(1, Math.round(s.duration * 1e6))}.mp4`;
}

/** What a stored media file is, from its name; null for any name segmentFile() and initFile() do not make. */
export function parseRecordedFile(name: string): RecordedFile | null {
  const m = FILE.exec(name);
  if (!m) return null;
  const token = m[1]!;
  if (m[2]) return { kind: "init", token };
  return { kind: "segment", token, msn: Number(m[3]), programDateTime: Number(m[4]), duration: Number(m[5]) / 1e6 };
}

interface Entry {
  uri: string;
  programDateTime: number;
  duration: number;
  gap: boolean;
}

/**
 * The VOD playlist of the media files `names` (a listing of the show's folder; other names are
 * ignored), or null when there is nothing playable. Each publish (token) with an init segment is one
 * run of segments in msn order, runs in time order, separated by EXT-X-DISCONTINUITY with their own
 * EXT-X-MAP. A segment missing inside a run (dropped while recording) becomes an EXT-X-GAP segment
 * of the time it covered, so the timeline and every PROGRAM-DATE-TIME stay true.
 */
export function vodPlaylist(names: readonly string[]): string | null {
  const inits = new Set<string>();
  const byToken = new Map<string, RecordedSegment[]>();
  for (const name of names) {
    const f = parseRecordedFile(name);
    if (!f) continue;
    if (f.kind === "init") inits.add(f.token);
    else {
      const list = byToken.get(f.token) ?? [];
      list.push(f);
      byToken.set(f.token, list);
    }
  }
  const runs = [...byToken]
    .filter(([token]) => inits.has(token))
    .map(([token, segs]) => ({ token, entries: entriesOf(segs.sort((a, b) => a.msn - b.msn)) }))
    .sort((a, b) => a.entries[0]!.programDateTime - b.entries[0]!.programDateTime);
  if (runs.length === 0) return null;

  // Every EXTINF, rounded to the nearest integer, must be at most the target duration.
  const targetDuration = Math.max(1, ...runs.flatMap((r) => r.entries.map((e) => Math.round(e.duration))));
  const lines = [
    "#EXTM3U",
    `#EXT-X-VERSION:${VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDuration}`,
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-MEDIA-SEQUENCE:0",
    // every segment starts with a keyframe (LlHlsStream cuts segments only there)
    "#EXT-X-INDEPENDENT-SEGMENTS",
  ];
  runs.forEach((run, i) => {
    if (i > 0) lines.push("#EXT-X-DISCONTINUITY");
    lines.push(`#EXT-X-MAP:URI="${initFile(run.token)}"`);
    for (const e of run.entries) {
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(e.programDateTime).toISOString()}`);
      if (e.gap) lines.push("#EXT-X-GAP");
      lines.push(`#EXTINF:${decimal(e.duration)},`, e.uri);
    }
  });
  lines.push("#EXT-X-ENDLIST");
  return lines.join("\n") + "\n";
}

/** A run's segments (sorted by msn, at least one) with a gap segment for each msn missing between them. */
function entriesOf(segs: RecordedSegment[]): Entry[] {
  const out: Entry[] = [];
  let prev: RecordedSegment | null = null;
  for (const s of segs) {
    if (prev && s.msn > prev.msn + 1) {
      const missing = s.msn - prev.msn - 1;
      const from = prev.programDateTime + prev.duration * 1000;
      const each = (s.programDateTime - from) / missing / 1000;
      if (each > 0) {
        for (let k = 0; k < missing; k++) {
          out.push({ uri: `${s.token}-s${prev.msn + 1 + k}-gap.mp4`, programDateTime: from + k * each * 1000, duration: each, gap: true });
        }
      }
    }
    out.push({ uri: segmentFile(s), programDateTime: s.programDateTime, duration: s.duration, gap: false });
    prev = s;
  }
  return out;
}
