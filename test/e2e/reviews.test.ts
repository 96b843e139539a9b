import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { e2eSuite } from "../support/e2e.ts";
import { phoneContext } from "../support/browser.ts";
import { buyBody, demoShow, idemKey } from "../support/fixtures.ts";
import { notifyApi } from "../support/notifications.ts";
import { newBuyer, reviewsApi } from "../support/reviews.ts";
import { until } from "../support/until.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";

const SHOTS = "/tmp/shots";

describe("reviews in the browser", () => {
  const e2e = e2eSuite();

  test("a buyer reviews a product with a photo from the order page; it shows on the product page and in the feed", async () => {
    const { server, browser } = e2e;
    const { show, tee, variant } = await demoShow(server);
    const buyer = await newBuyer(server, "Chiara");
    const order = await buyer.client.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(order.status, 201, JSON.stringify(order.body));
    // Following the shop puts its products' reviews in the first tier of the feed.
    assert.equal((await notifyApi(buyer.client).followMerchant(tee.merchantId)).status, 200);
    // A real photo: a JPEG drawn by ffmpeg.
    const photo = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "review-photo-")), "tee.jpg");
    execFileSync(resolveFfmpeg(), ["-v", "error", "-f", "lavfi", "-i", "testsrc2=s=720x720", "-frames:v", "1", "-y", photo]);

    const ctx = await phoneContext(browser.browser, server.baseUrl, buyer.client.cookie);
    const page = await ctx.newPage();
    fs.mkdirSync(SHOTS, { recursive: true });

    // The order page offers "Review" on the line; it leads to the product page's form.
    await page.goto(`${server.baseUrl}/orders`);
    const link = page.getByTestId("order-review-link").first();
    await link.waitFor({ timeout: 60_000 }).catch(async (err) => {
      // On a loaded machine, say what the page showed instead.
      await page.screenshot({ path: `${SHOTS}/reviews-orders-failed.png` });
      throw new Error(`no Review link on the order page: ${err}\n${await page.locator("main").textContent()}`);
    });
    assert.equal(await link.getAttribute("aria-label"), `Review ${tee.title}`);
    await link.click();
    await page.waitForURL(new RegExp(`/products/${tee.id}`));
    const form = page.getByTestId("review-form");
    await form.waitFor();

    // The rating is a radio group: keyboard only, from 1 star to 4 with the arrow keys.
    await page.getByTestId("review-rating-1").focus();
    await page.keyboard.press("Space");
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowRight");
    assert.equal(await page.getByTestId("review-rating-4").isChecked(), true);
    assert.equal(await page.getByRole("group", { name: "Your rating" }).count(), 1, "a labelled group of radios");
    await page.getByTestId("review-text").fill("Heavy cotton, washes well. Size M fits like an L: size down.");
    await page.getByTestId("review-photo-input").setInputFiles(photo);
    await form.locator(".reviews-photo-edit img").waitFor();
    await form.screenshot({ path: `${SHOTS}/reviews-form.png` });
    await page.getByTestId("review-submit").click();

    // Mine, on the product page: verified badge, photo, name (never the e-mail); the summary by the title.
    const mine = page.getByTestId("my-review");
    await mine.waitFor();
    await until("the summary near the title", async () => ((await page.getByTestId("rating-summary").count()) ? true : null));
    assert.equal(await page.getByTestId("rating-summary").getAttribute("aria-label"), "4.0 out of 5, 1 review");
    assert.equal(await mine.getByTestId("review-verified").textContent(), "Verified buyer");
    assert.match((await mine.textContent()) ?? "", /Heavy cotton/);
    assert.ok(!((await page.getByTestId("reviews").textContent()) ?? "").includes("@example.com"));
    const thumb = mine.locator(".reviews-photo img");
    assert.match((await thumb.getAttribute("src")) ?? "", /^\/uploads\/img_[a-z0-9]+\.jpg$/);
    await until("the photo loaded", async () => ((await thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 720 ? true : null));
    assert.equal((await page.getByTestId("reviews").getByRole("img", { name: "4 out of 5 stars" }).count()) >= 1, true);
    await page.locator("#reviews").scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelector("#reviews")!.scrollIntoView({ block: "start" }));
    await page.screenshot({ path: `${SHOTS}/reviews-product-page.png` });

    // Tap to enlarge: a modal dialog with the photo; Escape closes it.
    await mine.locator(".reviews-photo").click();
    const viewer = page.getByTestId("review-photo-viewer");
    await until("the photo viewer open", async () => ((await viewer.evaluate((d: HTMLDialogElement) => d.open)) ? true : null));
    await page.keyboard.press("Escape");
    await until("the photo viewer closed", async () => ((await viewer.evaluate((d: HTMLDialogElement) => d.open)) ? null : true));

    // Anyone else sees it too (API), and the order page no longer offers a review.
    const reviews = await reviewsApi(server.client()).list(tee.id);
    assert.equal(reviews.body.items.length, 1);
    assert.equal(reviews.body.items[0]!.rating, 4);

    // The feed: the review's card (photo, stars, excerpt, product with price, name, verified badge).
    await page.goto(`${server.baseUrl}/`);
    await page.getByTestId("feed-item").first().waitFor();
    const active = page.locator('[data-testid="feed-item"][data-active="true"]');
    for (let i = 0; i < 30 && (await active.getAttribute("data-kind")) !== "review"; i++) {
      const at = await active.getAttribute("data-index");
      await active.getByTestId("feed-next").click();
      await until("the next item on screen", async () => ((await active.getAttribute("data-index")) !== at ? true : null));
    }
    const card = page.locator('[data-testid="feed-item"][data-active="true"][data-kind="review"]');
    assert.equal(await card.count(), 1, "the review's card is reached in the feed");
    assert.equal(await card.getByRole("heading", { level: 2 }).textContent(), tee.title);
    assert.match((await card.getByTestId("feed-review-excerpt").textContent()) ?? "", /Heavy cotton/);
    assert.equal(await card.getByTestId("feed-review-verified").textContent(), "Verified buyer");
    assert.equal(await card.getByRole("img", { name: "4 out of 5 stars" }).count(), 1);
    const feedPhoto = card.locator(".reviews-feed-photos img");
    await until("the feed photo loaded", async () => ((await feedPhoto.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 720 ? true : null));
    await until("the card fills the screen", async () => ((await card.evaluate((el) => Math.abs(el.getBoundingClientRect().top - el.parentElement!.getBoundingClientRect().top) < 2)) ? true : null));
    await page.screenshot({ path: `${SHOTS}/reviews-feed-card.png` });
    await card.getByTestId("feed-review-product").click();
    await page.waitForURL(new RegExp(`/products/${tee.id}`));
    await ctx.close();

    // Someone else, in Italian, anonymous: the review, its badge and the summary, translated.
    const it = await phoneContext(browser.browser, server.baseUrl, undefined, "it-IT");
    const itPage = await it.newPage();
    await itPage.goto(`${server.baseUrl}/products/${tee.id}`);
    const review = itPage.getByTestId("review-list").getByTestId("review");
    await review.waitFor();
    assert.equal(await review.getByTestId("review-verified").textContent(), "Acquisto verificato");
    assert.equal(await itPage.getByTestId("rating-summary").getAttribute("aria-label"), "4,0 su 5, 1 recensione");
    assert.equal(await itPage.getByTestId("review-form").count(), 0, "no form for who has not bought it");
    await itPage.evaluate(() => document.querySelector("#reviews")!.scrollIntoView({ block: "start" }));
    await itPage.screenshot({ path: `${SHOTS}/reviews-product-page-it.png` });
    await it.close();
  });
});
