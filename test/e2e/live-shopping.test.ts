import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Locator } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { fillCheckout, phoneContext } from "../support/browser.ts";
import { flashApi } from "../support/flash.ts";
import type { ServerEvent } from "../../src/shared/contracts/room.ts";
import { until } from "../support/until.ts";


/**
 * The element took its state on the first presented frame stamped at or after `at`: that frame's
 * program date (`data-frame-pdt`) is at or after it, the previous presented frame's is before it, and
 * so it is within one frame of it (34 ms at 30 fps; one presented frame's span if a loaded machine
 * skipped some).
 */
async function assertFirstFrameAtOrAfter(el: Locator, at: number, what: string) {
  const pdt = Number(await el.getAttribute("data-frame-pdt"));
  const previous = await el.getAttribute("data-previous-frame-pdt");
  assert.ok(pdt >= at, `${what} on frame ${pdt}, ${at - pdt} ms before ${at}`);
  assert.ok(previous !== null && Number(previous) < at, `${what} on frame ${pdt}, not the first at or after ${at}: the one before it (${previous}) was`);
  assert.ok(pdt - at <= Math.max(1000 / 30 + 1, pdt - Number(previous)), `${what} on frame ${pdt}, ${pdt - at} ms after ${at}`);
}


describe("the whole live-shopping loop, end to end", () => {
  const e2e = e2eSuite();

  test("host goes live with RTMP, viewer watches HLS in Chromium, chats, buys the showcased product; merchant and host see the order", async () => {
    const { server, browser } = e2e;
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const merchant = await server.as("merchant");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;
    assert.match(studio.rtmpUrl, /^rtmp:\/\/.+\/live$/);

    // A wrong key is refused at connect: ffmpeg gives up and the show stays scheduled.
    const intruder = e2e.push(`${server.rtmpUrl}/not-the-key`, 5);
    const code = await new Promise<number | null>((resolve) => intruder.on("exit", (c) => resolve(c)));
    assert.notEqual(code, 0);
    assert.equal((await host.shows.get(show.id)).body.status, "scheduled");

    // The right key makes the show live.
    const publisher = e2e.push(`${server.rtmpUrl}/${studio.streamKey}`, 180);
    const live = await until("show live", async () => {
      const s = (await viewer.shows.get(show.id)).body;
      return s.status === "live" && s.playbackUrl ? s : null;
    });

    // The viewer's phone plays the HLS through hls.js until the video's time advances.
    const ctx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const page = await ctx.newPage();
    await page.goto(`${server.baseUrl}/shows/${show.id}`);
    const video = page.getByTestId("player-video");
    await video.waitFor();
    const t1 = await until("video playing", async () => {
      const t = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      return t > 0.5 ? t : null;
    }, 45_000);
    const t2 = await until("video time advancing", async () => {
      const t = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      return t > t1 + 1 ? t : null;
    });
    assert.ok(t2 > t1);

    // Two WebSocket clients chat; the phone shows it.
    const hostRoom = await host.joinRoom(show.id);
    const luca = server.client();
    await luca.auth.signUp("luca.e2e@example.com", "password-123", "Luca");
    const lucaRoom = await luca.joinRoom(show.id);
    const sofiaRoom = await viewer.joinRoom(show.id);
    lucaRoom.send({ type: "chat.send", text: "Ciao a tutti!" });
    sofiaRoom.send({ type: "chat.send", text: "Is the tee organic?" });
    await sofiaRoom.waitFor((e) => e.type === "chat.message" && e.message.text === "Ciao a tutti!");
    await lucaRoom.waitFor((e) => e.type === "chat.message" && e.message.text === "Is the tee organic?");
    await page.getByTestId("chat-list").getByText("Is the tee organic?").waitFor();

    // The host showcases the tee from their session; its card appears in the player on the frame the
    // host showcased it on: the first frame whose PROGRAM-DATE-TIME is at or after the showcase's
    // instant (the test pattern has 30 frames a second, so within 34 ms after it; never before).
    const tee = live.products.find((p) => p.title.includes("tee"))!;
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200);
    const showcased = await hostRoom.waitFor<Extract<ServerEvent, { type: "product.showcased" }>>((e) => e.type === "product.showcased" && e.product?.id === tee.id && e.at !== undefined);
    const card = page.getByTestId("product-card");
    await card.getByText(tee.title).waitFor();
    const framePdt = Number(await card.getAttribute("data-frame-pdt"));
    assert.ok(framePdt >= showcased.at!, `card on frame ${framePdt}, before the showcase at ${showcased.at}`);
    assert.ok(framePdt - showcased.at! <= 1000 / 30 + 1, `card on frame ${framePdt}, ${framePdt - showcased.at!} ms after the showcase at ${showcased.at}`);

    // A flash sale runs on the same clock: the phone's banner appears on the first frame stamped at or
    // after the launch, and its countdown flips to "open" on the first frame stamped at or after the
    // sale's opening (the instants are the server's, the program dates too), never before.
    const mug = live.products.find((p) => p.title.includes("mug"))!;
    const launched = await flashApi(host).create(show.id, { variantId: mug.variants[0]!.id, salePrice: 990, quantity: 3, perBuyerLimit: 1, countdownSeconds: 10, durationSeconds: 60 });
    assert.equal(launched.status, 201);
    const sale = launched.body;
    const opensAt = Date.parse(sale.opensAt);
    const announced = await hostRoom.waitFor<Extract<ServerEvent, { type: "flash.state" }>>((e) => e.type === "flash.state" && e.sale.id === sale.id);
    assert.equal(announced.at, opensAt - 10_000, "the launch's instant");
    const banner = page.getByTestId("flash-banner");
    await banner.waitFor();
    assert.equal(await banner.getAttribute("data-clock"), "video");
    assert.equal(await banner.getAttribute("data-phase"), "countdown");
    await assertFirstFrameAtOrAfter(banner, announced.at!, "banner");
    await until("banner open", async () => (await banner.getAttribute("data-phase")) === "open", 30_000);
    await assertFirstFrameAtOrAfter(banner, opensAt, '"open"');
    await page.getByTestId("flash-buy").waitFor();
    assert.equal(await page.getByTestId("flash-buy").isEnabled(), true);
    await page.screenshot({ path: "test-results/e2e-viewer-flash-open.png" }).catch(() => {});

    // Buy it inside the player with the sandbox card.
    const variant = tee.variants.find((v) => v.stock > 0)!;
    await card.click();
    await page.getByTestId("variant-option").filter({ hasText: variant.title }).first().click();
    await page.getByTestId("buy-now").click();
    await fillCheckout(page);
    await page.getByTestId("pay-button").click();
    const confirmation = page.getByTestId("order-confirmation");
    await confirmation.waitFor({ timeout: 15_000 });
    // The video keeps playing behind the sheet.
    const t3 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
    await until("video still advancing behind the sheet", async () => (await video.evaluate((v: HTMLVideoElement) => v.currentTime)) > t3 + 0.5);
    await page.screenshot({ path: "test-results/e2e-viewer-bought.png" }).catch(() => {});

    // Everyone hears of it: a note for viewers, the order and counters for the host, the merchant's list.
    const order = (await viewer.orders.mine()).body.items[0]!;
    assert.equal(order.status, "paid");
    assert.equal(order.items[0]!.variantId, variant.id);
    await lucaRoom.waitFor((e) => e.type === "order.note" && e.note.productTitle === tee.title);
    const received = await hostRoom.waitFor<Extract<ServerEvent, { type: "order.received" }>>((e) => e.type === "order.received");
    assert.equal(received.order.orderId, order.id);
    const counters = (await host.shows.counters(show.id)).body;
    assert.equal(counters.orders, 1);
    assert.deepEqual(counters.revenue, [{ currency: "EUR", amount: variant.price }]);
    assert.ok(counters.viewers >= 3);
    const merchantOrders = (await merchant.orders.merchant()).body.items;
    assert.ok(merchantOrders.some((o) => o.id === order.id && o.showId === show.id));

    // The merchant's orders page lists it.
    const mctx = await phoneContext(browser.browser, server.baseUrl, merchant.cookie);
    const mpage = await mctx.newPage();
    await mpage.goto(`${server.baseUrl}/merchant/orders`);
    await mpage.getByTestId("orders-table").getByText(order.number).waitFor();
    await mctx.close();

    // The push stops: the show ends and the packager is cleaned up.
    publisher.kill("SIGINT");
    await until("show ended", async () => (await viewer.shows.get(show.id)).body.status === "ended", 30_000);
    assert.equal(server.app.ingest.isLive(show.id), false);
    for (const r of [hostRoom, lucaRoom, sofiaRoom]) r.close();
    await ctx.close();
  });
});
