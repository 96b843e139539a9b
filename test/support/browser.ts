import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium, headless, with a fresh profile (playwright makes one per launch); no network beyond this machine. */
export async function launchBrowser(opts: { fakeCamera?: boolean } = {}): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      // A synthetic camera and microphone, granted without a prompt (the studio's "go live" over WHIP).
      ...(opts.fakeCamera ? ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"] : []),
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}

/** A phone-sized page signed in with the given session cookie. */
export async function phoneContext(browser: Browser, baseUrl: string, cookie?: string, locale = "en-US"): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: false, hasTouch: true, locale });
  if (cookie) {
    const [name, value] = cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: baseUrl }]);
  }
  return ctx;
}

/** Fills the in-player checkout (shipping and the sandbox card that succeeds); the caller taps pay. */
export async function fillCheckout(page: Page, card = "4242 4242 4242 4242") {
  await page.getByTestId("ship-name").fill("Sofia Rossi");
  await page.getByTestId("ship-line1").fill("Via Roma 1");
  await page.getByTestId("ship-city").fill("Milano");
  await page.getByTestId("ship-postal").fill("20121");
  await page.getByTestId("ship-country").fill("IT");
  await page.getByTestId("card-number").fill(card);
  await page.getByTestId("card-exp-month").fill("12");
  await page.getByTestId("card-exp-year").fill("2099");
  await page.getByTestId("card-cvc").fill("123");
}

/** A desktop-sized page (a host's studio on a laptop) signed in with the given session cookie. */
export async function desktopContext(browser: Browser, baseUrl: string, cookie?: string, locale = "en-US"): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale });
  if (cookie) {
    const [name, value] = cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: baseUrl }]);
  }
  return ctx;
}
