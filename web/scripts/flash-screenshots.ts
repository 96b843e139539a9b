/**
 * Screenshots of the flash-sale screens at 390×844, with a server started in this process (its
 * clock is moved forward instead of waiting for countdowns):
 *
 *   npx tsx web/scripts/flash-screenshots.ts [--out /tmp/flash-shots]
 *
 * Studio panel before / during / after (audit trail), the viewer banner in countdown, open, won with
 * the checkout, paid, sold out and ended, and the same in Italian. Run `npm run build:web` first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { startServer } from "../../test/support/harness.ts";
import { launchBrowser } from "../../test/support/browser.ts";
import { TestClock, buyers } from "../../test/support/flash.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import type { FlashSale } from "../../src/shared/contracts/flash-sales.ts";
import { until } from "../../test/support/until.ts";

const args = process.argv.slice(2);
const i = args.indexOf("--out");
const OUT = i >= 0 && args[i + 1] ? args[i + 1]! : "/tmp/flash-shots";
fs.mkdirSync(OUT, { recursive: true });


async function panel(page: Page, name: string) {
  // An element taller than the screen is captured by scrolling: keep the sticky header out of it.
  await page.addStyleTag({ content: ".site-header { position: static !important; }" });
  await page.waitForTimeout(400);
  const file = path.join(OUT, `${name}.png`);
  await page.locator(".flash-panel").screenshot({ path: file });
  console.log("saved", file);
}

async function shot(page: Page, name: string, target?: string) {
  await page.waitForTimeout(400);
  const file = path.join(OUT, `${name}.png`);
  if (target) await page.getByTestId(target).first().screenshot({ path: file });
  else await page.screenshot({ path: file });
  console.log("saved", file);
}

const clock = new TestClock();
const server = await startServer({ FLASH_HOLD_SECONDS: "300" }, { clock: clock.now });
const { browser, close } = await launchBrowser();
const children: ChildProcess[] = [];
try {
  const host = await server.as("host");
  const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
  const studio = (await host.shows.studio(show.id)).body;
  children.push(spawn(resolveFfmpeg(), testPatternArgs({ url: `${server.rtmpUrl}/${studio.streamKey}`, width: 360, height: 640, fps: 15, preset: "ultrafast" }), { stdio: "ignore" }));
  const live = await until("live", async () => {
    const s = (await host.shows.get(show.id)).body;
    return s.status === "live" && s.playbackUrl ? s : null;
  });
  const tee = live.products.find((p) => p.title.includes("tee"))!;
  const variant = tee.variants.find((v) => v.stock >= 10)!;
  await host.shows.showcase(show.id, tee.id);

  const context = async (cookie: string, locale = "en-US"): Promise<BrowserContext> => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, locale });
    const [name, value] = cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: server.baseUrl }]);
    return ctx;
  };

  // Studio, before.
  const hpage = await (await context(host.cookie)).newPage();
  await hpage.goto(`${server.baseUrl}/studio/${show.id}`);
  const launch = hpage.getByTestId("flash-launch");
  await until("launch enabled", () => launch.isEnabled());
  await hpage.locator(".flash-panel").scrollIntoViewIfNeeded();
  await shot(hpage, "studio-1-before");
  await hpage.getByTestId("flash-launch").click();
  await panel(hpage, "studio-1b-errors");
  await hpage.getByTestId("flash-variant").selectOption(variant.id);
  await hpage.getByTestId("flash-price").fill("9.90");
  await hpage.getByTestId("flash-quantity").fill("5");
  await hpage.getByTestId("flash-countdown").fill("30");
  await hpage.getByTestId("flash-duration").fill("10");
  await panel(hpage, "studio-2-filled");

  // Viewers: one in English, one in Italian, both before the launch.
  const sofia = await server.as("viewer");
  const [luca, giulia, ...crowd] = await buyers(server, 7, "shot");
  const vEn = await (await context(sofia.cookie)).newPage();
  const vIt = await (await context(giulia!.cookie, "it-IT")).newPage();
  const vLate = await (await context(luca!.cookie)).newPage();
  for (const p of [vEn, vIt, vLate]) {
    await p.goto(`${server.baseUrl}/shows/${show.id}`);
    await p.getByTestId("player-video").waitFor();
  }

  await launch.click();
  await hpage.getByTestId("flash-stats").waitFor();
  await hpage.locator(".flash-panel").scrollIntoViewIfNeeded();
  await shot(hpage, "studio-3-countdown");
  const sale = (await host.request<{ items: FlashSale[] }>("GET", `/api/v1/shows/${show.id}/flash-sales`)).body.items[0]!;

  await vEn.getByTestId("flash-banner").waitFor();
  await until("playing", () => vEn.getByTestId("player-video").evaluate((v: HTMLVideoElement) => v.currentTime > 0.3));
  await shot(vEn, "viewer-1-countdown");
  await vIt.getByTestId("flash-banner").waitFor();
  await shot(vIt, "viewer-1-countdown-it");
  const anon = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true })).newPage();
  await anon.goto(`${server.baseUrl}/shows/${show.id}`);
  await anon.getByTestId("flash-banner").waitFor();
  await shot(anon, "viewer-1-countdown-signed-out");
  await anon.context().close();

  // Open: move the server's clock past the countdown; the pages learn it from the next snapshot.
  clock.advance(30_000);
  for (const p of [vEn, vIt, vLate]) {
    await p.reload();
    await p.getByTestId("flash-banner").waitFor();
  }
  await until("open", async () => (await vEn.getByTestId("flash-buy").isEnabled()) && (await vIt.getByTestId("flash-buy").isEnabled()));
  await shot(vEn, "viewer-2-open");

  // Won: the checkout opens at once.
  await vEn.getByTestId("flash-buy").click();
  await vEn.getByTestId("flash-checkout").waitFor();
  await shot(vEn, "viewer-3-won-checkout");
  await vEn.getByTestId("sheet-close").click();
  await shot(vEn, "viewer-3b-won-banner");

  // Italian viewer wins too.
  await vIt.getByTestId("flash-buy").click();
  await vIt.getByTestId("flash-checkout").waitFor();
  await shot(vIt, "viewer-3-won-checkout-it");
  await vIt.getByTestId("sheet-close").click();

  // The crowd takes the rest over HTTP; the late viewer finds it sold out, then taps anyway.
  let k = 0;
  for (const c of crowd) await c.request("POST", `/api/v1/flash-sales/${sale.id}/attempts`, { key: `crowd-key-${k++}` });
  await hpage.locator(".flash-panel").scrollIntoViewIfNeeded();
  await shot(hpage, "studio-4-during");
  await until("sold out", async () => ((await vLate.getByTestId("flash-buy").textContent()) ?? "").includes("Sold out"));
  await shot(vLate, "viewer-4-sold-out");
  await shot(vIt, "viewer-4-won-banner-it");

  // Paying: a declined card first, then the good one.
  await vEn.getByTestId("flash-open-checkout").click();
  const fill = async (p: Page, card: string) => {
    await p.getByTestId("ship-name").fill("Sofia Rossi");
    await p.getByTestId("ship-line1").fill("Via Roma 1");
    await p.getByTestId("ship-city").fill("Milano");
    await p.getByTestId("ship-postal").fill("20121");
    await p.getByTestId("ship-country").fill("IT");
    await p.getByTestId("card-number").fill(card);
    await p.getByTestId("card-exp-month").fill("12");
    await p.getByTestId("card-exp-year").fill("2099");
    await p.getByTestId("card-cvc").fill("123");
    await p.getByTestId("flash-pay").click();
  };
  await fill(vEn, "4000 0000 0000 0002");
  await vEn.locator(".flash-sheet .form-error").waitFor();
  await shot(vEn, "viewer-5-declined");
  await vEn.getByTestId("card-number").fill("4242 4242 4242 4242");
  await vEn.getByTestId("flash-pay").click();
  await vEn.getByTestId("order-confirmation").waitFor();
  await shot(vEn, "viewer-6-paid");
  await vEn.getByTestId("order-confirmation").getByRole("button").click();
  await shot(vEn, "viewer-6b-paid-banner");

  // Holds not paid in time lapse (the sale is still open for 10 min): units go back on sale.
  clock.advance(301_000);
  await until("hold lapsed", async () => ((await vIt.getByTestId("flash-result").textContent()) ?? "").includes("tempo"));
  await shot(vIt, "viewer-7-expired-it");

  // Ended: just past the end (an attempt makes the server broadcast the sale with its new time).
  clock.advance(Date.parse(sale.endsAt) - clock.now() + 2000);
  await crowd[0]!.request("POST", `/api/v1/flash-sales/${sale.id}/attempts`, { key: "after-the-end-1" });
  await until("ended on the phone", async () => ((await vLate.getByTestId("flash-countdown-text").textContent()) ?? "") === "Ended");
  await shot(vLate, "viewer-8-ended");
  await shot(vEn, "viewer-8-ended-bought");
  await until("settled", async () => {
    const s = (await host.request<{ phase: string; held: number }>("GET", `/api/v1/flash-sales/${sale.id}/stats`)).body;
    return s.phase === "ended" && s.held === 0;
  });
  await hpage.getByTestId("flash-audit-row").first().waitFor();
  await hpage.locator(".flash-panel").scrollIntoViewIfNeeded();
  await shot(hpage, "studio-5-after");
  await panel(hpage, "studio-5-after-full");

  // Italian studio (a fresh browser remembers nothing: tell it which sale was launched here).
  const ctxIt = await context(host.cookie, "it-IT");
  await ctxIt.addInitScript(([key, id]) => localStorage.setItem(key!, JSON.stringify([id])), [`vetrina.studio.flash.${show.id}`, sale.id]);
  const hIt = await ctxIt.newPage();
  await hIt.goto(`${server.baseUrl}/studio/${show.id}`);
  await hIt.getByTestId("flash-audit-row").first().waitFor();
  await panel(hIt, "studio-6-after-it");

  // The studio on a laptop.
  const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const [n, v] = host.cookie.split("=");
  await desk.addCookies([{ name: n!, value: v!, url: server.baseUrl }]);
  await desk.addInitScript(([key, id]) => localStorage.setItem(key!, JSON.stringify([id])), [`vetrina.studio.flash.${show.id}`, sale.id]);
  const dpage = await desk.newPage();
  await dpage.goto(`${server.baseUrl}/studio/${show.id}`);
  await dpage.getByTestId("flash-audit-row").first().waitFor();
  await shot(dpage, "studio-7-desktop");
  console.log("done");
} finally {
  for (const c of children) c.kill("SIGKILL");
  await close();
  await server.close();
}
