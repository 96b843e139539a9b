import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { e2eSuite } from "../support/e2e.ts";
import type { Browser } from "playwright-core";
import { until } from "../support/until.ts";
import type { ChatMessage } from "../../src/shared/contracts/room.ts";
import type { ReplayChatPage } from "../../src/shared/contracts/replays.ts";
import type { ShowTimeline } from "../../src/shared/contracts/shows.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SHOTS = "/tmp/shots";

/** A page of the given size, signed in with the session cookie. */
async function contextOf(browser: Browser, baseUrl: string, cookie: string, size: { width: number; height: number }, locale = "en-US") {
  const ctx = await browser.newContext({ viewport: size, deviceScaleFactor: 1, hasTouch: size.width < 600, locale });
  const [name, value] = cookie.split("=");
  await ctx.addCookies([{ name: name!, value: value!, url: baseUrl }]);
  return ctx;
}

describe("shoppable replays, end to end", () => {
  const e2e = e2eSuite();

  test("a show's replay has its chat, in step with the video, and 'jump to product' chapters", async () => {
    const { server, browser } = e2e;
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const studio = (await host.shows.studio(show.id)).body;

    const publisher = e2e.push(`${server.rtmpUrl}/${studio.streamKey}`, 60);
    const live = await until("show live", async () => {
      const s = (await host.shows.get(show.id)).body;
      return s.status === "live" && s.playbackUrl ? s : null;
    });
    const tee = live.products.find((p) => p.title.includes("tee"))!;
    const mug = live.products.find((p) => p.title.includes("mug"))!;
    const room = await viewer.joinRoom(show.id);
    const say = async (text: string) => {
      room.send({ type: "chat.send", text });
      return (await room.waitFor<{ type: "chat.message"; message: ChatMessage }>((e) => e.type === "chat.message" && e.message.text === text)).message;
    };

    // ~10 s of show: chat, the tee at ~3 s, more chat, the mug at ~6 s, chat after it.
    await sleep(1500);
    await say("Hello from the start");
    const removed = await say("Spam that a moderator deletes");
    assert.equal((await host.request("DELETE", `/api/v1/shows/${show.id}/chat/${removed.id}`)).status, 200);
    await sleep(1500);
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200);
    await sleep(1500);
    await say("Is the tee organic?");
    await sleep(1500);
    assert.equal((await host.shows.showcase(show.id, mug.id)).status, 200);
    await sleep(2000);
    await say("The mug is lovely");
    await sleep(1500);
    assert.equal((await host.shows.end(show.id)).body.status, "ended");
    room.ws.close();
    publisher.kill("SIGKILL");

    await until("replay ready", async () => ((await viewer.shows.get(show.id)).body.replayUrl ? true : null), 15_000);
    const timeline = (await viewer.request<ShowTimeline>("GET", `/api/v1/shows/${show.id}/timeline`)).body.items;
    assert.deepEqual(timeline.map((e) => e.productId), [tee.id, mug.id]);
    const [teeAt, mugAt] = timeline.map((e) => e.offsetMs!) as [number, number];
    assert.ok(teeAt > 0 && mugAt > teeAt, `chapters at ${teeAt} and ${mugAt} ms`);
    const chat = (await viewer.request<ReplayChatPage>("GET", `/api/v1/shows/${show.id}/replay/chat`)).body.items;
    assert.deepEqual(chat.map((m) => m.text), ["Hello from the start", "Is the tee organic?", "The mug is lovely"], "the deleted message is not replayed");
    assert.ok(chat[0]!.offsetMs < teeAt && chat[1]!.offsetMs > teeAt && chat[1]!.offsetMs < mugAt && chat[2]!.offsetMs > mugAt, "messages between the showcases they were posted between");

    // A phone opens the replay: both products are chapters.
    const ctx = await contextOf(browser.browser, server.baseUrl, viewer.cookie!, { width: 375, height: 800 });
    const page = await ctx.newPage();
    page.on("pageerror", (e) => console.error("page error:", e));
    await page.goto(`${server.baseUrl}/shows/${show.id}`);
    const player = page.getByTestId("replay-video");
    await until("replay playing", async () => (await player.evaluate((v: HTMLVideoElement) => v.currentTime)) > 0.3, 30_000);
    const chapters = page.getByTestId("replay-chapter");
    await until("two chapters", async () => (await chapters.count()) === 2, 10_000);
    assert.deepEqual(await chapters.evaluateAll((bs) => bs.map((b) => b.getAttribute("data-product-id"))), [tee.id, mug.id]);
    assert.ok((await chapters.nth(1).textContent())!.includes(mug.title));
    assert.equal(await page.getByTestId("replay-mark").count(), 2, "both chapters are marked on the seek bar");

    // The second chapter: the video goes to just before the mug's showcase and its card comes up.
    await chapters.nth(1).click();
    const card = page.getByTestId("product-card");
    await card.getByText(mug.title).waitFor({ timeout: 10_000 });
    await player.evaluate((v: HTMLVideoElement) => v.pause());
    const at = await player.evaluate((v: HTMLVideoElement) => v.currentTime * 1000);
    assert.ok(at >= mugAt - 1000 && at <= mugAt + 1000, `the mug's card at ${at} ms, its showcase at ${mugAt} ms (± 1 s)`);
    assert.equal(await chapters.nth(1).getAttribute("aria-current"), "true", "the current chapter is indicated");
    assert.equal(await chapters.nth(0).getAttribute("aria-current"), null);

    // The chat shows what was said before that moment, and not what came after.
    const lines = page.getByTestId("replay-chat-line");
    await page.getByTestId("replay-chat").getByText("Is the tee organic?").waitFor({ timeout: 10_000 });
    const said = async () => (await lines.allTextContents()).join("\n");
    assert.ok((await said()).includes("Hello from the start"));
    assert.ok(!(await said()).includes("The mug is lovely"), "not a message posted after the playhead");
    assert.ok(!(await said()).includes("Spam"), "not a deleted message");
    await sleep(300);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/replay-375.png` });

    // Seeking on past the last message shows it; back before the tee, only what was said by then.
    await player.evaluate((v: HTMLVideoElement, t: number) => void (v.currentTime = t), (chat[2]!.offsetMs + 500) / 1000);
    await page.getByTestId("replay-chat").getByText("The mug is lovely").waitFor({ timeout: 10_000 });
    await player.evaluate((v: HTMLVideoElement, t: number) => void (v.currentTime = t), (teeAt - 500) / 1000);
    await until("chat back before the tee", async () => {
      const s = await said();
      return s.includes("Hello from the start") && !s.includes("Is the tee organic?") ? true : null;
    }, 10_000);
    await ctx.close();

    // The same at a desktop size, in Italian.
    const desk = await contextOf(browser.browser, server.baseUrl, viewer.cookie!, { width: 1280, height: 800 }, "it-IT");
    const dpage = await desk.newPage();
    await dpage.goto(`${server.baseUrl}/shows/${show.id}`);
    await dpage.getByTestId("replay-chapter").nth(1).click();
    await dpage.getByTestId("product-card").getByText(mug.title).waitFor({ timeout: 15_000 });
    await dpage.getByTestId("replay-video").evaluate((v: HTMLVideoElement) => v.pause());
    await dpage.getByTestId("replay-chat").getByText("Is the tee organic?").waitFor({ timeout: 10_000 });
    await sleep(300);
    await dpage.screenshot({ path: `${SHOTS}/replay-1280.png` });
    await desk.close();
  });
});
