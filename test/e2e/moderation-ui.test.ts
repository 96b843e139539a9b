import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Page } from "playwright-core";
import { startServer, type TestServer } from "../support/harness.ts";
import { desktopContext, launchBrowser, phoneContext } from "../support/browser.ts";
import { demoShow } from "../support/fixtures.ts";
import type { ModerationSettings, Moderator, Sanction } from "../../src/shared/contracts/moderation.ts";
import type { ApiClient } from "../support/client.ts";
import { until } from "../support/until.ts";


const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent().catch(() => null)) ?? "").trim();
const shot = (page: Page, name: string) => page.screenshot({ path: `test-results/${name}.png` });

describe("room moderation in the browser", () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  before(async () => {
    fs.mkdirSync("test-results", { recursive: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  describe("from the studio", () => {
    let server: TestServer;
    before(async () => {
      server = await startServer();
    });
    after(async () => {
      await server?.close();
    });

    test("the host sets slow mode and a banned word, deletes a viewer's message and mutes another; the viewer's phone follows at once", async () => {
      const { show } = await demoShow(server);
      const host = await server.as("host");
      const sofia = await server.as("viewer");
      const luca = server.client();
      await luca.auth.signUp("luca.mod@example.com", "password-123", "Luca");
      const lucaRoom = await luca.joinRoom(show.id);

      // The viewer's phone and the host's studio.
      const vctx = await phoneContext(browser.browser, server.baseUrl, sofia.cookie);
      const viewer = await vctx.newPage();
      await viewer.goto(`${server.baseUrl}/shows/${show.id}`);
      await viewer.getByTestId("chat-input").waitFor();
      assert.equal(await viewer.getByTestId("chat-restriction").count(), 0, "no slow-mode hint while it is off");

      const hctx = await desktopContext(browser.browser, server.baseUrl, host.cookie);
      const studio = await hctx.newPage();
      await studio.goto(`${server.baseUrl}/studio/${show.id}`);
      const panel = studio.getByTestId("moderation-panel");
      await panel.waitFor();
      await until("rules loaded", () => studio.getByTestId("slow-mode").isEnabled());

      // Slow mode: 30 s. The phone says so without reloading.
      await studio.getByTestId("slow-mode").selectOption("30");
      await until("viewer sees the slow-mode hint", async () => (await text(viewer, "chat-restriction")) === "Slow mode: one message every 30 s");
      assert.equal((await host.request<ModerationSettings>("GET", `/api/v1/shows/${show.id}/moderation`)).body.slowModeSeconds, 30);

      // A banned word, added as a chip.
      await studio.getByTestId("banned-word-input").fill("scam");
      await studio.getByTestId("banned-word-add").click();
      await studio.getByTestId("banned-word").filter({ hasText: "scam" }).waitFor();
      assert.deepEqual((await host.request<ModerationSettings>("GET", `/api/v1/shows/${show.id}/moderation`)).body.bannedWords, ["scam"]);
      // The room applies it: a message with a look-alike spelling is refused.
      lucaRoom.send({ type: "chat.send", text: "total $c4m", clientMsgId: "luca-1" });
      const blocked = await lucaRoom.waitFor((e) => e.type === "error" && e.ref === "luca-1");
      assert.equal(blocked.type === "error" && blocked.code, "message_blocked");

      // The viewer chats from the phone; the studio shows it with its moderation menu.
      await viewer.getByTestId("chat-input").fill("Ciao from Sofia");
      await viewer.getByTestId("chat-send").click();
      const viewerLine = viewer.getByTestId("chat-line").filter({ hasText: "Ciao from Sofia" });
      await viewerLine.waitFor();
      const studioChat = studio.getByTestId("studio-chat");
      const studioLine = studioChat.getByTestId("chat-line").filter({ hasText: "Ciao from Sofia" });
      await studioLine.waitFor();

      // A second message inside the 30 s is refused: the composer says how long to wait.
      await viewer.getByTestId("chat-input").fill("Another one");
      await viewer.getByTestId("chat-send").click();
      await until("slow-mode wait shown", async () => /^Slow mode: you can send again in \d+ s$/.test(await text(viewer, "chat-restriction")));
      assert.equal(await viewer.getByTestId("chat-restriction").getAttribute("data-kind"), "wait");
      assert.equal(await viewer.getByTestId("chat-send").isDisabled(), true, "send waits for slow mode");

      // Luca says something the host mutes him for.
      lucaRoom.send({ type: "chat.send", text: "Buy followers cheap!!!", clientMsgId: "luca-2" });
      const lucaLine = studioChat.getByTestId("chat-line").filter({ hasText: "Buy followers cheap" });
      await lucaLine.waitFor();

      // Screenshots: the studio with the card, the chat's menu open, and the phone with the wait.
      await lucaLine.getByTestId("chat-moderate").click();
      await lucaLine.getByTestId("chat-mute-10").waitFor();
      await panel.screenshot({ path: "test-results/moderation-studio-card.png" });
      await studioChat.screenshot({ path: "test-results/moderation-studio-chat.png" });
      await studio.screenshot({ path: "test-results/moderation-studio-desktop.png", fullPage: true });
      await shot(viewer, "moderation-viewer-slow-mode");

      // Mute Luca for 10 minutes: listed on the card, and the room refuses his next message.
      await lucaLine.getByTestId("chat-mute-10").click();
      await studio.getByTestId("moderation-notice").filter({ hasText: "Luca is muted for 10 min." }).waitFor();
      const sanction = studio.getByTestId("sanction").filter({ hasText: "Luca" });
      await sanction.waitFor();
      assert.match((await sanction.textContent()) ?? "", /Muted/);
      lucaRoom.send({ type: "chat.send", text: "hello?", clientMsgId: "luca-3" });
      const muted = await lucaRoom.waitFor((e) => e.type === "error" && e.ref === "luca-3");
      assert.equal(muted.type === "error" && muted.code, "muted");
      const sanctions = (await host.request<{ items: Sanction[] }>("GET", `/api/v1/shows/${show.id}/moderation/sanctions`)).body.items;
      assert.deepEqual(
        sanctions.map((s) => [s.userName, s.kind]),
        [["Luca", "mute"]],
      );

      // Delete Sofia's message: it vanishes from her phone and from the studio.
      await studioLine.getByTestId("chat-moderate").click();
      await studioLine.getByTestId("chat-delete").click();
      await viewerLine.waitFor({ state: "detached" });
      await studioLine.waitFor({ state: "detached" });
      // Still gone after a reload (the snapshot leaves it out), and the hint is still there.
      await viewer.reload();
      await viewer.getByTestId("chat-input").waitFor();
      await until("hint after reload", async () => (await text(viewer, "chat-restriction")) === "Slow mode: one message every 30 s");
      await shot(viewer, "moderation-viewer-slow-hint");
      assert.equal(await viewer.getByTestId("chat-line").filter({ hasText: "Ciao from Sofia" }).count(), 0);

      // Slow mode off again: the phone's hint goes away.
      await studio.getByTestId("slow-mode").selectOption("0");
      await viewer.getByTestId("chat-restriction").waitFor({ state: "detached" });

      // Lift the mute from the card: Luca chats again.
      await sanction.getByTestId("lift-sanction").click();
      await studio.getByTestId("sanction").filter({ hasText: "Luca" }).waitFor({ state: "detached" });
      lucaRoom.send({ type: "chat.send", text: "thanks", clientMsgId: "luca-4" });
      await lucaRoom.waitFor((e) => e.type === "chat.message" && e.clientMsgId === "luca-4");

      // Moderators: an unknown e-mail is refused with a clear message; Luca is appointed.
      await studio.getByTestId("moderator-email").fill("nobody@example.com");
      await studio.getByTestId("moderator-add").click();
      await panel.getByText("There is no account with this e-mail.").waitFor();
      await studio.getByTestId("moderator-email").fill("luca.mod@example.com");
      await studio.getByTestId("moderator-add").click();
      await studio.getByTestId("moderator").filter({ hasText: "Luca" }).waitFor();
      const mods = (await host.request<{ items: Moderator[] }>("GET", `/api/v1/shows/${show.id}/moderators`)).body.items;
      assert.deepEqual(
        mods.map((m) => m.name),
        ["Luca"],
      );

      // The card on a phone.
      const pctx = await phoneContext(browser.browser, server.baseUrl, host.cookie);
      const phoneStudio = await pctx.newPage();
      await phoneStudio.goto(`${server.baseUrl}/studio/${show.id}`);
      const phonePanel = phoneStudio.getByTestId("moderation-panel");
      await phonePanel.getByTestId("banned-word").first().waitFor();
      await phonePanel.screenshot({ path: "test-results/moderation-studio-card-phone.png" });
      const phoneChatLine = phoneStudio.getByTestId("studio-chat").getByTestId("chat-line").filter({ hasText: "thanks" });
      await phoneChatLine.getByTestId("chat-moderate").click();
      await phoneStudio.getByTestId("studio-chat").screenshot({ path: "test-results/moderation-studio-chat-phone.png" });
      await phoneStudio.screenshot({ path: "test-results/moderation-studio-phone-full.png", fullPage: true });
      const overflow = await phoneStudio.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, "the studio does not scroll sideways on a phone");

      lucaRoom.close();
      for (const ctx of [vctx, hctx, pctx]) await ctx.close();
    });

    test("a moderator who is not the host (Luca, appointed above) gets the chat and the card in the studio, in Italian, without appointing", async () => {
      const { show } = await demoShow(server);
      const luca = server.client();
      await luca.auth.signIn("luca.mod@example.com", "password-123");
      const ctx = await phoneContext(browser.browser, server.baseUrl, luca.cookie, "it-IT");
      const page = await ctx.newPage();
      await page.goto(`${server.baseUrl}/studio/${show.id}`);
      await page.getByTestId("moderation-panel").getByRole("heading", { name: "Moderazione" }).waitFor();
      await page.getByTestId("studio-chat").waitFor();
      await page.getByTestId("banned-word").filter({ hasText: "scam" }).waitFor();
      await shot(page, "moderation-moderator-phone-it");
      assert.equal(await page.getByTestId("moderator-email").count(), 0, "only hosts and staff appoint moderators");
      assert.equal(await page.getByTestId("slow-mode").inputValue(), "0");
      await ctx.close();
    });
  });

  describe("busy chat", () => {
    let server: TestServer;
    before(async () => {
      // One chat message a second for everyone: a handful of chatters is already "busy".
      server = await startServer({ ROOM_CHAT_RATE: "1" });
    });
    after(async () => {
      await server?.close();
    });

    test("when chat runs faster than the room shows, the phone says it shows a sample, and stops saying so when it calms down", async () => {
      const { show } = await demoShow(server);
      const sofia = await server.as("viewer");
      const ctx = await phoneContext(browser.browser, server.baseUrl, sofia.cookie);
      const page = await ctx.newPage();
      await page.goto(`${server.baseUrl}/shows/${show.id}`);
      await page.getByTestId("chat-input").waitFor();

      const chatters: ApiClient[] = [];
      for (let i = 0; i < 4; i++) {
        const c = server.client();
        await c.auth.signUp(`busy${i}@example.com`, "password-123", `Chatter ${i + 1}`);
        chatters.push(c);
      }
      const rooms = await Promise.all(chatters.map((c) => c.joinRoom(show.id)));
      // Each sends 2 a second (the per-connection limit): 8 a second against a room rate of 1.
      let n = 0;
      const timer = setInterval(() => {
        for (const [i, r] of rooms.entries()) r.send({ type: "chat.send", text: `message ${++n} from chatter ${i + 1}` });
      }, 500);
      try {
        await until("busy banner", async () => /^⚡ Busy chat: showing \d+ of \d+ messages a second/.test(await text(page, "chat-sampling")), 10_000);
        const [shown, received] = (await text(page, "chat-sampling")).match(/\d+/g)!.map(Number);
        assert.ok(received! > shown!, `received ${received} > shown ${shown}`);
        // A few seconds of the sample on screen, for the picture.
        await new Promise((r) => setTimeout(r, 3000));
        await shot(page, "moderation-viewer-busy-chat");
      } finally {
        clearInterval(timer);
      }
      await page.getByTestId("chat-sampling").waitFor({ state: "detached", timeout: 10_000 });
      for (const r of rooms) r.close();
      await ctx.close();
    });
  });
});
