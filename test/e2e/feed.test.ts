import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Locator, Page } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { newCreator, newMerchant } from "../support/creators.ts";
import { until } from "../support/until.ts";

const SHOTS = "/tmp/shots";
async function shot(page: Page, name: string) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/feed-${name}.png` });
}

/** The video's playhead moves: it has played some and keeps going. */
async function assertPlaying(video: Locator, what: string) {
  const t1 = await until(`${what}: playing`, async () => {
    const t = await video.evaluate((v: HTMLVideoElement) => (v.paused ? 0 : v.currentTime));
    return t > 0.2 ? t : null;
  }, 45_000);
  await until(`${what}: time advancing`, async () => {
    const t = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
    return t > t1 + 0.5 ? t : null;
  }, 20_000);
}

describe("the home feed in the browser", () => {
  const e2e = e2eSuite();

  test("the feed swipes from one live room to the next", async () => {
    const { server, browser } = e2e;
    const shop = await newMerchant(server, "Feed Shop", [{ currency: "EUR", price: 2900 }, { currency: "EUR", price: 1200 }]);
    const hosts = [await newCreator(server, "feedone"), await newCreator(server, "feedtwo")];
    const shows: { id: string }[] = [];
    for (const [i, h] of hosts.entries()) {
      const r = await server.app.shows.createForCampaign({ merchantId: shop.merchantId, hostUserId: h.userId, campaignId: "cmp_feed_e2e", input: { title: i === 0 ? "Sneaker drop live" : "Vintage denim live", description: "", coverUrl: null, scheduledAt: new Date().toISOString(), productIds: shop.products.map((p) => p.id) } });
      assert.ok(r.ok);
      shows.push(r.show);
      const studio = (await server.app.shows.studio(r.show.id))!;
      e2e.push(`${server.rtmpUrl}/${studio.streamKey}`, 120);
    }
    await until("both shows live", async () => {
      const all = await Promise.all(shows.map((s) => server.app.shows.get(s.id)));
      return all.every((s) => s?.status === "live" && s.playbackUrl) ? true : null;
    }, 30_000);

    const ctx = await browser.browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 1, hasTouch: true, locale: "en-US" });
    const page = await ctx.newPage();
    await page.goto(`${server.baseUrl}/`);
    const items = page.getByTestId("feed-item");
    const first = items.nth(0);
    const second = items.nth(1);
    await first.waitFor();
    assert.equal(await first.getAttribute("data-kind"), "live");
    assert.equal(await second.getAttribute("data-kind"), "live");
    assert.equal(await first.getAttribute("aria-posinset"), "1");
    assert.ok(await first.getByRole("heading", { level: 2 }).textContent());
    assert.equal(await first.getByTestId("feed-product").count(), 2, "the show's products");

    // The first live room plays, muted; the next one's player already exists (preloading), paused.
    await assertPlaying(first.getByTestId("feed-video"), "first live item");
    assert.equal(await first.getByTestId("feed-video").evaluate((v: HTMLVideoElement) => v.muted), true);
    await second.getByTestId("feed-video").waitFor({ state: "attached" });
    assert.equal(await second.getByTestId("feed-video").evaluate((v: HTMLVideoElement) => v.paused), true, "the next item waits off screen");
    await shot(page, "live");

    // Swipe on with the keyboard: the next live room plays, the first stops.
    await first.focus();
    await page.keyboard.press("ArrowDown");
    await until("second item on screen", async () => ((await second.getAttribute("data-active")) === "true" ? true : null));
    await assertPlaying(second.getByTestId("feed-video"), "second live item");
    assert.equal(await second.evaluate((el) => el === document.activeElement), true, "focus follows");
    await until("first item paused", async () => ((await first.getByTestId("feed-video").evaluate((v: HTMLVideoElement) => v.paused).catch(() => true)) ? true : null));
    await page.waitForTimeout(300);
    await shot(page, "next-live");

    // And back up with k, then on past both with the "next" button: players behind are destroyed.
    await page.keyboard.press("k");
    await until("first item back", async () => ((await first.getAttribute("data-active")) === "true" ? true : null));
    await first.getByTestId("feed-next").click();
    await until("second again", async () => ((await second.getAttribute("data-active")) === "true" ? true : null));
    if ((await items.count()) > 2) {
      await second.getByTestId("feed-next").click();
      await until("third on screen", async () => ((await items.nth(2).getAttribute("data-active")) === "true" ? true : null));
      assert.equal(await first.getByTestId("feed-video").count(), 0, "the first player is gone");
      await page.waitForTimeout(400);
      await shot(page, "third");
    }
    assert.ok((await page.locator("video").count()) <= 3);

    // Italian.
    await page.evaluate(() => localStorage.setItem("vetrina.locale", "it"));
    await page.reload();
    await page.getByRole("feed", { name: "Feed dello shopping in diretta" }).waitFor();
    await first.getByText("In diretta", { exact: true }).waitFor();
    await page.waitForTimeout(500);
    await shot(page, "it");
    await ctx.close();
  });
});
