/**
 * Drives the web app through its main pages in headless Chromium at phone size (390×844) and
 * saves screenshots, so a person can look at every screen after a change.
 *
 *   VETRINA_URL=http://localhost:8080 npx tsx web/scripts/screenshots.ts [--live] [--out /tmp/shots] [--locale it]
 *
 * Needs a running server with the demo data. With --live it pushes an ffmpeg test pattern to the
 * first scheduled show (so the viewer page plays video, and a purchase can be made).
 */
import { launchBrowser } from "../../test/support/browser.ts";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import { until } from "../../test/support/until.ts";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const opt = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};

const BASE = process.env.VETRINA_URL ?? "http://localhost:8080";
const OUT = opt("out", "/tmp/shots");
const LOCALE = opt("locale", "en-US");
const LIVE = flag("live");
const PASSWORD = "vetrina-demo";
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };

fs.mkdirSync(OUT, { recursive: true });
const children: ChildProcess[] = [];

/** The same headless Debian Chromium the end-to-end tests use. */
async function launch(): Promise<Browser> {
  return (await launchBrowser()).browser;
}

async function context(browser: Browser, who: "merchant" | "host" | "viewer" | null, viewport = PHONE): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport, deviceScaleFactor: 1, hasTouch: true, locale: LOCALE, baseURL: BASE });
  if (who) {
    const r = await ctx.request.post("/api/v1/auth/sign-in", { data: { email: `${who}@vetrina.test`, password: PASSWORD } });
    if (!r.ok()) throw new Error(`sign-in as ${who}: ${r.status()} ${await r.text()}`);
  }
  return ctx;
}

const shots: string[] = [];
async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  await page.waitForTimeout(350);
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: opts.fullPage ?? false });
  shots.push(file);
  console.log("  saved", file);
}


async function main() {
  const browser = await launch();
  try {
    // Anonymous: home, sign-in, a scheduled show.
    const anon = await context(browser, null);
    const page = await anon.newPage();
    page.on("pageerror", (e) => console.error("  page error:", e.message));
    await page.goto("/");
    await page.getByRole("heading", { level: 2 }).first().waitFor();
    await shot(page, "01-home");
    await page.goto("/sign-in?next=%2F");
    await shot(page, "02-sign-in");

    const host = await context(browser, "host");
    const hostShows = (await (await host.request.get("/api/v1/host/shows")).json()) as { items: { id: string; status: string; title: string }[] };
    let show = hostShows.items.find((s) => s.status === "live") ?? hostShows.items.find((s) => s.status === "scheduled");
    if (!show) {
      // Earlier runs ended the demo show: schedule a fresh one for the demo host.
      const merchantApi = await context(browser, "merchant");
      const me = (await (await host.request.get("/api/v1/me")).json()) as { user: { id: string } };
      const products = (await (await merchantApi.request.get("/api/v1/merchant/products?limit=100")).json()) as { items: { id: string }[] };
      const r = await merchantApi.request.post("/api/v1/merchant/shows", {
        data: { title: "Screenshot show", description: "", coverUrl: null, scheduledAt: new Date(Date.now() + 5 * 60_000).toISOString(), hostId: me.user.id, productIds: products.items.map((p) => p.id) },
      });
      if (!r.ok()) throw new Error(`could not schedule a show: ${r.status()} ${await r.text()}`);
      show = (await r.json()) as { id: string; status: string; title: string };
      await merchantApi.close();
    }

    await page.goto(`/shows/${show.id}`);
    await page.waitForTimeout(1200);
    await shot(page, "03-viewer-anonymous");

    // The host showcases the first product that has stock.
    const full = (await (await host.request.get(`/api/v1/shows/${show.id}`)).json()) as { products: { id: string; title: string; variants: { id: string; title: string; stock: number }[] }[] };
    const inStock = full.products.filter((p) => p.variants.some((v) => v.stock > 0));
    const product = inStock.find((p) => p.variants.length > 1) ?? inStock[0] ?? full.products[0];
    if (product) await host.request.post(`/api/v1/shows/${show.id}/showcase`, { data: { productId: product.id } });

    // The viewer: chat, like, question, product card, sheet, checkout.
    const viewer = await context(browser, "viewer");
    const vp = await viewer.newPage();
    vp.on("pageerror", (e) => console.error("  page error:", e.message));
    await vp.goto(`/shows/${show.id}`);
    // The merchant watches the orders list while the show runs.
    const merchantLive = await context(browser, "merchant");
    const mlp = await merchantLive.newPage();
    await mlp.goto("/merchant/orders");
    await mlp.getByTestId("orders-table").waitFor();

    // The host's studio is open too: its preview must appear by itself.
    const hp = await host.newPage();
    hp.on("pageerror", (e) => console.error("  page error:", e.message));
    await hp.goto(`/studio/${show.id}`);
    await hp.getByTestId("stream-key").waitFor();
    await shot(hp, "09a-studio-before-live");

    // Going live while the viewer is already on the page: the video must start without a reload.
    if (LIVE && show.status !== "live") {
      const studio = (await (await host.request.get(`/api/v1/shows/${show.id}/studio`)).json()) as { rtmpUrl: string; streamKey: string };
      const url = `${studio.rtmpUrl.replace("localhost", "127.0.0.1")}/${studio.streamKey}`;
      console.log("  pushing test pattern to", studio.rtmpUrl);
      const ff = spawn(resolveFfmpeg(), testPatternArgs({ url, seconds: 240, width: 540, height: 960, preset: "ultrafast" }), { stdio: ["ignore", "ignore", "pipe"] });
      children.push(ff);
      await until("show live", async () => {
        const s = (await (await host.request.get(`/api/v1/shows/${show.id}`)).json()) as { status: string; playbackUrl: string | null };
        return s.status === "live" && s.playbackUrl;
      }, 40_000);
    }

    if (LIVE) {
      await until("video playing", async () => (await vp.getByTestId("player-video").evaluate((v: HTMLVideoElement) => v.currentTime).catch(() => 0)) > 0.5, 45_000);
    }
    await vp.getByTestId("chat-input").fill("Ciao! Is the tee organic?");
    await vp.getByTestId("chat-send").click();
    await vp.getByTestId("chat-list").getByText("Is the tee organic?").waitFor();
    for (let i = 0; i < 6; i++) await vp.getByTestId("like-button").click();
    await shot(vp, "04-viewer-live");

    if (product && LIVE) {
      await vp.getByTestId("product-card").click();
      await vp.getByTestId("variant-option").first().waitFor();
      await shot(vp, "05-sheet-variants");
      const variant = product.variants.find((v) => v.stock > 0)!;
      await vp.getByTestId("variant-option").filter({ hasText: variant.title }).first().click();
      await vp.getByTestId("buy-now").click();
      await vp.getByTestId("ship-name").fill("Sofia Rossi");
      await vp.getByTestId("ship-line1").fill("Via Roma 1");
      await vp.getByTestId("ship-city").fill("Milano");
      await vp.getByTestId("ship-postal").fill("20121");
      await vp.getByTestId("ship-country").fill("IT");
      await vp.getByTestId("card-number").fill("4000 0000 0000 0002");
      await vp.getByTestId("card-exp-month").fill("12");
      await vp.getByTestId("card-exp-year").fill("2099");
      await vp.getByTestId("card-cvc").fill("123");
      await shot(vp, "06-sheet-checkout");
      await vp.getByTestId("pay-button").click();
      await vp.getByRole("alert").first().waitFor();
      await shot(vp, "07-sheet-declined");
      await vp.getByTestId("card-number").fill("4242 4242 4242 4242");
      await vp.getByTestId("pay-button").click();
      await vp.getByTestId("order-confirmation").waitFor({ timeout: 15_000 });
      await shot(vp, "08-sheet-confirmed");
      // Everyone else in the room hears of it.
      await page.locator(".toast-note").waitFor({ timeout: 5000 });
      await shot(page, "08a-other-viewer-order-note");
      const number = (await vp.getByTestId("order-confirmation").locator(".confirm-number").textContent())!.split(" ").pop()!;
      await mlp.getByTestId("orders-table").getByText(number).waitFor({ timeout: 10_000 });
      await shot(mlp, "08b-merchant-new-order-live");
      mlp.once("dialog", (d) => void d.accept());
      await mlp.getByTestId("order-row").first().getByTestId("order-shipped").click();
      await mlp.getByTestId("order-row").first().getByTestId("order-delivered").waitFor();
      await shot(mlp, "08c-merchant-order-shipped");
      await vp.getByRole("button", { name: /keep watching|continua/i }).click();

      // A question about the product, answered by the host from the studio.
      await vp.getByTestId("ask-toggle").click();
      await vp.getByTestId("chat-input").fill("Does the tee shrink in the wash?");
      await vp.getByTestId("chat-send").click();
    }

    if (LIVE) await hp.getByTestId("preview-video").waitFor({ timeout: 20_000 });
    await hp.waitForTimeout(1500);
    await shot(hp, "09-studio", { fullPage: true });
    if (LIVE && (await hp.getByTestId("answer-input").count()) > 0) {
      await hp.getByTestId("answer-input").first().fill("No, it is pre-shrunk.");
      await hp.getByTestId("answer-button").first().click();
      await vp.getByText("No, it is pre-shrunk.").waitFor();
      await shot(vp, "10-viewer-answered");
    }
    const hd = await (await context(browser, "host", DESKTOP)).newPage();
    await hd.goto(`/studio/${show.id}`);
    await hd.getByTestId("stream-key").waitFor();
    await hd.waitForTimeout(1500);
    await shot(hd, "11-studio-desktop", { fullPage: true });
    await hp.goto("/studio");
    await shot(hp, "12-studio-list");

    // Merchant area.
    const merchant = await context(browser, "merchant");
    const mp = await merchant.newPage();
    mp.on("pageerror", (e) => console.error("  page error:", e.message));
    await mp.goto("/merchant/products");
    await mp.getByTestId("product-list").locator("li").first().waitFor();
    await shot(mp, "13-merchant-products");
    await mp.getByRole("button", { name: /edit|modifica/i }).first().click();
    await mp.getByTestId("product-title").waitFor();
    await mp.getByTestId("variant-price").first().fill("19.999");
    await mp.getByTestId("save-product").click();
    await shot(mp, "14-merchant-product-form", { fullPage: true });
    await mp.goto("/merchant/shows");
    await mp.getByTestId("show-list").waitFor();
    await shot(mp, "15-merchant-shows");
    await mp.getByTestId("new-show").click();
    await mp.getByTestId("show-title").waitFor();
    await mp.waitForTimeout(500);
    await shot(mp, "16-merchant-show-form", { fullPage: true });
    await mp.goto("/merchant/orders");
    await mp.getByTestId("orders-table").waitFor();
    await mp.waitForTimeout(800);
    await shot(mp, "17-merchant-orders", { fullPage: true });
    const md = await (await context(browser, "merchant", DESKTOP)).newPage();
    await md.goto("/merchant/orders");
    await md.getByTestId("orders-table").waitFor();
    await md.waitForTimeout(800);
    await shot(md, "18-merchant-orders-desktop");

    await vp.goto("/orders");
    await vp.waitForTimeout(800);
    await shot(vp, "19-my-orders");
    await vp.goto("/");
    await shot(vp, "20-home-signed-in");

    const dp = await (await context(browser, "viewer", DESKTOP)).newPage();
    await dp.goto(`/shows/${show.id}`);
    await dp.waitForTimeout(2500);
    await shot(dp, "21-viewer-desktop");

    if (LIVE) {
      // The host ends the show from the studio; the viewer's page says so without a reload.
      hp.once("dialog", (d) => void d.accept());
      await hp.goto(`/studio/${show.id}`);
      await hp.getByTestId("end-show").click();
      await dp.locator(".player-status").waitFor({ timeout: 15_000 });
      await shot(dp, "22-viewer-ended-desktop");
    }
    console.log(`\n${shots.length} screenshots in ${OUT}`);
  } finally {
    for (const c of children) c.kill("SIGINT");
    await browser.close();
  }
}

main().catch((err) => {
  console.error(err);
  for (const c of children) c.kill("SIGKILL");
  process.exit(1);
});
