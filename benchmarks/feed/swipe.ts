/**
 * Swipe-to-moving-video on the home feed in Chromium (Debian's, via playwright-core, flags as in the
 * tests): an app in this process (SQLite; the database plays no part in this number) with ROOMS live
 * shows, each fed by an ffmpeg test pattern over RTMP, as test/e2e/feed.test.ts does.
 *
 * Measured in the page, from just before the key press to the first moment the target room's <video>
 * is playing and its currentTime has moved past the value it had when first seen playing (polled every
 * 5 ms): what a viewer sees as "the picture moves".
 *   forward:  ArrowDown to the next live room, whose player the feed built and preloaded off screen;
 *   backward: ArrowUp to the previous room, whose player the feed had torn down (only the current and
 *             the next item keep one): the same page without preload, our baseline;
 *   cold:     a fresh page load of the feed until its first live room moves.
 * Between swipes the viewer watches DWELL_MS (the next room preloads meanwhile).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Page } from "playwright-core";
import { startServer } from "../../test/support/harness.ts";
import { launchBrowser, phoneContext } from "../../test/support/browser.ts";
import { newCreator, newMerchant } from "../../test/support/creators.ts";
import { until } from "../../test/support/until.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";

export interface SwipeReport {
  rooms: number;
  segmentSeconds: number;
  browserVersion: string;
  forward: number[];
  backward: number[];
  cold: number[];
}

const ROOMS = 4;
const DWELL_MS = 3000;
const SEGMENT_SECONDS = 1;

/** Arms a watch in the page: `watched` then gives ms from this call to the item's video moving (and ms since navigation start). */
function armWatch(page: Page, index: number) {
  // A string, not a function: tsx's transform would wrap named functions in a helper the page lacks.
  return page.evaluate(`(() => {
    const t0 = performance.now();
    window.__swipe = new Promise((resolve) => {
      let seen = null;
      const check = () => {
        const item = document.querySelectorAll('[data-testid="feed-item"]')[${index}];
        const v = item && item.querySelector("video");
        if (v && !v.paused && v.readyState >= 2) {
          if (seen === null) seen = v.currentTime;
          else if (v.currentTime > seen) return resolve([performance.now() - t0, performance.now()]);
        }
        setTimeout(check, 5);
      };
      check();
    });
  })()`);
}
const watched = (page: Page) => page.evaluate(() => (window as unknown as { __swipe: Promise<[number, number]> }).__swipe);

export async function measureSwipes(opts: { swipes: number; log: (s: string) => void }): Promise<SwipeReport> {
  const server = await startServer({ HLS_SEGMENT_SECONDS: String(SEGMENT_SECONDS) });
  const browser = await launchBrowser();
  const pushers: ChildProcess[] = [];
  try {
    const shop = await newMerchant(server, "Swipe Bench Shop", [{ currency: "EUR", price: 2900 }]);
    const shows: string[] = [];
    for (let i = 0; i < ROOMS; i++) {
      const h = await newCreator(server, `swipe${i}`);
      const r = await server.app.shows.createForCampaign({ merchantId: shop.merchantId, hostUserId: h.userId, campaignId: "cmp_bench_swipe", input: { title: `Bench room ${i + 1}`, description: "", coverUrl: null, scheduledAt: new Date().toISOString(), productIds: shop.products.map((p) => p.id) } });
      if (!r.ok) throw new Error(r.code);
      shows.push(r.show.id);
      const key = (await server.app.shows.studio(r.show.id))!.streamKey;
      pushers.push(spawn(resolveFfmpeg(), testPatternArgs({ url: `${server.rtmpUrl}/${key}`, seconds: 900, width: 640, height: 360 }), { stdio: "ignore" }));
    }
    await until("all rooms live", async () => {
      const all = await Promise.all(shows.map((s) => server.app.shows.get(s)));
      return all.every((s) => s?.status === "live" && s.playbackUrl) ? true : null;
    }, 60_000);
    // a few segments in every playlist before the first viewer arrives
    await new Promise((r) => setTimeout(r, 4 * SEGMENT_SECONDS * 1000));

    const ctx = await phoneContext(browser.browser, server.baseUrl);
    const page = await ctx.newPage();
    const report: SwipeReport = { rooms: ROOMS, segmentSeconds: SEGMENT_SECONDS, browserVersion: browser.browser.version(), forward: [], backward: [], cold: [] };

    // Cold loads first (each a new page).
    for (let i = 0; i < 3; i++) {
      const cold = await ctx.newPage();
      await cold.goto("about:blank");
      await cold.goto(`${server.baseUrl}/`);
      await cold.getByTestId("feed-item").first().waitFor();
      await armWatch(cold, 0);
      // the page's clock counts from the navigation's start
      report.cold.push((await watched(cold))[1]);
      await cold.close();
    }
    opts.log(`swipe: cold loads ${report.cold.map((x) => x.toFixed(0)).join(", ")} ms`);

    await page.goto(`${server.baseUrl}/`);
    const items = page.getByTestId("feed-item");
    await items.first().waitFor();
    const liveCount = await items.evaluateAll((els) => els.filter((e) => e.getAttribute("data-kind") === "live").length);
    if (liveCount < ROOMS) throw new Error(`only ${liveCount} live items in the feed`);
    await armWatch(page, 0);
    await watched(page);
    await items.first().focus();
    let at = 0;
    let dir = 1;
    while (report.forward.length < opts.swipes || report.backward.length < opts.swipes) {
      if (at + dir < 0 || at + dir >= ROOMS) dir = -dir;
      await page.waitForTimeout(DWELL_MS);
      const to = at + dir;
      await armWatch(page, to);
      await page.keyboard.press(dir > 0 ? "ArrowDown" : "ArrowUp");
      const [t] = await Promise.race([watched(page), new Promise<[number, number]>((_, rej) => setTimeout(() => rej(new Error(`item ${to} did not play within 30 s`)), 30_000))]);
      (dir > 0 ? report.forward : report.backward).push(t);
      at = to;
    }
    opts.log(`swipe: forward ${report.forward.map((x) => x.toFixed(0)).join(", ")} ms; backward ${report.backward.map((x) => x.toFixed(0)).join(", ")} ms`);
    await ctx.close();
    return report;
  } finally {
    for (const p of pushers) p.kill("SIGKILL");
    await browser.close();
    await server.close();
  }
}
