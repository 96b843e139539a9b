import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Page } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { creatorApi, newCreator, newMerchant } from "../support/creators.ts";
import { notifyApi } from "../support/notifications.ts";

/** With NOTIFY_SHOTS=<dir>, the pages are also saved as 375×800 screenshots there. */
const shotsDir = process.env.NOTIFY_SHOTS;
async function shot(page: Page, name: string) {
  if (!shotsDir) return;
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: `${shotsDir}/notify-${name}.png` });
}

describe("notifications in the browser", () => {
  const suite = e2eSuite();

  test("a follower has the page open, the followed creator goes live: the bell counts it without a reload and leads to the show", async () => {
    const { server, browser } = suite;
    const host = await newCreator(server, "bellhost");
    const { merchantId } = await newMerchant(server, "Bell Boutique");
    const fan = server.client();
    assert.equal((await fan.auth.signUp(`bellfan-${Date.now()}@example.com`, "password-123", "Bell Fan")).status, 201);
    assert.equal((await creatorApi(fan).follow(host.creator.handle)).status, 200);
    const r = await server.app.shows.createForCampaign({ merchantId, hostUserId: host.userId, campaignId: "cmp_e2e", input: { title: "Evening drop", description: "", coverUrl: null, scheduledAt: new Date(Date.now() + 3600_000).toISOString(), productIds: [] } });
    assert.ok(r.ok);
    const show = r.show;
    await server.app.notifications.settled();

    const ctx = await browser.browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 1, hasTouch: true, locale: "en-US" });
    const [name, value] = fan.cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: server.baseUrl }]);
    const page = await ctx.newPage();
    await page.goto(`${server.baseUrl}/c/${host.creator.handle}`);
    const bell = page.getByTestId("notification-bell");
    await bell.getByTestId("bell-count").getByText("1", { exact: true }).waitFor();
    // "Remind me" on the creator's upcoming show.
    const upcoming = page.locator("li", { has: page.getByTestId("upcoming-show").filter({ hasText: "Evening drop" }) });
    await upcoming.getByTestId("remind").click();
    await upcoming.getByRole("button", { name: "Reminder set", disabled: false }).waitFor();
    assert.deepEqual((await notifyApi(fan).reminders()).body.showIds, [show.id]);
    assert.match((await upcoming.getByTestId("add-to-calendar").getAttribute("href")) ?? "", new RegExp(`/api/v1/shows/${show.id}/calendar\\.ics$`));
    await page.waitForTimeout(300);
    await shot(page, "creator-page");

    // The show goes live (as the ingest would mark it): the open page hears it.
    await server.app.shows.markLive(show.id);
    await bell.getByTestId("bell-count").getByText("2", { exact: true }).waitFor({ timeout: 15_000 });
    assert.equal(await bell.getAttribute("aria-label"), "Notifications: 2 unread");

    await bell.click();
    await page.getByRole("heading", { name: "Notifications" }).waitFor();
    const live = page.getByTestId("notification").filter({ hasText: "is live now" });
    await live.waitFor();
    assert.equal(await live.getAttribute("href"), `/shows/${show.id}`);
    assert.equal(await page.getByTestId("notification").count(), 2);
    await shot(page, "notifications");
    await live.click();
    await page.waitForURL(`${server.baseUrl}/shows/${show.id}`);
    assert.equal((await notifyApi(fan).unread()).body.unread, 1, "opening a notification reads it");

    if (shotsDir) {
      await page.goto(`${server.baseUrl}/`);
      await page.getByTestId("feed-item").first().waitFor();
      await shot(page, "home");
      const upcomingShow = (await server.app.shows.list({ status: "scheduled", merchantId, limit: 1 }))[0] ?? (await server.app.shows.list({ status: "scheduled", limit: 1 }))[0]!;
      await page.goto(`${server.baseUrl}/shows/${upcomingShow.id}`);
      await page.getByTestId("add-to-calendar").waitFor();
      await shot(page, "viewer-scheduled");
      await page.goto(`${server.baseUrl}/m/${upcomingShow.merchantId}`);
      await page.getByTestId("follow-merchant").click();
      await page.getByTestId("merchant-followers").getByText("1 follower").waitFor();
      await page.getByRole("button", { name: "Following", disabled: false }).waitFor();
      await page.waitForTimeout(300);
      await shot(page, "merchant");
      await page.goto(`${server.baseUrl}/notifications`);
      await page.evaluate(() => localStorage.setItem("vetrina.locale", "it"));
      await page.reload();
      await page.getByRole("heading", { name: "Notifiche" }).waitFor();
      await shot(page, "notifications-it");
    }
    await ctx.close();
  });
});
