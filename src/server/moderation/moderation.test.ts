import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import { demoShow } from "../../../test/support/fixtures.ts";
import { TestClock } from "../../../test/support/flash.ts";
import type { User } from "../../shared/contracts/accounts.ts";
import type { ModerationSettings, Moderator, Sanction } from "../../shared/contracts/moderation.ts";
import type { DomainEvent } from "../events.ts";
import { createModeration } from "./service.ts";

const modApi = (c: ApiClient) => ({
  settings: (showId: string) => c.request<ModerationSettings>("GET", `/api/v1/shows/${showId}/moderation`),
  setSettings: (showId: string, body: unknown) => c.request<ModerationSettings>("PUT", `/api/v1/shows/${showId}/moderation`, body),
  sanctions: (showId: string) => c.request<{ items: Sanction[] }>("GET", `/api/v1/shows/${showId}/moderation/sanctions`),
  sanction: (showId: string, body: unknown) => c.request<Sanction>("POST", `/api/v1/shows/${showId}/moderation/sanctions`, body),
  lift: (showId: string, userId: string, kind: string) => c.request<{ ok: true }>("DELETE", `/api/v1/shows/${showId}/moderation/sanctions/${userId}?kind=${kind}`),
  deleteMessage: (showId: string, messageId: string) => c.request<{ ok: true }>("DELETE", `/api/v1/shows/${showId}/chat/${messageId}`),
  moderators: (showId: string) => c.request<{ items: Moderator[] }>("GET", `/api/v1/shows/${showId}/moderators`),
  addModerator: (showId: string, email: string) => c.request<Moderator>("POST", `/api/v1/shows/${showId}/moderators`, { email }),
  removeModerator: (showId: string, userId: string) => c.request<{ ok: true }>("DELETE", `/api/v1/shows/${showId}/moderators/${userId}`),
});

type ModEvent = Extract<DomainEvent, { type: "chat.deleted" | "room.sanctioned" | "room.settings_changed" | "room.moderators_changed" }>;

describe("room moderation", () => {
  let server: TestServer;
  const clock = new TestClock();
  let showId: string;
  let otherShowId: string;
  let host: ApiClient;
  let merchant: ApiClient;
  let hostUser: User;
  let merchantUser: User;
  let n = 0;

  /** A fresh signed-up viewer, so that no test sees another's sanctions. */
  async function viewer(name = "Viewer") {
    const client = server.client();
    const email = `mod-${process.pid}-${n++}@example.com`;
    const res = await client.auth.signUp(email, "password-123", `${name} ${n}`);
    assert.equal(res.status, 201);
    return { client, user: res.body.user, email, api: modApi(client) };
  }

  /** Every moderation event, with what a subscriber could see when it arrived. */
  function recordEvents() {
    const seen: { event: ModEvent; inTransaction: boolean; committed: Promise<boolean> }[] = [];
    const db = server.app.db.db;
    const committed = async (e: ModEvent): Promise<boolean> => {
      switch (e.type) {
        case "chat.deleted":
          return !!(await db.selectFrom("chat_messages").select("id").where("id", "=", e.messageId).where("deleted_at", "is not", null).executeTakeFirst());
        case "room.sanctioned": {
          const kind = e.kind === "mute" || e.kind === "unmute" ? "mute" : "ban";
          const rows = await db.selectFrom("room_sanctions").select(["until", "lifted_at"]).where("show_id", "=", e.showId).where("user_id", "=", e.userId).where("kind", "=", kind).execute();
          return e.kind === "mute" || e.kind === "ban" ? rows.some((r) => r.until === e.until) : rows.length > 0 && rows.every((r) => r.lifted_at !== null || (r.until !== null && r.until <= clock.now()));
        }
        case "room.settings_changed": {
          const row = await db.selectFrom("room_settings").selectAll().where("show_id", "=", e.showId).executeTakeFirst();
          return row?.slow_mode_seconds === e.settings.slowModeSeconds && row.banned_words === JSON.stringify(e.settings.bannedWords);
        }
        case "room.moderators_changed":
          return true;
      }
    };
    const push = (event: ModEvent) => {
      seen.push({ event, inTransaction: server.app.db.sqlite?.inTransaction ?? false, committed: committed(event) });
    };
    const offs = [
      server.app.bus.subscribe("chat.deleted", push),
      server.app.bus.subscribe("room.sanctioned", push),
      server.app.bus.subscribe("room.settings_changed", push),
      server.app.bus.subscribe("room.moderators_changed", push),
    ];
    return {
      seen,
      /** Waits until every event so far has been delivered and checked. */
      async settled() {
        await new Promise((r) => setImmediate(r));
        await Promise.all(seen.map((s) => s.committed));
      },
      /** Waits for the bus to deliver, then stops listening. */
      async stop() {
        await new Promise((r) => setImmediate(r));
        offs.forEach((off) => off());
        return Promise.all(seen.map(async (s) => ({ event: s.event, inTransaction: s.inTransaction, committed: await s.committed })));
      },
    };
  }

  const chat = async (user: User, text: string, show = showId) => {
    const r = await server.app.room.postChat(user, show, text);
    assert.ok(r.ok, `chat posted: ${JSON.stringify(r)}`);
    return r.message;
  };

  before(async () => {
    server = await startServer({}, { clock: clock.now });
    const { show } = await demoShow(server);
    showId = show.id;
    otherShowId = (await server.app.shows.list({ limit: 50 })).find((s) => s.id !== showId)!.id;
    host = await server.as("host");
    merchant = await server.as("merchant");
    hostUser = (await host.auth.me()).body.user!;
    merchantUser = (await merchant.auth.me()).body.user!;
    assert.ok(await server.app.moderation.load(showId));
  });
  after(() => server.close());

  test("viewers and strangers cannot moderate; hosts, merchant staff and appointed moderators can", async () => {
    const sofia = await server.as("viewer");
    const target = await viewer("Target");
    const msg = await chat(target.user, "hello");
    const events = recordEvents();
    const v = modApi(sofia);
    for (const res of [
      await v.settings(showId),
      await v.setSettings(showId, { slowModeSeconds: 30 }),
      await v.sanctions(showId),
      await v.sanction(showId, { userId: target.user.id, kind: "ban" }),
      await v.lift(showId, target.user.id, "ban"),
      await v.deleteMessage(showId, msg.id),
      await v.moderators(showId),
      await v.addModerator(showId, "viewer@vetrina.test"),
      await v.removeModerator(showId, hostUser.id),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.problem?.code, "forbidden");
    }
    const anon = modApi(server.client());
    assert.equal((await anon.settings(showId)).problem?.code, "unauthenticated");
    assert.equal((await anon.sanction(showId, { userId: target.user.id, kind: "ban" })).problem?.code, "unauthenticated");
    assert.equal((await modApi(host).settings("shw_unknown")).problem?.code, "not_found");
    assert.equal((await events.stop()).length, 0, "nothing was published");
    assert.equal(server.app.moderation.canJoin(target.user.id, showId), true, "the refused ban did not happen");

    // The show's host and the merchant's staff moderate without being appointed.
    assert.deepEqual((await modApi(host).settings(showId)).body, { slowModeSeconds: 0, bannedWords: [] });
    assert.equal((await modApi(merchant).sanctions(showId)).status, 200);
    assert.equal(await server.app.moderation.isModerator(hostUser, showId), true);
    assert.equal(await server.app.moderation.isModerator(merchantUser, showId), true);

    // An appointed moderator moderates this show only, and cannot appoint others.
    const mod = await viewer("Mod");
    assert.equal(await server.app.moderation.isModerator(mod.user, showId), false);
    const added = await modApi(host).addModerator(showId, mod.email.toUpperCase());
    assert.equal(added.status, 201);
    assert.equal(added.body.userId, mod.user.id);
    assert.equal(added.body.addedBy, hostUser.id);
    assert.equal(await server.app.moderation.isModerator(mod.user, showId), true);
    assert.deepEqual((await mod.api.moderators(showId)).body.items.map((m) => m.userId), [mod.user.id]);
    const muted = await mod.api.sanction(showId, { userId: target.user.id, kind: "mute", minutes: 5, reason: "spam" });
    assert.equal(muted.status, 201);
    assert.equal(muted.body.by, mod.user.id);
    assert.equal((await mod.api.lift(showId, target.user.id, "mute")).status, 200);
    assert.equal((await mod.api.deleteMessage(showId, msg.id)).status, 200);
    assert.equal((await mod.api.settings(otherShowId)).problem?.code, "forbidden", "moderator of one show only");
    assert.equal((await mod.api.addModerator(showId, target.email)).problem?.code, "forbidden");
    assert.equal((await mod.api.removeModerator(showId, mod.user.id)).problem?.code, "forbidden");

    // Staff can remove the moderator; the rights go with it.
    assert.equal((await modApi(merchant).removeModerator(showId, mod.user.id)).status, 200);
    assert.equal(await server.app.moderation.isModerator(mod.user, showId), false);
    assert.equal((await mod.api.sanctions(showId)).problem?.code, "forbidden");
    assert.deepEqual((await modApi(host).moderators(showId)).body.items, []);
  });

  test("bad input is refused with its code, as problem+json, and changes nothing", async () => {
    const target = await viewer("Target");
    const mod = await viewer("Mod");
    assert.equal((await modApi(host).addModerator(showId, mod.email)).status, 201);
    const msg = await chat(target.user, "a message that stays");
    const otherMsg = await chat(target.user, "elsewhere", otherShowId);
    const api = modApi(host);
    const before = (await api.settings(showId)).body;
    const events = recordEvents();

    const expect = async (res: Promise<{ status: number; problem: { code: string } | null; headers: Headers }>, code: string, status: number) => {
      const r = await res;
      assert.equal(r.problem?.code, code, JSON.stringify(r.problem));
      assert.equal(r.status, status);
      assert.match(r.headers.get("content-type") ?? "", /^application\/problem\+json/);
    };
    const user = target.user.id;
    for (const minutes of [0, 1441, -5, 1.5, "10"]) await expect(api.sanction(showId, { userId: user, kind: "mute", minutes }), "validation_failed", 400);
    await expect(api.sanction(showId, { userId: user, kind: "mute" }), "validation_failed", 400);
    await expect(api.sanction(showId, { userId: user, kind: "ban", minutes: 2000 }), "validation_failed", 400);
    await expect(api.sanction(showId, { userId: user, kind: "kick" }), "validation_failed", 400);
    await expect(api.sanction(showId, { userId: user, kind: "ban", reason: "x".repeat(201) }), "validation_failed", 400);
    await expect(api.sanction(showId, { userId: "usr_nobody", kind: "ban" }), "not_found", 404);
    await expect(api.sanction(showId, { userId: "usr_nobody", kind: "mute", minutes: 5 }), "not_found", 404);
    await expect(api.sanction(showId, { userId: hostUser.id, kind: "ban" }), "forbidden", 403);
    await expect(api.sanction(showId, { userId: merchantUser.id, kind: "mute", minutes: 5 }), "forbidden", 403);
    await expect(api.sanction(showId, { userId: mod.user.id, kind: "ban" }), "forbidden", 403);
    await expect(mod.api.sanction(showId, { userId: hostUser.id, kind: "mute", minutes: 5 }), "forbidden", 403);
    await expect(api.lift(showId, user, "mute"), "not_found", 404);
    await expect(api.lift(showId, user, "kick"), "validation_failed", 400);

    for (const body of [
      {},
      { slowModeSeconds: 301 },
      { slowModeSeconds: -1 },
      { slowModeSeconds: 2.5 },
      { slowModeSeconds: "5" },
      { bannedWords: Array.from({ length: 201 }, (_, i) => `word${i}`) },
      { bannedWords: ["x".repeat(51)] },
      { bannedWords: ["ok", "   "] },
      { bannedWords: "spam" },
      { slowModeSeconds: 10, bannedWords: ["fine", ""] },
    ])
      await expect(api.setSettings(showId, body), "validation_failed", 400);
    // Invisible characters only: passes the length check, refused by the service.
    await expect(api.setSettings(showId, { bannedWords: ["\u200b\u200b"] }), "validation_failed", 400);

    await expect(api.deleteMessage(showId, "msg_unknown"), "not_found", 404);
    await expect(api.deleteMessage(showId, otherMsg.id), "not_found", 404);
    await expect(api.deleteMessage(showId, "bad id!"), "validation_failed", 400);
    await expect(api.addModerator(showId, "nobody@example.com"), "not_found", 404);
    await expect(api.addModerator(showId, "not an email"), "validation_failed", 400);
    await expect(api.addModerator(showId, "host@vetrina.test"), "conflict", 409);
    await expect(api.addModerator(showId, "merchant@vetrina.test"), "conflict", 409);
    await expect(api.addModerator(showId, mod.email), "conflict", 409);
    await expect(api.removeModerator(showId, target.user.id), "not_found", 404);

    assert.deepEqual((await events.stop()).map((e) => e.event.type), [], "nothing was published");
    assert.deepEqual((await api.settings(showId)).body, before);
    assert.deepEqual((await api.sanctions(showId)).body.items.filter((s) => s.userId === user), []);
    const rows = await server.app.db.db.selectFrom("chat_messages").select(["id", "deleted_at", "deleted_by"]).where("id", "in", [msg.id, otherMsg.id]).execute();
    assert.deepEqual(rows.map((r) => [r.deleted_at, r.deleted_by]), [[null, null], [null, null]]);
    assert.deepEqual((await api.moderators(showId)).body.items.map((m) => m.userId), [mod.user.id]);
    assert.equal(server.app.moderation.checkChat(target.user, showId, "still free to talk").ok, true);
    assert.equal((await api.removeModerator(showId, mod.user.id)).status, 200);
  });

  test("slow mode spaces out one viewer's messages; hosts, staff and moderators are never slowed", async () => {
    const m = server.app.moderation;
    const a = await viewer("A");
    const b = await viewer("B");
    const mod = await viewer("Mod");
    await modApi(host).addModerator(showId, mod.email);
    const set = await modApi(merchant).setSettings(showId, { slowModeSeconds: 10 });
    assert.deepEqual(set.body, { slowModeSeconds: 10, bannedWords: [] });

    const t = clock.now();
    assert.equal(m.checkChat(a.user, showId, "first", t).ok, true);
    const early = m.checkChat(a.user, showId, "second", t + 4000);
    assert.equal(early.ok, false);
    assert.ok(!early.ok && early.code === "slow_mode");
    assert.equal(!early.ok && early.retryAfterMs, 6000);
    assert.equal(m.checkChat(b.user, showId, "someone else", t + 4000).ok, true, "per user");
    // A refused message does not restart the wait.
    assert.equal(m.checkChat(a.user, showId, "third", t + 10_000).ok, true);
    const again = m.checkChat(a.user, showId, "fourth", t + 12_000);
    assert.ok(!again.ok && again.code === "slow_mode" && again.retryAfterMs === 8000);
    for (const u of [hostUser, merchantUser, mod.user])
      for (let i = 0; i < 5; i++) assert.equal(m.checkChat(u, showId, `privileged ${i}`, t + i).ok, true, `${u.displayName} is not slowed`);

    // Turned off, it stops at once.
    await modApi(host).setSettings(showId, { slowModeSeconds: 0 });
    assert.equal(m.checkChat(a.user, showId, "fifth", t + 12_001).ok, true);
    assert.equal(m.checkChat(a.user, showId, "sixth", t + 12_002).ok, true);
    assert.equal((await modApi(host).removeModerator(showId, mod.user.id)).status, 200);
  });

  test("banned words block a viewer's message, on word boundaries and through simple disguises", async () => {
    const m = server.app.moderation;
    const a = await viewer("A");
    const res = await modApi(host).setSettings(showId, { bannedWords: [" Scam ", "buy followers", "SCAM", "idiot"] });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.bannedWords, ["Scam", "buy followers", "idiot"], "trimmed, duplicates dropped");
    assert.deepEqual((await server.app.moderation.settings(showId))?.bannedWords, ["Scam", "buy followers", "idiot"]);
    for (const text of ["this is a scam", "SCAM!", "Scám", "s c a m", "s.c.a.m", "sc4m", "$cam", "scaaaam", "ｓｃａｍ", "sc\u200bam", "Buy   FOLLOWERS now", "buy-followers", "you 1d10t"]) {
      const r = m.checkChat(a.user, showId, text);
      assert.ok(!r.ok && r.code === "message_blocked", `blocked: ${text}`);
    }
    for (const text of ["scampi for dinner?", "escamotage", "I buy from followers", "is the red one true to size?", "idiotic"])
      assert.equal(m.checkChat(a.user, showId, text).ok, true, `allowed: ${text}`);
    assert.equal(m.checkChat(hostUser, showId, "not a scam, I promise").ok, true, "the host is not filtered");
    await modApi(host).setSettings(showId, { bannedWords: [] });
    assert.equal(m.checkChat(a.user, showId, "this is a scam").ok, true, "the list is emptied");
  });

  test("mute: refused with its end, expires by itself, can be lifted; ban: keeps out of the room until unbanned", async () => {
    const m = server.app.moderation;
    const api = modApi(host);
    const a = await viewer("Muted");
    const b = await viewer("Banned");

    const muted = await api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 5, reason: " flooding " });
    assert.equal(muted.status, 201);
    const until = Date.parse(muted.body.until!);
    assert.equal(until - Date.parse(muted.body.at), 5 * 60_000);
    assert.deepEqual({ ...muted.body, until: null, at: null }, { userId: a.user.id, userName: a.user.displayName, kind: "mute", until: null, reason: "flooding", by: hostUser.id, at: null });
    const r = m.checkChat(a.user, showId, "hello?", until - 60_000);
    assert.ok(!r.ok && r.code === "muted" && r.retryAfterMs === 60_000, JSON.stringify(r));
    assert.match(!r.ok ? r.message! : "", new RegExp(new Date(until).toISOString()));
    assert.equal(m.canJoin(a.user.id, showId, until - 60_000), true, "a muted viewer still watches");
    assert.deepEqual((await api.sanctions(showId)).body.items.filter((s) => s.userId === a.user.id).map((s) => s.kind), ["mute"]);

    // Expiry: nothing to do, the clock decides.
    assert.equal(m.checkChat(a.user, showId, "back", until).ok, true);
    clock.advance(5 * 60_000 + 1000);
    assert.deepEqual((await api.sanctions(showId)).body.items.filter((s) => s.userId === a.user.id), []);
    assert.equal((await api.lift(showId, a.user.id, "mute")).problem?.code, "not_found", "an expired mute cannot be lifted");

    // A new mute replaces the current one; lifting ends it at once.
    await api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 60 });
    const shorter = await api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 1 });
    assert.equal(m.checkChat(a.user, showId, "x", Date.parse(shorter.body.until!) + 1).ok, true, "the shorter mute replaced the longer");
    assert.equal(m.checkChat(a.user, showId, "x").ok, false);
    assert.equal((await api.lift(showId, a.user.id, "mute")).status, 200);
    assert.equal(m.checkChat(a.user, showId, "free").ok, true);
    assert.equal((await api.lift(showId, a.user.id, "mute")).problem?.code, "not_found");

    // Ban until lifted.
    const banned = await modApi(merchant).sanction(showId, { userId: b.user.id, kind: "ban" });
    assert.equal(banned.status, 201);
    assert.equal(banned.body.until, null);
    assert.equal(m.canJoin(b.user.id, showId), false);
    assert.equal(m.canJoin(b.user.id, showId, clock.now() + 365 * 86_400_000), false, "a ban without minutes does not expire");
    const rb = m.checkChat(b.user, showId, "let me in");
    assert.ok(!rb.ok && rb.code === "banned" && rb.retryAfterMs === undefined);
    assert.equal((await api.lift(showId, b.user.id, "mute")).problem?.code, "not_found", "kinds are separate");
    assert.equal((await api.lift(showId, b.user.id, "ban")).status, 200);
    assert.equal(m.canJoin(b.user.id, showId), true);

    // A timed ban.
    const timed = await api.sanction(showId, { userId: b.user.id, kind: "ban", minutes: 30 });
    const end = Date.parse(timed.body.until!);
    assert.equal(m.canJoin(b.user.id, showId, end - 1), false);
    assert.equal(m.canJoin(b.user.id, showId, end), true);

    // A process that starts afresh reads the same decisions from the database.
    await api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 10 });
    await api.setSettings(showId, { slowModeSeconds: 20, bannedWords: ["spoiler"] });
    const fresh = createModeration({ db: server.app.db.db, bus: server.app.bus, shows: server.app.shows, accounts: server.app.accounts, clock: clock.now });
    assert.throws(() => fresh.checkChat(a.user, showId, "x"), /load/, "using it before load() is a wiring bug");
    assert.equal(await fresh.load("shw_unknown"), false);
    assert.equal(await fresh.load(showId), true);
    assert.ok(!fresh.canJoin(b.user.id, showId, end - 1));
    assert.ok(fresh.canJoin(b.user.id, showId, end));
    const fm = fresh.checkChat(a.user, showId, "x");
    assert.ok(!fm.ok && fm.code === "muted");
    const c = await viewer("C");
    const fw = fresh.checkChat(c.user, showId, "SPOILER alert");
    assert.ok(!fw.ok && fw.code === "message_blocked");
    assert.deepEqual(await fresh.settings(showId), { slowModeSeconds: 20, bannedWords: ["spoiler"] });
    await api.setSettings(showId, { slowModeSeconds: 0, bannedWords: [] });
    await api.lift(showId, a.user.id, "mute");
    await api.lift(showId, b.user.id, "ban");
  });

  test("appointing a moderator ends their mute and ban; a moderator is never refused", async () => {
    const m = server.app.moderation;
    const api = modApi(host);
    const a = await viewer("Reformed");
    await api.sanction(showId, { userId: a.user.id, kind: "ban" });
    await api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 30 });
    await api.setSettings(showId, { slowModeSeconds: 60, bannedWords: ["scam"] });
    const events = recordEvents();
    assert.equal((await api.addModerator(showId, a.email)).status, 201);
    const seen = await events.stop();
    assert.deepEqual(seen.map((s) => [s.event.type, s.event.type === "room.sanctioned" ? s.event.kind : null]).sort(), [
      ["room.moderators_changed", null],
      ["room.sanctioned", "unban"],
      ["room.sanctioned", "unmute"],
    ]);
    assert.ok(seen.every((s) => s.committed));
    assert.deepEqual((await api.sanctions(showId)).body.items.filter((s) => s.userId === a.user.id), []);
    assert.equal(m.canJoin(a.user.id, showId), true);
    for (let i = 0; i < 3; i++) assert.equal(m.checkChat(a.user, showId, "scam scam", clock.now() + i).ok, true);
    assert.equal((await api.removeModerator(showId, a.user.id)).status, 200);
    await api.setSettings(showId, { slowModeSeconds: 0, bannedWords: [] });
  });

  test("deleting a message marks it deleted, once; events are published only after their transaction committed", async () => {
    const a = await viewer("Chatty");
    const msg = await chat(a.user, "delete me");
    const keep = await chat(a.user, "keep me");
    const events = recordEvents();
    const mod = await viewer("Mod");
    const api = modApi(host);
    // Each write is checked by a subscriber before the next one starts.
    const writes: (() => Promise<{ status: number }>)[] = [
      () => api.deleteMessage(showId, msg.id),
      () => modApi(merchant).deleteMessage(showId, msg.id), // deleting again is harmless and publishes nothing
      () => api.sanction(showId, { userId: a.user.id, kind: "mute", minutes: 3 }),
      () => api.lift(showId, a.user.id, "mute"),
      () => api.sanction(showId, { userId: a.user.id, kind: "ban" }),
      () => api.lift(showId, a.user.id, "ban"),
      () => api.setSettings(showId, { slowModeSeconds: 15 }),
      () => api.setSettings(showId, { slowModeSeconds: 0 }),
      () => api.addModerator(showId, mod.email),
      () => api.removeModerator(showId, mod.user.id),
    ];
    for (const write of writes) {
      assert.ok((await write()).status < 300);
      await events.settled();
    }

    const seen = await events.stop();
    assert.deepEqual(
      seen.map((s) => s.event),
      [
        { type: "chat.deleted", showId, messageId: msg.id, by: hostUser.id },
        { type: "room.sanctioned", showId, userId: a.user.id, kind: "mute", until: (seen[1]?.event as { until: number }).until },
        { type: "room.sanctioned", showId, userId: a.user.id, kind: "unmute", until: null },
        { type: "room.sanctioned", showId, userId: a.user.id, kind: "ban", until: null },
        { type: "room.sanctioned", showId, userId: a.user.id, kind: "unban", until: null },
        { type: "room.settings_changed", showId, settings: { slowModeSeconds: 15, bannedWords: [] } },
        { type: "room.settings_changed", showId, settings: { slowModeSeconds: 0, bannedWords: [] } },
        { type: "room.moderators_changed", showId },
        { type: "room.moderators_changed", showId },
      ],
    );
    assert.equal(typeof (seen[1]?.event as { until: unknown }).until, "number");
    for (const s of seen) {
      assert.equal(s.inTransaction, false, `${s.event.type} published outside any transaction`);
      assert.equal(s.committed, true, `${s.event.type}: its change was visible to a subscriber`);
    }
    const rows = await server.app.db.db.selectFrom("chat_messages").select(["id", "deleted_at", "deleted_by"]).where("id", "in", [msg.id, keep.id]).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.equal(byId.get(msg.id)?.deleted_by, hostUser.id, "the first delete is the one recorded");
    assert.equal(typeof byId.get(msg.id)?.deleted_at, "number");
    assert.equal(byId.get(keep.id)?.deleted_at, null);
  });
});
