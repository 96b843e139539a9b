import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { fillCheckout } from "../support/browser.ts";
import { ApiClient } from "../support/client.ts";
import { demoShow } from "../support/fixtures.ts";
import { until } from "../support/until.ts";

const SHOTS = process.env.SHOTS_DIR ?? "/tmp/shots";
const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent().catch(() => null)) ?? "").trim();

/** A 375×800 phone; no system share sheet (as on a desktop Linux browser): the link is copied. */
async function phone(browser: Browser, baseUrl: string, cookie?: string): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 800 }, deviceScaleFactor: 1, hasTouch: true, locale: "en-US" });
  await ctx.addInitScript(() => Object.defineProperty(Navigator.prototype, "share", { value: undefined, configurable: true }));
  if (cookie) {
    const [name, value] = cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: baseUrl }]);
  }
  return ctx;
}

describe("sharing in the browser", () => {
  const e2e = e2eSuite();

  test("a sharer shares a live show; a friend opens the link, joins and buys; the sharer's shares count 1 join and 1 order", async () => {
    const { server, browser } = e2e;
    const { show, tee, variant } = await demoShow(server);
    const host = await server.as("host");
    const sharerApi = new ApiClient(server.baseUrl);
    assert.equal((await sharerApi.auth.signUp(`sharer-${Date.now()}@vetrina.test`, "correct-horse-battery", "Sharer Sam")).status, 201);
    const buyerApi = await server.as("viewer");

    // The sharer taps Share on the show: the link is copied, a toast says so.
    const sctx = await phone(browser.browser, server.baseUrl, sharerApi.cookie);
    const sharerPage = await sctx.newPage();
    await sharerPage.goto(`${server.baseUrl}/shows/${show.id}`);
    await sharerPage.getByTestId("share-button").click();
    const toast = sharerPage.getByTestId("share-toast");
    await toast.waitFor();
    const link = (await toast.getAttribute("data-url"))!;
    assert.match(link, new RegExp(`^${server.baseUrl}/shows/${show.id}\\?s=[A-Za-z0-9_-]{16}$`));
    await sharerPage.waitForTimeout(300); // the toast's fade-in
    await sharerPage.screenshot({ path: `${SHOTS}/share-viewer.png` });

    // A friend opens it on another phone, watches (joins the room) and buys the showcased tee.
    const bctx = await phone(browser.browser, server.baseUrl, buyerApi.cookie);
    const page = await bctx.newPage();
    await page.goto(link);
    await until("the token dropped from the address bar", async () => !page.url().includes("?s="), 5000);
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200);
    const card = page.getByTestId("product-card");
    await card.getByText(tee.title).waitFor();
    await card.click();
    await page.getByTestId("share-button").last().waitFor();
    await page.waitForTimeout(400); // the sheet's slide-in
    await page.screenshot({ path: `${SHOTS}/share-product-sheet.png` });
    await page.getByTestId("variant-option").filter({ hasText: variant.title }).first().click();
    await page.getByTestId("buy-now").click();
    await fillCheckout(page);
    await page.getByTestId("pay-button").click();
    await page.getByTestId("order-confirmation").waitFor({ timeout: 15_000 });

    // The sharer's "My shares": one join, one order, the sales.
    await sharerPage.goto(`${server.baseUrl}/me/shares`);
    const row = sharerPage.getByTestId("share-row").filter({ hasText: show.title });
    await row.waitFor();
    await until("the order counted", async () => {
      if ((await row.getByTestId("share-orders").textContent())?.trim() === "1") return true;
      await sharerPage.reload();
      return false;
    }, 10_000, 500);
    assert.equal((await row.getByTestId("share-visits").textContent())?.trim(), "1");
    assert.equal((await row.getByTestId("share-joins").textContent())?.trim(), "1");
    assert.equal((await row.getByTestId("share-gmv").textContent())?.trim(), `€${(variant.price / 100).toFixed(2)}`);
    await sharerPage.screenshot({ path: `${SHOTS}/share-my-shares.png`, fullPage: true });

    // The product's own page (a shared product link lands there).
    await page.goto(`${server.baseUrl}/products/${tee.id}`);
    await page.getByTestId("product-shows").getByText(show.title).waitFor();
    assert.equal(await text(page, "share-button"), "");
    await page.screenshot({ path: `${SHOTS}/share-product-page.png` });
    await Promise.all([sctx.close(), bctx.close()]);
  });
});
