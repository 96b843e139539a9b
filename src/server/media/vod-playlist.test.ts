import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { initFile, parseRecordedFile, segmentFile, vodPlaylist, type RecordedSegment } from "./vod-playlist.ts";

const T0 = Date.UTC(2026, 4, 1, 18, 0, 0);

/** n contiguous segments of one publish: PROGRAM-DATE-TIME advances exactly with the durations */
function run(token: string, durations: number[], start = T0, firstMsn = 0): RecordedSegment[] {
  let pdt = start;
  return durations.map((duration, i) => {
    const s = { token, msn: firstMsn + i, programDateTime: pdt, duration };
    pdt += duration * 1000;
    return s;
  });
}

const lines = (p: string | null) => (p ?? "").trimEnd().split("\n");

describe("recorded file names", () => {
  test("a segment's name carries its msn, PROGRAM-DATE-TIME and duration, and parses back", () => {
    const s = { token: "ab12cd", msn: 42, programDateTime: T0 + 1234, duration: 1.001 };
    const name = segmentFile(s);
    assert.equal(name, `ab12cd-s42-t${T0 + 1234}-d1001000.mp4`);
    assert.deepEqual(parseRecordedFile(name), { kind: "segment", ...s });
    assert.deepEqual(parseRecordedFile(initFile("ab12cd")), { kind: "init", token: "ab12cd" });
  });

  test("anything else is not a recorded file", () => {
    for (const name of [
      "index.m3u8",
      "ab12cd-s42.mp4", // a live name
      "ab12cd-s042-t1-d1.mp4", // leading zero
      "ab12cd-s1-t1-d0.mp4", // no duration
      "AB12CD-init.mp4",
      "../ab12cd-init.mp4",
      "ab12cd-init.mp4/x",
      "ab12cd-s1-gap.mp4",
      ".tmp-1234-ab12cd-init.mp4",
      "ab12cd-init.mp4.tmp",
    ]) {
      assert.equal(parseRecordedFile(name), null, name);
    }
  });
});

describe("the VOD playlist", () => {
  test("tags, EXT-X-MAP, a PROGRAM-DATE-TIME and the duration of every segment, ENDLIST", () => {
    const segs = run("tok1", [1, 1.001, 0.967, 1.2]);
    const p = vodPlaylist([initFile("tok1"), ...segs.map(segmentFile), "index.m3u8"]);
    assert.deepEqual(lines(p), [
      "#EXTM3U",
      "#EXT-X-VERSION:6",
      "#EXT-X-TARGETDURATION:1",
      "#EXT-X-PLAYLIST-TYPE:VOD",
      "#EXT-X-MEDIA-SEQUENCE:0",
      "#EXT-X-INDEPENDENT-SEGMENTS",
      '#EXT-X-MAP:URI="tok1-init.mp4"',
      "#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:00.000Z",
      "#EXTINF:1,",
      segmentFile(segs[0]!),
      "#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:01.000Z",
      "#EXTINF:1.001,",
      segmentFile(segs[1]!),
      "#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:02.001Z",
      "#EXTINF:0.967,",
      segmentFile(segs[2]!),
      "#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:02.968Z",
      "#EXTINF:1.2,",
      segmentFile(segs[3]!),
      "#EXT-X-ENDLIST",
    ]);
    assert.ok(p!.endsWith("#EXT-X-ENDLIST\n"));
    assert.ok(!p!.includes("EXT-X-PART"), "no LL-HLS tags in a replay");
  });

  test("segments are listed in msn order whatever the listing order; the target duration covers the longest", () => {
    const segs = run("tok1", [2, 2, 2.6, 1]);
    const p = vodPlaylist([...segs.map(segmentFile).reverse(), initFile("tok1")]);
    assert.match(p!, /#EXT-X-TARGETDURATION:3\n/);
    const uris = lines(p).filter((l) => l.endsWith(".mp4") && !l.startsWith("#"));
    assert.deepEqual(uris, segs.map(segmentFile));
    // the sum of the EXTINFs is the recorded time
    const total = lines(p)
      .filter((l) => l.startsWith("#EXTINF:"))
      .reduce((t, l) => t + Number(l.slice(8, -1)), 0);
    assert.ok(Math.abs(total - 7.6) < 1e-9);
  });

  test("a segment dropped while recording becomes an EXT-X-GAP of the time it covered", () => {
    const segs = run("tok1", [1, 1, 1, 1, 1]);
    const kept = [segs[0]!, segs[1]!, segs[4]!]; // 2 and 3 were dropped
    const p = vodPlaylist([initFile("tok1"), ...kept.map(segmentFile)]);
    const l = lines(p);
    const gapAt = l.indexOf("#EXT-X-GAP");
    assert.ok(gapAt > 0);
    assert.equal(l.filter((x) => x === "#EXT-X-GAP").length, 2);
    assert.equal(l[gapAt - 1], "#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:02.000Z");
    assert.equal(l[gapAt + 1], "#EXTINF:1,");
    assert.equal(l[gapAt + 2], "tok1-s2-gap.mp4");
    assert.equal(l.filter((x) => x.startsWith("#EXT-X-PROGRAM-DATE-TIME")).length, 5, "every segment, gaps too, has its PDT");
    assert.ok(l.includes("#EXT-X-PROGRAM-DATE-TIME:2026-05-01T18:00:04.000Z"));
  });

  test("publishes of the same show are runs in time order, each with its EXT-X-MAP, after a discontinuity", () => {
    const first = run("aaa", [1, 1]);
    const second = run("bbb", [1, 1], T0 + 60_000);
    const p = vodPlaylist([initFile("bbb"), ...second.map(segmentFile), initFile("aaa"), ...first.map(segmentFile)]);
    const l = lines(p);
    assert.equal(l.filter((x) => x.startsWith("#EXT-X-MAP")).length, 2);
    const d = l.indexOf("#EXT-X-DISCONTINUITY");
    assert.ok(l.indexOf('#EXT-X-MAP:URI="aaa-init.mp4"') < d);
    assert.equal(l[d + 1], '#EXT-X-MAP:URI="bbb-init.mp4"');
  });

  test("nothing playable: no segment, or segments without their init segment", () => {
    assert.equal(vodPlaylist([]), null);
    assert.equal(vodPlaylist([initFile("tok1"), "index.m3u8"]), null);
    assert.equal(vodPlaylist(run("tok1", [1, 1]).map(segmentFile)), null);
  });
});
