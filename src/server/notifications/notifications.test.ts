import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { startServer, freePort, type TestServer } from "../../../test/support/harness.ts";
import { creatorApi, newCreator, newMerchant } from "../../../test/support/creators.ts";
import { notifyApi, openNotificationStream } from "../../../test/support/notifications.ts";
import { until } from "../../../test/support/until.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import { createFanout } from "./fanout.ts";
import { createDispatcher } from "./scheduler.ts";
import type { NotificationsTables } from "./schema.ts";

let n = 0;
const unique = () => `${process.pid.toString(36)}${(n++).toString(36)}${Date.now().toString(36).slice(-5)}`;
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

async function newUser(server: TestServer, name = "fan"): Promise<{ client: ApiClient; userId: string }> {
  const client = server.client();
  const signed = await client.auth.signUp(`${name}-${unique()}@example.com`, "password-123", `${name} ${n}`);
  assert.equal(signed.status, 201);
  return { client, userId: signed.body.user.id };
}

/** A creator's campaign show for a brand (the campaigns domain's checks are not what is tested here). */
async function creatorShow(server: TestServer, host: { userId: string }, merchantId: string, title = "Spring live", startsInMinutes = 60 * 24) {
  const r = await server.app.shows.createForCampaign({ merchantId, hostUserId: host.userId, campaignId: "cmp_test", input: { title, description: "", coverUrl: null, scheduledAt: inMinutes(startsInMinutes), productIds: [] } });
  assert.ok(r.ok);
  return r.show;
}

const kindsOf = async (c: ApiClient, showId: string) =>
  (await notifyApi(c).list("?limit=100")).body.items
    .filter((i) => i.showId === showId)
    .map((i) => i.kind)
    .sort();

describe("follow, remind, notify", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("follow and unfollow a merchant; its public page counts followers", async () => {
    const { merchantId } = await newMerchant(server, "Follow Shop");
    const { client } = await newUser(server);
    const api = notifyApi(client);
    const anonymous = notifyApi(server.client());
    assert.equal((await anonymous.merchant(merchantId)).body.followerCount, 0);
    assert.equal((await anonymous.followMerchant(merchantId)).problem?.code, "unauthenticated");

    const followed = await api.followMerchant(merchantId);
    assert.deepEqual(followed.body, { following: true, followerCount: 1 });
    assert.deepEqual((await api.followMerchant(merchantId)).body, { following: true, followerCount: 1 }, "following twice is once");
    const page = (await api.merchant(merchantId)).body;
    assert.equal(page.name, "Follow Shop");
    assert.equal(page.following, true);
    assert.equal((await anonymous.merchant(merchantId)).body.following, false);
    assert.deepEqual((await api.unfollowMerchant(merchantId)).body, { following: false, followerCount: 0 });
    assert.equal((await api.followMerchant("mer_nope")).problem?.code, "not_found");
    assert.equal((await anonymous.merchant("mer_nope")).status, 404);
  });

  test("remind me on an upcoming show, and not on one that is over", async () => {
    const { merchantId } = await newMerchant(server, "Remind Shop");
    const host = await newCreator(server, "remhost");
    const show = await creatorShow(server, host, merchantId);
    const { client } = await newUser(server);
    const api = notifyApi(client);
    assert.deepEqual((await api.remind(show.id)).body, { showId: show.id, reminded: true });
    assert.deepEqual((await api.reminders()).body.showIds, [show.id]);
    assert.deepEqual((await api.unremind(show.id)).body, { showId: show.id, reminded: false });
    assert.deepEqual((await api.reminders()).body.showIds, []);
    assert.equal((await api.remind("shw_nope")).problem?.code, "not_found");
    assert.equal((await api.remind("bad id!")).problem?.code, "validation_failed");
    assert.equal((await notifyApi(server.client()).remind(show.id)).problem?.code, "unauthenticated");
    await server.app.shows.markEnded(show.id, "test");
    const late = await api.remind(show.id);
    assert.equal(late.status, 409);
    assert.equal(late.problem?.code, "show_already_ended");
  });

  test("followers of the host and of the merchant, and reminder holders, are notified once per show and kind", async () => {
    const { merchantId } = await newMerchant(server, "Fanout Shop");
    const host = await newCreator(server, "fanhost");
    const both = await newUser(server, "both");
    const merchantFan = await newUser(server, "mfan");
    const reminderOnly = await newUser(server, "rem");
    const stranger = await newUser(server, "stranger");
    await creatorApi(both.client).follow(host.creator.handle);
    await notifyApi(both.client).followMerchant(merchantId);
    await notifyApi(merchantFan.client).followMerchant(merchantId);

    const show = await creatorShow(server, host, merchantId, "Fanout live");
    await server.app.notifications.settled();
    assert.deepEqual(await kindsOf(both.client, show.id), ["show_scheduled"], "one notification although found as follower of both");
    assert.deepEqual(await kindsOf(merchantFan.client, show.id), ["show_scheduled"]);
    const item = (await notifyApi(both.client).list()).body.items.find((i) => i.showId === show.id)!;
    assert.equal(item.showTitle, "Fanout live");
    assert.equal(item.url, `/shows/${show.id}`);
    assert.equal(item.hostHandle, host.creator.handle);
    assert.equal(item.readAt, null);

    await notifyApi(reminderOnly.client).remind(show.id);
    // Duplicate events and repeated fan-outs add nothing.
    server.app.bus.publish({ type: "show.scheduled", showId: show.id, scheduledAt: Date.parse(show.scheduledAt) });
    await server.app.notifications.settled();
    assert.equal(await server.app.notifications.fanOut(show.id, "show_scheduled"), 0);
    assert.deepEqual(await kindsOf(both.client, show.id), ["show_scheduled"]);
    assert.deepEqual(await kindsOf(reminderOnly.client, show.id), [], "a reminder is not about scheduling");

    await server.app.shows.markLive(show.id);
    server.app.bus.publish({ type: "show.started", showId: show.id, at: Date.now() });
    await server.app.notifications.settled();
    await server.app.notifications.fanOut(show.id, "show_live");
    assert.deepEqual(await kindsOf(both.client, show.id), ["show_live", "show_scheduled"]);
    assert.deepEqual(await kindsOf(reminderOnly.client, show.id), ["show_live"]);
    assert.deepEqual(await kindsOf(stranger.client, show.id), []);
    assert.deepEqual(await kindsOf(host.client, show.id), [], "the host is not notified of its own show");
  });

  test("a creator with many followers is notified in batches", async () => {
    const { merchantId } = await newMerchant(server, "Crowd Shop");
    const host = await newCreator(server, "crowd");
    const db = server.app.db.db;
    const now = Date.now();
    const ids = Array.from({ length: 1234 }, (_, i) => `usr_crowd${unique()}${i}`);
    for (let i = 0; i < ids.length; i += 200) {
      const chunk = ids.slice(i, i + 200);
      await db.insertInto("users").values(chunk.map((id) => ({ id, email: `${id}@example.com`, display_name: id, password_hash: "x", role: "viewer" as const, merchant_id: null, created_at: now }))).execute();
      await db.insertInto("creator_follows").values(chunk.map((id) => ({ creator_id: host.creator.id, follower_user_id: id, created_at: now }))).execute();
    }
    const batches: number[] = [];
    const fanout = createFanout({ db, shows: server.app.shows, creators: server.app.creators, emailEnabled: false, onCreated: (b) => batches.push(b.length), clock: Date.now, log: pino({ level: "silent" }) });
    const show = await creatorShow(server, host, merchantId, "Crowd live");
    await server.app.notifications.settled();
    // The event's fan-out already ran: a second one finds everyone notified.
    assert.equal(await fanout.fanOut(show.id, "show_scheduled"), 0);
    assert.equal(await fanout.fanOut(show.id, "show_live"), 1234);
    assert.deepEqual(batches, [500, 500, 234]);
    const rows = await db.withTables<NotificationsTables>().selectFrom("notifications").select((eb) => eb.fn.countAll<number>().as("n")).where("show_id", "=", show.id).executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), 1234 * 2);
  });

  test("starting soon is sent once, across passes, concurrent schedulers and a restart", async () => {
    const { merchantId } = await newMerchant(server, "Soon Shop");
    const host = await newCreator(server, "soonhost");
    const fan = await newUser(server, "soonfan");
    const holder = await newUser(server, "holder");
    await creatorApi(fan.client).follow(host.creator.handle);
    const soon = await creatorShow(server, host, merchantId, "Soon live", 10);
    const later = await creatorShow(server, host, merchantId, "Later live", 60);
    await notifyApi(holder.client).remind(soon.id);
    await server.app.notifications.settled();

    await Promise.all([server.app.notifications.tick(), server.app.notifications.tick()]);
    assert.deepEqual(await kindsOf(fan.client, soon.id), ["show_scheduled", "show_starting_soon"]);
    assert.deepEqual(await kindsOf(holder.client, soon.id), ["show_starting_soon"]);
    assert.deepEqual(await kindsOf(fan.client, later.id), ["show_scheduled"], "not yet within the notice period");

    // A restart: a scheduler with nothing in memory finds the work done.
    const log = pino({ level: "silent" });
    const fresh = () => createDispatcher({ db: server.app.db.db, shows: server.app.shows, fanout: createFanout({ db: server.app.db.db, shows: server.app.shows, creators: server.app.creators, emailEnabled: false, onCreated: () => {}, clock: Date.now, log }), beforeMs: 15 * 60_000, clock: Date.now, log });
    await fresh().tick();
    assert.deepEqual(await kindsOf(holder.client, soon.id), ["show_starting_soon"]);

    // A crash mid-fan-out: the claim was taken and never finished; the next pass after the lease completes it.
    const db = server.app.db.db.withTables<NotificationsTables>();
    await db.insertInto("notification_dispatches").values({ show_id: later.id, kind: "show_starting_soon", claimed_at: Date.now() - 10 * 60_000, done_at: null }).execute();
    const r = await fresh().tick();
    assert.equal(r.recovered, 1);
    assert.deepEqual(await kindsOf(fan.client, later.id), ["show_scheduled", "show_starting_soon"]);
    await fresh().tick(Date.now() + 50 * 60_000);
    assert.deepEqual(await kindsOf(fan.client, later.id), ["show_scheduled", "show_starting_soon"]);
  });

  test("the stream delivers a new notification and the unread count at once", async () => {
    const { merchantId } = await newMerchant(server, "Stream Shop");
    const host = await newCreator(server, "streamhost");
    const fan = await newUser(server, "streamer");
    await notifyApi(fan.client).followMerchant(merchantId);
    const stream = await openNotificationStream(fan.client);
    try {
      assert.deepEqual(await stream.next(), { type: "unread", unread: 0 });
      const show = await creatorShow(server, host, merchantId, "Streamed live");
      const e = await stream.next();
      assert.equal(e.type, "notification");
      assert.ok(e.type === "notification");
      assert.equal(e.notification.showId, show.id);
      assert.equal(e.notification.kind, "show_scheduled");
      assert.equal(e.unread, 1);
      await notifyApi(fan.client).read({ all: true });
      assert.deepEqual(await stream.next(), { type: "unread", unread: 0 });
    } finally {
      stream.close();
    }
    const refused = await fetch(`${server.baseUrl}/api/v1/me/notifications/stream`);
    assert.equal(refused.status, 401);
  });

  test("only your own notifications: list, read and pages", async () => {
    const { merchantId } = await newMerchant(server, "Own Shop");
    const host = await newCreator(server, "ownhost");
    const a = await newUser(server, "a");
    const b = await newUser(server, "b");
    await notifyApi(a.client).followMerchant(merchantId);
    for (let i = 0; i < 3; i++) await creatorShow(server, host, merchantId, `Own ${i}`);
    await server.app.notifications.settled();
    const mine = (await notifyApi(a.client).list()).body;
    assert.equal(mine.items.length, 3);
    assert.equal(mine.unread, 3);
    assert.deepEqual((await notifyApi(b.client).list()).body.items, []);
    // B marking A's notification read does nothing to it.
    assert.deepEqual((await notifyApi(b.client).read({ ids: [mine.items[0]!.id] })).body, { unread: 0 });
    assert.deepEqual((await notifyApi(a.client).unread()).body, { unread: 3 });
    assert.deepEqual((await notifyApi(a.client).read({ ids: [mine.items[0]!.id] })).body, { unread: 2 });
    // Pages, newest first.
    const first = (await notifyApi(a.client).list("?limit=2")).body;
    assert.deepEqual(first.items.map((i) => i.showTitle), ["Own 2", "Own 1"]);
    assert.ok(first.nextCursor);
    const second = (await notifyApi(a.client).list(`?limit=2&cursor=${first.nextCursor}`)).body;
    assert.deepEqual(second.items.map((i) => i.showTitle), ["Own 0"]);
    assert.equal(second.nextCursor, null);
    assert.equal((await notifyApi(server.client()).list()).problem?.code, "unauthenticated");
  });

  test("bad input gets its codes", async () => {
    const { client } = await newUser(server);
    const api = notifyApi(client);
    for (const body of [{}, { ids: [] }, { all: false }, { ids: ["bad id!"] }]) assert.equal((await api.read(body)).problem?.code, "validation_failed", JSON.stringify(body));
    assert.equal((await api.setSettings({ email: "yes" })).problem?.code, "validation_failed");
    assert.equal((await api.setSettings({ email: true, locale: "fr" })).problem?.code, "validation_failed");
    assert.equal((await api.list("?cursor=nonsense")).problem?.code, "validation_failed");
    assert.equal((await api.list("?limit=1000")).problem?.code, "validation_failed");
    assert.equal((await api.calendar("shw_nope")).status, 404);
    const unsub = await server.client().request("GET", "/unsubscribe?token=usr_x.forged");
    assert.equal(unsub.status, 404);
    // Without SMTP the setting is kept, and says e-mail is not available.
    assert.deepEqual((await api.setSettings({ email: true })).body, { email: true, locale: null, emailAvailable: false });
  });

  test("a show as an iCalendar file: UTC start, duration, escaped text, folded lines", async () => {
    const { merchantId } = await newMerchant(server, "Cal Shop");
    const host = await newCreator(server, "calhost");
    const at = "2031-05-06T07:08:00.000Z";
    const r = await server.app.shows.createForCampaign({ merchantId, hostUserId: host.userId, campaignId: "cmp_test", input: { title: "Shoes, bags; more\\less", description: "Line one\nLine two, with ünïcödé ".repeat(4), coverUrl: null, scheduledAt: at, productIds: [] } });
    assert.ok(r.ok);
    const res = await notifyApi(server.client()).calendar(r.show.id);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/calendar/);
    assert.match(res.headers.get("content-disposition") ?? "", /attachment; filename="vetrina-.+\.ics"/);
    const ics = res.body;
    assert.ok(ics.startsWith("BEGIN:VCALENDAR\r\n") && ics.endsWith("END:VCALENDAR\r\n"));
    for (const line of ics.split("\r\n")) assert.ok(Buffer.byteLength(line) <= 75, `folded: ${line}`);
    assert.ok(!/[^\r]\n/.test(ics), "every line ends in CRLF");
    const unfolded = ics.replace(/\r\n /g, "");
    const field = (name: string) => unfolded.split("\r\n").find((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));
    assert.equal(field("UID"), `UID:${r.show.id}@${new URL(server.config.publicUrl).hostname}`);
    assert.equal(field("DTSTART"), "DTSTART:20310506T070800Z");
    assert.match(field("DTSTAMP")!, /^DTSTAMP:\d{8}T\d{6}Z$/);
    assert.equal(field("DURATION"), "DURATION:PT60M");
    assert.equal(field("SUMMARY"), "SUMMARY:Shoes\\, bags\\; more\\\\less");
    assert.match(field("DESCRIPTION")!, /Line one\\nLine two\\, with ünïcödé/);
    assert.equal(field("URL"), `URL;VALUE=URI:${server.config.publicUrl}/shows/${r.show.id}`);
    await server.app.shows.markEnded(r.show.id, "test");
    assert.equal((await notifyApi(server.client()).calendar(r.show.id)).problem?.code, "show_already_ended");
  });
});

interface Received {
  to: string[];
  raw: string;
}

describe("notification e-mail through a real SMTP server", () => {
  let server: TestServer;
  let smtp: SMTPServer;
  const inbox: Received[] = [];
  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
          callback();
        });
      },
    });
    const port = await freePort();
    await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
    server = await startServer({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: "Vetrina <no-reply@vetrina.test>" });
  });
  after(async () => {
    await server?.close();
    await new Promise<void>((resolve) => smtp.close(resolve));
  });

  const headersOf = (raw: string) => raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  const decoded = (raw: string) => raw.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

  test("a follower who opted in gets the e-mail with an unsubscribe link and header; after unsubscribing, no more", async () => {
    const { merchantId } = await newMerchant(server, "Mail Shop");
    const host = await newCreator(server, "mailhost");
    const italian = await newUser(server, "italian");
    const quiet = await newUser(server, "quiet");
    const italianEmail = (await italian.client.auth.me()).body.user!.email;
    for (const u of [italian, quiet]) await creatorApi(u.client).follow(host.creator.handle);
    assert.deepEqual((await notifyApi(italian.client).setSettings({ email: true, locale: "it" })).body, { email: true, locale: "it", emailAvailable: true });

    const show = await creatorShow(server, host, merchantId, "Saldi, scarpe & borse");
    await server.app.notifications.settled();
    await server.app.notifications.drainMail();
    const mail = await until("the e-mail", async () => inbox.find((m) => m.to.includes(italianEmail)));
    assert.equal(inbox.length, 1, "only the user who opted in");
    // The in-app notification too.
    assert.deepEqual(await kindsOf(italian.client, show.id), ["show_scheduled"]);

    const headers = headersOf(mail.raw);
    assert.match(headers, /^Subject: Nuovo show: Saldi, scarpe & borse$/m);
    assert.match(headers, /^From: Vetrina <no-reply@vetrina\.test>/im);
    const listUnsub = /^List-Unsubscribe: <([^>]+)>/im.exec(headers);
    assert.ok(listUnsub, "a List-Unsubscribe header");
    assert.match(headers, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click/im);
    const link = listUnsub![1]!;
    assert.ok(link.startsWith(`${server.config.publicUrl}/unsubscribe?token=`));
    const body = decoded(mail.raw);
    assert.ok(body.includes(link), "the unsubscribe link is in the body");
    assert.ok(body.includes(`/shows/${show.id}`), "a link to the show");
    assert.match(body, /ha in programma/);

    // Opening the link (as a mail scanner would) only asks; its button unsubscribes, no sign-in.
    const local = link.replace(server.config.publicUrl, server.baseUrl);
    const opened = await fetch(local, { headers: { "accept-language": "it-IT,it;q=0.9" } });
    assert.equal(opened.status, 200);
    const confirmPage = await opened.text();
    assert.match(confirmPage, /Vuoi disiscriverti\?/);
    const action = /<form method="post" action="([^"]+)"/.exec(confirmPage)![1]!.replace(/&#38;/g, "&");
    assert.equal((await notifyApi(italian.client).settings()).body.email, true, "opening the link changes nothing");
    const clicked = await fetch(server.baseUrl + action, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" });
    assert.equal(clicked.status, 200);
    assert.match(await clicked.text(), /Unsubscribed/);
    assert.equal((await notifyApi(italian.client).settings()).body.email, false);

    await creatorShow(server, host, merchantId, "Another show");
    await server.app.notifications.settled();
    await server.app.notifications.drainMail();
    await server.app.shows.markLive(show.id);
    await server.app.notifications.settled();
    await server.app.notifications.drainMail();
    assert.equal(inbox.length, 1, "no more e-mails after unsubscribing");
    assert.equal((await notifyApi(italian.client).unread()).body.unread, 3, "in-app notifications go on");
  });
});
