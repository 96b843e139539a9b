import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "../support/harness.ts";
import { e2eSuite } from "../support/e2e.ts";
import { fillCheckout, phoneContext } from "../support/browser.ts";
import { killHard, spawnServer, stopGracefully } from "../support/child-server.ts";
import { ApiClient } from "../support/client.ts";
import { until } from "../support/until.ts";
import type { ShowTimeline } from "../../src/shared/contracts/shows.ts";

const FFPROBE = process.env.FFPROBE_PATH ?? "/usr/bin/ffprobe";
/** the test pattern's frame interval: a card must land within one frame after its instant */
const FRAME_MS = 1000 / 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A VOD playlist's segments: URI, PROGRAM-DATE-TIME (ms), duration (s), and whether it is a gap. */
function segmentsOf(playlist: string) {
  const out: { uri: string; pdt: number; duration: number; gap: boolean }[] = [];
  let pdt = NaN;
  let duration = NaN;
  let gap = false;
  for (const line of playlist.split("\n")) {
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = Date.parse(line.slice(25));
    else if (line === "#EXT-X-GAP") gap = true;
    else if (line.startsWith("#EXTINF:")) duration = Number(line.slice(8).split(",")[0]);
    else if (line && !line.startsWith("#")) {
      out.push({ uri: line, pdt, duration, gap });
      pdt = NaN;
      duration = NaN;
      gap = false;
    }
  }
  return out;
}

describe("replays, end to end", () => {
  const e2e = e2eSuite();

  test("a live show is recorded; its replay plays in Chromium with each card on the frame it was showcased on; a shopper buys from it", async (t) => {
    const { server, browser } = e2e;
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;

    const pushedAt = Date.now();
    const publisher = e2e.push(`${server.rtmpUrl}/${studio.streamKey}`, 60);
    const live = await until("show live", async () => {
      const s = (await host.shows.get(show.id)).body;
      return s.status === "live" && s.playbackUrl ? s : null;
    });
    assert.equal(live.replayUrl, null);
    const tee = live.products.find((p) => p.title.includes("tee"))!;
    const mug = live.products.find((p) => p.title.includes("mug"))!;

    // About nine seconds of show: the tee at ~3 s, the mug at ~6 s, then the host ends it.
    await sleep(3000);
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200);
    await sleep(3000);
    assert.equal((await host.shows.showcase(show.id, mug.id)).status, 200);
    // Someone is watching live when the show ends: their page offers the replay once it is ready.
    const liveCtx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const livePage = await liveCtx.newPage();
    await livePage.goto(`${server.baseUrl}/shows/${show.id}`);
    await livePage.getByTestId("player-video").waitFor();
    await sleep(3000);
    const endAt = Date.now();
    const ended = await host.shows.end(show.id);
    assert.equal(ended.body.status, "ended");
    const watch = livePage.getByTestId("watch-replay");
    await watch.waitFor({ timeout: 20_000 });
    await livePage.screenshot({ path: "test-results/e2e-replay-offered.png" }).catch(() => {});
    await watch.click();
    await until("offered replay playing", async () => (await livePage.getByTestId("replay-video").evaluate((v: HTMLVideoElement) => v.currentTime)) > 0.3, 30_000);
    await liveCtx.close();

    // The replay is finalized a moment after the end.
    const replay = await until("replay ready", async () => {
      const s = (await viewer.shows.get(show.id)).body;
      return s.replayUrl ? s : null;
    }, 15_000);
    assert.equal(replay.replayUrl, `/replays/${show.id}/index.m3u8`);
    const timeline = (await viewer.request<ShowTimeline>("GET", `/api/v1/shows/${show.id}/timeline`)).body.items;
    assert.deepEqual(timeline.map((e) => e.productId), [tee.id, mug.id]);
    const [at1, at2] = timeline.map((e) => e.at) as [number, number];

    // The recording covers the whole show, without holes: contiguous segments from the first frame
    // (just after the push started; ffmpeg probes its input for a second) to the end.
    const res = await fetch(server.baseUrl + replay.replayUrl);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "public, max-age=3600");
    const playlist = await res.text();
    for (const tag of ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-MAP:URI=", "#EXT-X-ENDLIST"]) assert.ok(playlist.includes(tag), tag);
    const segments = segmentsOf(playlist);
    assert.ok(segments.length >= 6, `${segments.length} segments`);
    assert.ok(segments.every((s) => !s.gap && Number.isFinite(s.pdt) && s.duration > 0), "every segment is recorded, with its PROGRAM-DATE-TIME");
    for (let i = 1; i < segments.length; i++) {
      const prev = segments[i - 1]!;
      assert.ok(Math.abs(segments[i]!.pdt - (prev.pdt + prev.duration * 1000)) <= 2, `segment ${i} follows segment ${i - 1}`);
    }
    const recorded = segments.reduce((t, s) => t + s.duration, 0);
    const first = segments[0]!.pdt;
    const pushed = (endAt - pushedAt) / 1000;
    assert.ok(first >= pushedAt - 500 && first <= pushedAt + 3000, `the recording starts ${first - pushedAt} ms after the push`);
    assert.ok(Math.abs(recorded - (endAt - first) / 1000) < 1.5, `recorded ${recorded} s of a show that lasted ${(endAt - first) / 1000} s from its first frame`);
    assert.ok(recorded > pushed - 3 && recorded < pushed + 1, `recorded ${recorded} s of ${pushed} s pushed`);
    assert.ok(first < at1 && at2 < first + recorded * 1000, "both showcases are inside the recording");
    t.diagnostic(`pushed ${pushed.toFixed(2)} s, recorded ${recorded.toFixed(3)} s in ${segments.length} segments from ${first - pushedAt} ms after the push`);

    // A recorded segment is a playable MP4 with its init segment: ffprobe reads one second of H.264 and AAC.
    const middle = segments[Math.floor(segments.length / 2)]!;
    const base = server.baseUrl + replay.replayUrl.replace(/index\.m3u8$/, "");
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
    const [init, seg] = await Promise.all([initUri, middle.uri].map(async (u) => Buffer.from(await (await fetch(base + u)).arrayBuffer())));
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-replay-e2e-")), "segment.mp4");
    fs.writeFileSync(tmp, Buffer.concat([init!, seg!]));
    const { stdout } = await promisify(execFile)(FFPROBE, ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames", "-of", "json", tmp]);
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    const streams = (JSON.parse(stdout) as { streams: { codec_type: string; codec_name: string; nb_read_frames?: string }[] }).streams;
    const video = streams.find((s) => s.codec_type === "video")!;
    assert.equal(video.codec_name, "h264");
    assert.ok(Math.abs(Number(video.nb_read_frames) - middle.duration * 30) <= 1, `${video.nb_read_frames} frames in ${middle.duration} s`);
    assert.ok(streams.some((s) => s.codec_type === "audio" && s.codec_name === "aac"));

    // The show page plays the replay from the start; each card appears on the first frame stamped at or
    // after its showcase (within one frame at 30 fps, never before), as it did live.
    const ctx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const page = await ctx.newPage();
    await page.goto(`${server.baseUrl}/shows/${show.id}`);
    const player = page.getByTestId("replay-video");
    await player.waitFor();
    await until("replay playing", async () => (await player.evaluate((v: HTMLVideoElement) => v.currentTime)) > 0.3, 30_000);
    const card = page.getByTestId("product-card");
    await card.getByText(tee.title).waitFor({ timeout: 20_000 });
    const teeFrame = Number(await card.getAttribute("data-frame-pdt"));
    assert.ok(teeFrame >= at1, `tee card on frame ${teeFrame}, ${at1 - teeFrame} ms before its showcase`);
    assert.ok(teeFrame - at1 <= FRAME_MS + 1, `tee card on frame ${teeFrame}, ${teeFrame - at1} ms after its showcase`);
    await card.getByText(mug.title).waitFor({ timeout: 20_000 });
    const mugFrame = Number(await card.getAttribute("data-frame-pdt"));
    assert.ok(mugFrame >= at2, `mug card on frame ${mugFrame}, ${at2 - mugFrame} ms before its showcase`);
    assert.ok(mugFrame - at2 <= FRAME_MS + 1, `mug card on frame ${mugFrame}, ${mugFrame - at2} ms after its showcase`);
    t.diagnostic(`cards on frames ${(teeFrame - at1).toFixed(1)} ms and ${(mugFrame - at2).toFixed(1)} ms after their showcases`);
    await sleep(400); // the card's entrance animation
    await page.screenshot({ path: "test-results/e2e-replay-card.png" }).catch(() => {});

    // Seeking: back into [at1, at2) shows the tee, before at1 no card, past at2 the mug.
    const seekToPdt = async (pdt: number) => {
      await player.evaluate((v: HTMLVideoElement, t: number) => {
        v.currentTime = t;
      }, (pdt - first) / 1000);
    };
    const frameOfCard = async () => Number(await card.getAttribute("data-frame-pdt"));
    await seekToPdt((at1 + at2) / 2);
    await card.getByText(tee.title).waitFor({ timeout: 10_000 });
    const backFrame = await frameOfCard();
    assert.ok(backFrame >= at1 && backFrame < at2, `after seeking back, the tee on frame ${backFrame} (showcases at ${at1} and ${at2})`);
    await seekToPdt(first + (at1 - first) / 2);
    await until("no card before the first showcase", async () => (await card.count()) === 0, 10_000);
    await seekToPdt(at2 + 1000);
    await card.getByText(mug.title).waitFor({ timeout: 10_000 });
    assert.ok((await frameOfCard()) >= at2);

    // The shopper opens the card and buys, inside the replay, as on live.
    const variant = mug.variants.find((v) => v.stock > 0)!;
    await player.evaluate((v: HTMLVideoElement) => v.pause());
    await card.click();
    const option = page.getByTestId("variant-option").filter({ hasText: variant.title }).first();
    if (await option.count()) await option.click();
    await page.getByTestId("buy-now").click();
    await fillCheckout(page);
    await page.getByTestId("pay-button").click();
    await page.getByTestId("order-confirmation").waitFor({ timeout: 15_000 });
    const order = (await viewer.orders.mine()).body.items[0]!;
    assert.equal(order.status, "paid");
    assert.equal(order.showId, show.id);
    assert.equal(order.items[0]!.variantId, variant.id);
    await ctx.close();
    publisher.kill("SIGKILL");

    // One clip per showcase is cut from the replay; the host sees both in the studio, plays one and
    // publishes it.
    await server.app.jobs.drained();
    const hostCtx = await phoneContext(browser.browser, server.baseUrl, host.cookie);
    const studioPage = await hostCtx.newPage();
    await studioPage.goto(`${server.baseUrl}/studio/${show.id}`);
    const clips = studioPage.getByTestId("clips-panel").getByTestId("clip");
    await until("two clips ready in the studio", async () => (await clips.count()) === 2 && (await studioPage.locator('[data-testid="clip"][data-status="draft"]').count()) === 2, 30_000);
    await clips.nth(0).getByText(tee.title).waitFor();
    await clips.nth(1).getByText(mug.title).waitFor();
    const clipVideo = clips.nth(1).getByTestId("clip-video");
    await clipVideo.evaluate((v: HTMLVideoElement) => void v.play());
    await until("the clip plays", async () => (await clipVideo.evaluate((v: HTMLVideoElement) => v.currentTime)) > 0.3, 20_000);
    const clipLength = await clipVideo.evaluate((v: HTMLVideoElement) => v.duration);
    // the mug was shown ~3 s before the end: the clip is cut on segment boundaries from ~5 s before it to the end
    assert.ok(clipLength > 3 && clipLength < 12, `the mug's clip lasts ${clipLength} s`);
    await clips.nth(1).getByTestId("clip-publish").click();
    await until("clip published", async () => (await studioPage.locator('[data-testid="clip"][data-status="published"]').count()) === 1, 10_000);
    await studioPage.screenshot({ path: "test-results/e2e-replay-clips.png" }).catch(() => {});
    const published = (await viewer.request<{ items: { id: string; product: { id: string } | null }[] }>("GET", "/api/v1/videos")).body.items;
    assert.deepEqual(published.map((v) => v.product?.id), [mug.id]);
    await hostCtx.close();
  });

  test("kill -9 mid-show: at the next start the show is ended and its recording becomes a replay", async () => {
    const { server, browser } = e2e;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-replay-crash-"));
    const env = { PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DATA_DIR: dataDir, DEMO_DATA: "true", HLS_SEGMENT_SECONDS: "1" };
    let first = await spawnServer(env);
    e2e.children.push(first.child);
    try {
      const host = new ApiClient(first.baseUrl);
      await host.auth.signIn("host@vetrina.test", "vetrina-demo");
      const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
      const key = (await host.shows.studio(show.id)).body.streamKey;
      const pusher = e2e.push(`rtmp://127.0.0.1:${env.RTMP_PORT}/live/${key}`, 60);
      await until("show live", async () => (await host.shows.get(show.id)).body.status === "live");
      await sleep(4000);
      await killHard(first.child);
      pusher.kill("SIGKILL");

      const second = await spawnServer(env);
      e2e.children.push(second.child);
      const again = new ApiClient(second.baseUrl);
      const s = (await again.shows.get(show.id)).body;
      assert.equal(s.status, "ended");
      assert.equal(s.replayUrl, `/replays/${show.id}/index.m3u8`);
      const playlist = await (await fetch(second.baseUrl + s.replayUrl)).text();
      assert.ok(playlist.endsWith("#EXT-X-ENDLIST\n"));
      const segments = segmentsOf(playlist);
      assert.ok(segments.length >= 2, `${segments.length} segments recorded before the crash`);
      const seg = await fetch(second.baseUrl + `/replays/${show.id}/${segments[0]!.uri}`);
      assert.equal(seg.status, 200);
      assert.equal(seg.headers.get("content-type"), "video/mp4");
      await stopGracefully(second.child);
      first = second;
    } finally {
      await killHard(first.child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
