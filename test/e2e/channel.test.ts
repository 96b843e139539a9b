import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { e2eSuite } from "../support/e2e.ts";
import { phoneContext } from "../support/browser.ts";
import { goLive, merchantShow, recordShow } from "../support/channels.ts";
import { until } from "../support/until.ts";
import type { Channel } from "../../src/shared/contracts/channels.ts";

const SHOTS = "/tmp/shots";

describe("24-hour channel, end to end", () => {
  const e2e = e2eSuite();

  test("two replays play as one live stream across the item boundary, the card follows, a live show takes over and hands back", async () => {
    const { server, browser } = e2e;
    fs.mkdirSync(SHOTS, { recursive: true });
    const merchant = await server.as("merchant");
    const products = (await merchant.products.list()).body.items;
    const tee = products.find((p) => p.title.includes("tee"))!;
    const mug = products.find((p) => p.title.includes("mug"))!;
    const [a, b] = await Promise.all([
      recordShow(server, merchant, { title: "Tee talk", productId: tee.id, seconds: 8, children: e2e.children }),
      // another resolution: the player must cross a discontinuity to a different size and timeline
      recordShow(server, merchant, { title: "Mug morning", productId: mug.id, seconds: 8, children: e2e.children, size: { width: 480, height: 270 } }),
    ]);
    const takeover = await merchantShow(merchant, "Friday live", []);
    const created = await merchant.request<Channel>("POST", "/api/v1/channels", {
      name: "Aurora 24/7",
      coverUrl: null,
      items: [
        { kind: "replay", refId: a.id },
        { kind: "replay", refId: b.id },
      ],
      takeoverShowIds: [takeover.id],
    });
    assert.equal(created.status, 201);
    await server.app.jobs.drained();
    const channel = (await merchant.request<Channel>("GET", `/api/v1/channels/${created.body.id}`)).body;
    assert.equal(channel.compile.status, "done");

    const ctx = await phoneContext(browser.browser, server.baseUrl);
    const page = await ctx.newPage();
    await page.goto(`${server.baseUrl}/channels/${channel.id}`);
    const video = page.getByTestId("channel-video");
    await video.waitFor();
    const currentTime = () => video.evaluate((v: HTMLVideoElement) => v.currentTime);
    await until("channel playing", async () => (await currentTime()) > 0.5, 30_000);
    const root = page.getByTestId("channel-page");

    // Across an item boundary (a discontinuity between two recordings): the item on screen changes and playback goes on.
    const first = await root.getAttribute("data-item");
    await until("the next item on screen", async () => (await root.getAttribute("data-item")) !== first, 60_000, 100);
    const atBoundary = await currentTime();
    await until("playing past the discontinuity", async () => (await currentTime()) > atBoundary + 1.5, 30_000);
    // The second item's product card, while the second replay plays.
    await until("the mug's card on the second item", async () => (await root.getAttribute("data-item")) === "1" && (await page.getByTestId("channel-card").getAttribute("data-product-id").catch(() => null)) === mug.id, 60_000, 100);
    assert.match((await page.getByTestId("product-card").textContent()) ?? "", /Hand-thrown mug/);
    assert.equal(await page.getByTestId("channel-badge").textContent(), "● Channel");
    await until("the second recording's own size on screen", async () => (await video.evaluate((v: HTMLVideoElement) => `${v.videoWidth}x${v.videoHeight}`)) === "480x270", 10_000);
    await page.screenshot({ path: `${SHOTS}/channel-playout.png` });

    // A live show of the merchant, scheduled on the channel, takes it over: the page swaps to the live stream.
    const publisher = await goLive(server, merchant, takeover.id, e2e.children);
    await until("takeover on the page", async () => (await root.getAttribute("data-state")) === "live", 30_000);
    const liveVideo = page.getByTestId("channel-live-video");
    await until("live stream playing", async () => (await liveVideo.evaluate((v: HTMLVideoElement) => v.currentTime)) > 0.5, 30_000);
    assert.equal(await page.getByTestId("channel-video").count(), 0, "the channel's own stream is gone while the show has it");
    assert.match((await page.getByTestId("channel-takeover").textContent()) ?? "", /Friday live/);
    await page.screenshot({ path: `${SHOTS}/channel-takeover.png` });

    // It ends: the channel hands back and plays again.
    await merchant.shows.end(takeover.id);
    publisher.kill("SIGKILL");
    await until("handed back on the page", async () => (await root.getAttribute("data-state")) === "playout", 30_000);
    const resumedVideo = page.getByTestId("channel-video");
    await resumedVideo.waitFor();
    await until("channel playing again", async () => (await resumedVideo.evaluate((v: HTMLVideoElement) => v.currentTime)) > 1, 30_000);
    await page.screenshot({ path: `${SHOTS}/channel-resumed.png` });

    // The shop page lists the channel.
    await page.goto(`${server.baseUrl}/m/${channel.merchantId}`);
    await page.getByTestId("merchant-channels").waitFor();
    assert.match((await page.getByTestId("merchant-channels").textContent()) ?? "", /Aurora 24\/7/);
    await page.screenshot({ path: `${SHOTS}/channel-shop.png`, fullPage: true });
    await ctx.close();

    // The merchant's channels tab, in Italian: compile status and the playlist editor.
    const mctx = await phoneContext(browser.browser, server.baseUrl, merchant.cookie, "it-IT");
    const mpage = await mctx.newPage();
    await mpage.goto(`${server.baseUrl}/merchant/channels`);
    await mpage.getByTestId("channel-compile").first().waitFor();
    assert.equal(await mpage.getByTestId("channel-compile").first().getAttribute("data-status"), "done");
    await mpage.getByRole("button", { name: "Modifica" }).click();
    await mpage.getByTestId("channel-playlist").waitFor();
    // keyboard reordering: "move down" on the first item, by keyboard
    await mpage.getByRole("button", { name: "Sposta giù Tee talk" }).focus();
    await mpage.keyboard.press("Enter");
    await until("reordered", async () => ((await mpage.getByTestId("channel-playlist").textContent()) ?? "").indexOf("Mug morning") < ((await mpage.getByTestId("channel-playlist").textContent()) ?? "").indexOf("Tee talk"));
    await mpage.screenshot({ path: `${SHOTS}/channel-merchant-editor.png`, fullPage: true });
    await mpage.getByTestId("channel-save").click();
    await until("recompiled in the new order", async () => {
      const c = (await merchant.request<Channel>("GET", `/api/v1/channels/${channel.id}`)).body;
      return c.compile.status === "done" && !c.compile.stale && c.items[0]!.refId === b.id;
    }, 30_000);
    await mctx.close();
  });
});
