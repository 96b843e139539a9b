import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Page, Request, Route } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { makeVideo } from "../support/uploads.ts";
import { until } from "../support/until.ts";

const SHOTS = process.env.SHOTS_DIR ?? "/tmp/shots";
const CHUNK = 256 * 1024;

describe("uploading a short video in the studio", () => {
  const e2e = e2eSuite();

  test("a vertical MP4 is uploaded in chunks, interrupted, resumed from the server's offset, transcoded, published and played with its product", async () => {
    const { server, browser } = e2e;
    fs.mkdirSync(SHOTS, { recursive: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "upload-e2e-"));
    const file = path.join(dir, "look.mp4");
    await makeVideo(file, { seconds: 8, width: 720, height: 1280, preset: "veryfast" });
    const size = fs.statSync(file).size;
    assert.ok(size > 6 * CHUNK, `a few chunks at least (${size} bytes)`);

    const host = await server.as("host");
    const ctx = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, locale: "en-US" });
    await ctx.addInitScript((chunk) => localStorage.setItem("vetrina.uploadChunkBytes", String(chunk)), CHUNK);
    const [name, value] = host.cookie.split("=");
    await ctx.addCookies([{ name: name!, value: value!, url: server.baseUrl }]);
    const page = await ctx.newPage();

    // Every tus request, and a switch that drops PATCHes on the floor (the connection "goes away").
    const seen: { method: string; offset: number | null }[] = [];
    let dropping = false;
    let dropped = 0;
    const headOffsets: number[] = [];
    await ctx.route("**/api/v1/uploads/videos**", async (route: Route, req: Request) => {
      const offset = req.headers()["upload-offset"];
      seen.push({ method: req.method(), offset: offset === undefined ? null : Number(offset) });
      if (req.method() === "PATCH" && dropping) {
        dropped++;
        return route.abort("connectionreset");
      }
      if (req.method() === "HEAD") {
        // What the server says it has: the resumed upload must continue from exactly there.
        const res = await route.fetch();
        headOffsets.push(Number(res.headers()["upload-offset"]));
        return route.fulfill({ response: res });
      }
      return route.continue();
    });

    const fillForm = async (p: Page) => {
      await p.getByTestId("upload-file").setInputFiles(file);
      await p.getByTestId("upload-title").fill("Autumn look");
      await p.getByTestId("upload-tag").first().waitFor();
    };

    await page.goto(`${server.baseUrl}/studio/videos`);
    await fillForm(page);
    const productTitle = ((await page.getByTestId("upload-tag").first().locator(".grow").textContent()) ?? "").trim();
    assert.ok(productTitle);
    await page.getByTestId("upload-tag").first().click();
    await page.screenshot({ path: `${SHOTS}/upload-form.png` });
    await page.getByTestId("upload-start").click();

    // A few chunks go through; then the connection drops mid-way.
    await until("three chunks sent", async () => seen.filter((s) => s.method === "PATCH").length >= 3, 60_000, 20);
    dropping = true;
    await until("a chunk lost to the dropped connection", async () => dropped >= 1, 60_000, 20);
    await page.screenshot({ path: `${SHOTS}/upload-interrupted.png` });

    // The creator reloads the page (the tab was closed, say), the connection is back, and the same file is chosen again.
    await page.reload();
    await page.getByTestId("upload-unfinished").waitFor();
    dropping = false;
    const before = seen.length;
    await fillForm(page);
    await page.getByTestId("upload-start").click();
    await page.getByTestId("upload-processing").waitFor({ timeout: 60_000 });

    const after = seen.slice(before);
    assert.equal(seen.filter((s) => s.method === "POST").length, 1, "one upload created: the second attempt continued it");
    const firstPatch = after.find((s) => s.method === "PATCH");
    assert.ok(after.some((s) => s.method === "HEAD"), "asked the server where it stopped");
    assert.ok(firstPatch && firstPatch.offset! > 0, `resumed from the server's offset, not from 0 (${firstPatch?.offset})`);
    assert.equal(firstPatch!.offset, headOffsets.at(-1), "exactly where the server said it stopped");
    const sentBytes = after.filter((s) => s.method === "PATCH").length * CHUNK;
    assert.ok(sentBytes < size, "the second attempt sent less than the whole file");

    // Processing, then ready: the creator publishes it from the list.
    const processing = page.getByTestId("upload-processing");
    const videoId = (await processing.getAttribute("data-video-id"))!;
    await until("transcoded", async () => (await processing.getAttribute("data-status")) === "draft", 180_000, 250);
    await page.screenshot({ path: `${SHOTS}/upload-ready.png` });
    const item = page.locator(`[data-testid="my-video"][data-video-id="${videoId}"]`);
    await item.getByTestId("video-publish").click();
    await page.locator(`[data-testid="my-video"][data-video-id="${videoId}"][data-status="published"]`).waitFor();

    // Anyone can watch it: HLS plays (the clock advances) and the tagged product is there.
    const viewer = await browser.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, hasTouch: true, locale: "en-US" });
    const vp = await viewer.newPage();
    await vp.goto(`${server.baseUrl}/videos/${videoId}`);
    await vp.getByTestId("video-player").waitFor();
    const t0 = await until("playback started", async () => {
      const t = await vp.getByTestId("video-player").evaluate((v: HTMLVideoElement) => v.currentTime);
      return t > 0.3 ? t : null;
    }, 60_000, 200);
    await until("the clock advancing", async () => (await vp.getByTestId("video-player").evaluate((v: HTMLVideoElement) => v.currentTime)) > t0 + 0.5 || null, 30_000, 200);
    const product = vp.getByTestId("video-product").first();
    assert.match((await product.textContent()) ?? "", new RegExp(productTitle.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    await vp.screenshot({ path: `${SHOTS}/video-page.png` });
    await viewer.close();

    // A file that is not a video (whatever its name) is refused once sent, with the code's message.
    const fake = path.join(dir, "notes.mp4");
    fs.writeFileSync(fake, "these are my notes, not a video\n".repeat(200));
    await page.goto(`${server.baseUrl}/studio/videos`);
    await page.getByTestId("upload-file").setInputFiles(fake);
    await page.getByTestId("upload-title").fill("Not a video");
    await page.getByTestId("upload-start").click();
    const error = page.getByTestId("upload-error");
    await error.waitFor({ timeout: 30_000 });
    assert.equal((await error.textContent())?.trim(), "This file is not an MP4 or MOV video.");
    await page.screenshot({ path: `${SHOTS}/upload-error.png` });
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
