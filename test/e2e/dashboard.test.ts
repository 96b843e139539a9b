import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { desktopContext, fillCheckout, phoneContext } from "../support/browser.ts";
import { demoShow } from "../support/fixtures.ts";
import { until } from "../support/until.ts";

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent().catch(() => null)) ?? "").trim();

describe("the live dashboard in the browser", () => {
  const e2e = e2eSuite();

  test("the merchant's dashboard follows a purchase made on a viewer's phone without a reload: GMV, orders and the funnel", async () => {
    const { server, browser } = e2e;
    const { show, tee, variant } = await demoShow(server);
    const merchant = await server.as("merchant");
    const host = await server.as("host");
    const viewer = await server.as("viewer");

    // The merchant opens the show's dashboard: nothing sold yet.
    const mctx = await desktopContext(browser.browser, server.baseUrl, merchant.cookie);
    const dash = await mctx.newPage();
    await dash.goto(`${server.baseUrl}/dashboard/shows/${show.id}`);
    await dash.getByTestId("kpi-gmv").waitFor();
    assert.equal(await text(dash, "kpi-orders"), "0");
    const gmvBefore = await text(dash, "kpi-gmv");
    assert.equal(gmvBefore, "€0.00");
    await until("the stream connected", async () => /Live/.test(await text(dash, "freshness")));
    // A mark on the page: still there after the update means the page was not reloaded.
    await dash.evaluate(() => ((window as unknown as { __dashboardMark: number }).__dashboardMark = 1));

    // A viewer's phone: the host puts the tee on screen, the viewer taps its card and buys it.
    const vctx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const page = await vctx.newPage();
    await page.goto(`${server.baseUrl}/shows/${show.id}`);
    await until("the viewer in the room", async () => (await (await fetch(`${server.baseUrl}/api/v1/analytics/shows/${show.id}/live`, { headers: { cookie: merchant.cookie! } })).json()).currentViewers >= 1);
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200);
    const card = page.getByTestId("product-card");
    await card.getByText(tee.title).waitFor();
    await card.click();
    await page.getByTestId("variant-option").filter({ hasText: variant.title }).first().click();
    await page.getByTestId("buy-now").click();
    await fillCheckout(page);
    await page.getByTestId("pay-button").click();
    await page.getByTestId("order-confirmation").waitFor({ timeout: 15_000 });

    // The dashboard changes by itself.
    const gmvAfter = await until("the GMV tile changing", async () => {
      const t = await text(dash, "kpi-gmv");
      return t !== gmvBefore ? t : null;
    });
    assert.equal(gmvAfter, `€${(variant.price / 100).toFixed(2)}`);
    assert.equal(await text(dash, "kpi-orders"), "1");
    assert.equal(await dash.evaluate(() => (window as unknown as { __dashboardMark?: number }).__dashboardMark), 1, "the same page, not reloaded");
    // The funnel: the card reached the viewer (counted by the server), the tap and the checkout came from the phone (batched).
    await until("the phone's funnel events on the dashboard", async () => (await text(dash, "funnel-tapped")) === "1" && (await text(dash, "funnel-checkout")) === "1");
    assert.ok(Number(await text(dash, "funnel-shown")) >= 1);
    assert.equal(await text(dash, "funnel-paid"), "1");
    await dash.getByTestId("product-table").getByText(tee.title).waitFor();

    await vctx.close();
    await mctx.close();
  });
});
