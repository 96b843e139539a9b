import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { until } from "../../../test/support/until.ts";
import { resolveFfmpeg, resolveFfprobe } from "../media/ffmpeg.ts";
import { testPatternArgs } from "../media/test-pattern.ts";
import { replayPrefix } from "../media/recorder.ts";
import { REPLAY_PLAYLIST } from "../media/vod-playlist.ts";
import type { ShortVideo, ShortVideoPage, StudioClip } from "../../shared/contracts/videos.ts";
import { clipWindow, segmentsWithin } from "./clip.ts";
import { CLIP_JOB, type ClipPayload } from "./service.ts";

const run = promisify(execFile);
const FFMPEG = resolveFfmpeg();
const FFPROBE = resolveFfprobe(FFMPEG)!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per-packet MD5s of a file's video stream, by stream copy (so: the packets' own bytes). */
async function videoPacketHashes(file: string): Promise<string[]> {
  const { stdout } = await run(FFMPEG, ["-hide_banner", "-loglevel", "error", "-i", file, "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(",").pop()!.trim());
}

describe("clip window (pure)", () => {
  const playlist = [
    "#EXTM3U",
    '#EXT-X-MAP:URI="a-init.mp4"',
    ...Array.from({ length: 10 }, (_, i) => [`#EXTINF:1.000,`, `a-s${i}.mp4`]).flat(),
    "#EXT-X-DISCONTINUITY",
    '#EXT-X-MAP:URI="b-init.mp4"',
    ...Array.from({ length: 5 }, (_, i) => [`#EXTINF:1.000,`, `b-s${i}.mp4`]).flat(),
    "#EXT-X-ENDLIST",
  ].join("\n");

  test("rounds out to whole segments, clamps to the replay, stays in one publish", () => {
    assert.deepEqual(clipWindow(playlist, 4500, 1200, 2000), { fromMs: 3000, toMs: 7000, init: "a-init.mp4", segments: ["a-s3.mp4", "a-s4.mp4", "a-s5.mp4", "a-s6.mp4"] });
    assert.equal(clipWindow(playlist, 500, 5000, 1000)!.fromMs, 0);
    const late = clipWindow(playlist, 8500, 1000, 40_000)!;
    assert.deepEqual([late.fromMs, late.toMs, late.init], [7000, 10_000, "a-init.mp4"]);
    const second = clipWindow(playlist, 11_200, 5000, 40_000)!;
    assert.deepEqual([second.fromMs, second.toMs, second.init], [10_000, 15_000, "b-init.mp4"]);
    assert.deepEqual(segmentsWithin(playlist, 3000, 7000)?.segments, ["a-s3.mp4", "a-s4.mp4", "a-s5.mp4", "a-s6.mp4"]);
  });
});

describe("automatic clips of a show's showcases", () => {
  let server: TestServer;
  const children: ChildProcess[] = [];
  before(async () => {
    server = await startServer({ CLIP_BEFORE_SECONDS: "2", CLIP_AFTER_SECONDS: "3" });
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await server?.close();
  });

  test("a recorded show's two showcases become two drafts, cut by stream copy; publish and discard; no duplicates", async () => {
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const anon = server.client();
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;
    const child = spawn(FFMPEG, testPatternArgs({ url: `${server.rtmpUrl}/${studio.streamKey}`, seconds: 60, width: 640, height: 360, preset: "ultrafast" }), { stdio: ["ignore", "ignore", "ignore"] });
    children.push(child);
    const live = await until("show live", async () => {
      const s = (await host.shows.get(show.id)).body;
      return s.status === "live" && s.playbackUrl ? s : null;
    });
    const [a, b] = live.products;
    await sleep(4000);
    assert.equal((await host.shows.showcase(show.id, a!.id)).status, 200);
    await sleep(4000);
    assert.equal((await host.shows.showcase(show.id, b!.id)).status, 200);
    await sleep(5000);
    assert.equal((await host.shows.end(show.id)).body.status, "ended");
    child.kill("SIGKILL");
    await until("replay ready", async () => (await host.shows.get(show.id)).body.replayUrl, 30_000);

    const clipsUrl = `/api/v1/shows/${show.id}/clips`;
    await until("two clips queued", async () => (await host.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items?.length === 2, 20_000);
    await server.app.jobs.drained();
    const clips = (await host.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items;
    assert.deepEqual(clips.map((c) => c.status), ["draft", "draft"]);
    assert.deepEqual(clips.map((c) => c.product?.id), [a!.id, b!.id]);
    assert.deepEqual(clips.map((c) => c.progress), [1, 1]);

    const playlist = (await server.app.mediaStorage.read(replayPrefix(show.id) + REPLAY_PLAYLIST))!.toString("utf8");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clip-test-"));
    try {
      for (const clip of clips) {
        const job = (await server.app.jobs.byKey(`clip:${show.id}:${clips.indexOf(clip)}`))!;
        assert.equal(job.kind, CLIP_JOB);
        assert.equal(job.status, "done");
        const p = job.payload as ClipPayload;
        assert.equal(p.videoId, clip.id);
        // The window: 2 s before to 3 s after the showcase, rounded out to whole (~1 s) segments.
        assert.ok(p.fromMs <= Math.max(0, p.anchorMs - 2000) && p.anchorMs - 2000 - p.fromMs < 1600, `from ${p.fromMs} anchor ${p.anchorMs}`);
        assert.ok(p.toMs >= p.anchorMs + 3000 && p.toMs - (p.anchorMs + 3000) < 1600, `to ${p.toMs} anchor ${p.anchorMs}`);

        const res = await fetch(server.baseUrl + clip.mediaUrl!, { headers: { cookie: host.cookie } });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "video/mp4");
        const file = path.join(dir, `${clip.id}.mp4`);
        fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
        const probe = JSON.parse((await run(FFPROBE, ["-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height", "-of", "json", file])).stdout);
        const codecs = probe.streams.map((s: { codec_type: string; codec_name: string }) => `${s.codec_type}:${s.codec_name}`).sort();
        assert.deepEqual(codecs, ["audio:aac", "video:h264"]);
        const seconds = Number(probe.format.duration);
        assert.ok(Math.abs(seconds * 1000 - (p.toMs - p.fromMs)) < 300, `duration ${seconds} s for a ${p.toMs - p.fromMs} ms window`);
        assert.ok(Math.abs((clip.durationMs ?? 0) - seconds * 1000) < 50);
        assert.deepEqual([clip.width, clip.height], [640, 360]);

        // Copied, not re-encoded: the clip's video packets are the replay's segments' packets, byte for byte.
        const picked = segmentsWithin(playlist, p.fromMs, p.toMs)!;
        const source = path.join(dir, `${clip.id}-source.mp4`);
        const parts = await Promise.all([picked.init, ...picked.segments].map(async (n) => (await server.app.mediaStorage.read(replayPrefix(show.id) + n))!));
        fs.writeFileSync(source, Buffer.concat(parts));
        const hashes = await videoPacketHashes(file);
        assert.ok(hashes.length >= 30, `${hashes.length} video packets`);
        assert.deepEqual(hashes, await videoPacketHashes(source));

        const poster = await fetch(server.baseUrl + clip.posterUrl!, { headers: { cookie: host.cookie } });
        assert.equal(poster.status, 200);
        assert.equal(poster.headers.get("content-type"), "image/jpeg");
        assert.deepEqual([...new Uint8Array(await poster.arrayBuffer()).slice(0, 2)], [0xff, 0xd8]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const [clipA, clipB] = clips as [StudioClip, StudioClip];
    // Drafts are private: not in the public API, their files only for the host and the merchant's staff.
    assert.equal((await anon.request("GET", `/api/v1/videos/${clipA.id}`)).problem?.code, "not_found");
    assert.equal((await fetch(server.baseUrl + clipA.mediaUrl!)).status, 404);
    assert.equal((await fetch(server.baseUrl + clipA.mediaUrl!, { headers: { cookie: viewer.cookie } })).status, 404);
    assert.equal((await anon.request("GET", clipsUrl)).problem?.code, "unauthenticated");
    assert.equal((await viewer.request("GET", clipsUrl)).problem?.code, "forbidden");
    assert.equal((await viewer.request("POST", `/api/v1/videos/${clipA.id}/publish`)).problem?.code, "forbidden");
    assert.equal((await viewer.request("POST", `/api/v1/videos/${clipA.id}/discard`)).problem?.code, "forbidden");
    assert.equal((await host.request("POST", `/api/v1/videos/vid_nope/publish`)).problem?.code, "not_found");
    const merchant = await server.as("merchant");
    assert.equal((await merchant.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items.length, 2, "the merchant's staff see them too");

    // Publish A: public, in the list, its file served to anyone (with ranges).
    const published = await host.request<StudioClip>("POST", `/api/v1/videos/${clipA.id}/publish`);
    assert.equal(published.status, 200);
    assert.equal(published.body.status, "published");
    assert.equal((await host.request<StudioClip>("POST", `/api/v1/videos/${clipA.id}/publish`)).status, 200, "publishing again changes nothing");
    const pub = await anon.request<ShortVideo>("GET", `/api/v1/videos/${clipA.id}`);
    assert.equal(pub.status, 200);
    assert.equal(pub.body.title, a!.title);
    assert.equal(pub.body.product?.id, a!.id);
    assert.equal(pub.body.showId, show.id);
    assert.ok(pub.body.publishedAt);
    const ranged = await fetch(server.baseUrl + pub.body.mediaUrl!, { headers: { range: "bytes=0-99" } });
    assert.equal(ranged.status, 206);
    assert.match(ranged.headers.get("content-range") ?? "", /^bytes 0-99\/\d+$/);
    assert.equal((await ranged.arrayBuffer()).byteLength, 100);
    const beyond = await fetch(server.baseUrl + pub.body.mediaUrl!, { headers: { range: "bytes=999999999-" } });
    assert.equal(beyond.status, 416);
    const list = await anon.request<ShortVideoPage>("GET", "/api/v1/videos");
    assert.deepEqual(list.body.items.map((v) => v.id), [clipA.id]);
    assert.equal((await anon.request("GET", "/api/v1/videos?cursor=%21%21")).problem?.code, "validation_failed");

    // Discard B: never public, cannot be published afterwards.
    const discarded = await host.request<StudioClip>("POST", `/api/v1/videos/${clipB.id}/discard`);
    assert.equal(discarded.body.status, "discarded");
    assert.equal((await host.request("POST", `/api/v1/videos/${clipB.id}/publish`)).problem?.code, "video_not_draft");
    assert.equal((await anon.request("GET", `/api/v1/videos/${clipB.id}`)).problem?.code, "not_found");
    assert.equal((await fetch(server.baseUrl + clipB.mediaUrl!, { headers: { cookie: host.cookie } })).status, 404);

    // Finalizing again (a restart's recovery, say) queues nothing new.
    assert.equal(await server.app.recorder.finalize(show.id), "ready");
    await server.app.videos.enqueueClips(show.id);
    await server.app.jobs.drained();
    const again = (await host.request<{ items: StudioClip[] }>("GET", clipsUrl)).body.items;
    assert.deepEqual(again.map((c) => [c.id, c.status]), [[clipA.id, "published"], [clipB.id, "discarded"]]);
  });
});
