import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import type { Page } from "playwright-core";
import { startServer, type TestServer } from "../support/harness.ts";
import { fillCheckout, launchBrowser, phoneContext } from "../support/browser.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import type { FlashAttemptResult, FlashSale } from "../../src/shared/contracts/flash-sales.ts";
import { until } from "../support/until.ts";


const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent().catch(() => null)) ?? "").trim();

async function pay(page: Page) {
  await fillCheckout(page);
  await page.getByTestId("flash-pay").click();
}

describe("flash sale in the browser, end to end", () => {
  let server: TestServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let publisher: ChildProcess | null = null;
  before(async () => {
    server = await startServer({ FLASH_HOLD_SECONDS: "60" });
    browser = await launchBrowser();
  });
  after(async () => {
    publisher?.kill("SIGKILL");
    await browser?.close();
    await server?.close();
  });

  test("the host launches a sale from the studio; two phones see the countdown and win; a third buyer is told sold out; one pays; the studio counts it", async () => {
    const host = await server.as("host");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;

    // Go live with a small test pattern over RTMP.
    publisher = spawn(resolveFfmpeg(), testPatternArgs({ url: `${server.rtmpUrl}/${studio.streamKey}`, seconds: 120, width: 320, height: 180, fps: 15, preset: "ultrafast" }), {
      stdio: ["ignore", "ignore", "ignore"],
    });
    const live = await until("show live", async () => {
      const s = (await host.shows.get(show.id)).body;
      return s.status === "live" ? s : null;
    });
    const tee = live.products.find((p) => p.title.includes("tee"))!;
    const variant = tee.variants.find((v) => v.stock >= 2)!;

    // Two viewers on their phones, before the sale exists.
    const sofia = await server.as("viewer");
    const luca = server.client();
    await luca.auth.signUp("luca.flash@example.com", "password-123", "Luca");
    const viewers: Page[] = [];
    for (const who of [sofia, luca]) {
      const ctx = await phoneContext(browser.browser, server.baseUrl, who.cookie);
      const page = await ctx.newPage();
      await page.goto(`${server.baseUrl}/shows/${show.id}`);
      await page.getByTestId("player-video").waitFor();
      viewers.push(page);
    }

    // The host launches it from the studio page.
    const hctx = await phoneContext(browser.browser, server.baseUrl, host.cookie);
    const hpage = await hctx.newPage();
    await hpage.goto(`${server.baseUrl}/studio/${show.id}`);
    const launch = hpage.getByTestId("flash-launch");
    await until("launch enabled (show live in the studio)", () => launch.isEnabled());
    await hpage.getByTestId("flash-variant").selectOption(variant.id);
    await hpage.getByTestId("flash-price").fill("9.90");
    await hpage.getByTestId("flash-quantity").fill("2");
    await hpage.getByTestId("flash-limit").fill("1");
    await hpage.getByTestId("flash-countdown").fill("10");
    await hpage.getByTestId("flash-duration").fill("5");
    await launch.click();
    await hpage.getByTestId("flash-stats").waitFor();

    const sales = await host.request<{ items: FlashSale[] }>("GET", `/api/v1/shows/${show.id}/flash-sales`);
    assert.equal(sales.body.items.length, 1);
    const sale = sales.body.items[0]!;
    assert.equal(sale.variantId, variant.id);
    assert.equal(sale.salePrice, 990);
    assert.equal(sale.quantity, 2);
    assert.equal(sale.perBuyerLimit, 1);
    assert.equal(Date.parse(sale.opensAt) - Date.parse(sale.serverTime) <= 10_000, true);

    // Both phones show the banner counting down, then Buy.
    for (const page of viewers) {
      await page.getByTestId("flash-banner").waitFor();
      await until("countdown text", async () => /^Starts in \d+:\d\d$/.test(await text(page, "flash-countdown-text")));
      assert.match(await text(page, "flash-left"), /2 pieces at this price/);
    }
    const buttons = viewers.map((p) => p.getByTestId("flash-buy"));
    await Promise.all(buttons.map((b) => until("Buy enabled", () => b.isEnabled(), 20_000)));
    assert.match(await text(viewers[0]!, "flash-left"), /^2 left$/);
    await Promise.all(buttons.map((b) => b.click()));

    // Both win at once.
    for (const page of viewers) await until("won", async () => /^It's yours! Pay within \d+:\d\d$/.test(await text(page, "flash-result")));

    // A third buyer (API) is too late.
    const giulia = server.client();
    await giulia.auth.signUp("giulia.flash@example.com", "password-123", "Giulia");
    const third = await giulia.request<FlashAttemptResult>("POST", `/api/v1/flash-sales/${sale.id}/attempts`, { key: "giulia-attempt-1" });
    assert.equal(third.status, 200);
    assert.equal(third.body.outcome, "sold_out");
    await until("no unit left on the phones", async () => (await text(viewers[1]!, "flash-left")) === "0 left");

    // The first viewer pays in the checkout that opened by itself.
    const [first, second] = viewers as [Page, Page];
    await first.getByTestId("flash-checkout").waitFor();
    await pay(first);
    const confirmation = first.getByTestId("order-confirmation");
    await confirmation.waitFor({ timeout: 15_000 });
    assert.match((await confirmation.textContent()) ?? "", /Organic cotton tee/);
    const orders = (await sofia.orders.mine()).body.items;
    assert.equal(orders[0]!.total, 990);

    // The second still holds their unit.
    assert.match(await text(second, "flash-result"), /^It's yours!/);

    // The studio's live numbers: one sold, one being paid.
    await until("studio stats", async () => (await text(hpage, "flash-stat-sold")) === "1" && (await text(hpage, "flash-stat-held")) === "1" && /9\.90/.test(await text(hpage, "flash-stat-revenue")));
    assert.match(await text(hpage, "flash-stat-available"), /^0/);
    assert.equal(await text(hpage, "flash-stat-attempts"), "3");
    const stats = await host.request<{ sold: number; held: number; attempts: number }>("GET", `/api/v1/flash-sales/${sale.id}/stats`);
    assert.deepEqual([stats.body.sold, stats.body.held, stats.body.attempts], [1, 1, 3]);

    for (const page of [...viewers, hpage]) await page.context().close();
  });
});
