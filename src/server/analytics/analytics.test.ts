import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import { buyBody, demoShow, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import type { AnalyticsReport } from "../../shared/contracts/analytics.ts";
import type { Show } from "../../shared/contracts/shows.ts";
import { analyticsApi, freshShow } from "../../../test/support/analytics.ts";

describe("live analytics", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("the dashboard follows a show: viewers, likes, chat, the funnel card shown → tapped → checkout → paid, GMV per product", async () => {
    const show = await freshShow(server, "Analytics: a whole funnel");
    const tee = show.products.find((p) => /tee/i.test(p.title))!;
    const variant = tee.variants.find((v) => v.stock > 0)!;
    const merchant = await server.as("merchant");
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const api = analyticsApi(merchant);
    const stream = await api.stream(show.id);
    assert.equal(stream.status, 200);
    assert.match(stream.contentType ?? "", /text\/event-stream/);
    await until("the first pushed figures", async () => stream.updates.length > 0, 5000);
    assert.equal(stream.updates[0]!.live.totals.ordersPaid, 0);

    const room = await viewer.joinRoom(show.id);
    const anonymous = await server.client().joinRoom(show.id);
    assert.equal((await host.shows.showcase(show.id, tee.id)).status, 200, "the card reaches the two viewers in the room");
    const late = await server.client().joinRoom(show.id);
    room.send({ type: "like.send", count: 5 });
    room.send({ type: "like.send", count: 2 });
    room.send({ type: "chat.send", text: "Does it come in blue?" });
    await room.next((e) => e.type === "chat.message");
    const sent = await analyticsApi(viewer).send([
      { kind: "card.tapped", showId: show.id, productId: tee.id },
      { kind: "card.tapped", showId: show.id, productId: tee.id },
      { kind: "checkout.started", showId: show.id, productId: tee.id },
    ]);
    assert.equal(sent.status, 202);
    assert.deepEqual(sent.body, { accepted: 3, dropped: 0 });
    const boughtAt = Date.now();
    const order = await viewer.checkout.buyNow(buyBody(show.id, variant.id, undefined, 2), idemKey());
    assert.equal(order.status, 201);

    // Pushed within 2 s of the purchase.
    const pushed = await until("the purchase on the live stream", async () => stream.updates.find((u) => u.live.totals.ordersPaid === 1), 5000);
    assert.ok(pushed.at - boughtAt <= 2000, `pushed ${pushed.at - boughtAt} ms after the purchase`);

    const live = (await api.live(show.id)).body;
    assert.equal(live.currentViewers, 3);
    assert.equal(live.totals.peakViewers, 3);
    assert.equal(live.totals.likes, 7);
    assert.equal(live.totals.chatMessages, 1);
    assert.equal(live.totals.cardsShown, 3, "two viewers when showcased, one who joined while it was on screen");
    assert.equal(live.totals.cardsTapped, 2);
    assert.equal(live.totals.checkoutsStarted, 1);
    assert.equal(live.totals.ordersPaid, 1);
    assert.equal(live.totals.unitsPaid, 2);
    assert.deepEqual(live.totals.gmv, [{ currency: "EUR", amount: variant.price * 2 }]);
    const teeFigures = live.products.find((p) => p.productId === tee.id)!;
    assert.equal(teeFigures.title, tee.title);
    assert.deepEqual([teeFigures.cardsShown, teeFigures.cardsTapped, teeFigures.checkoutsStarted, teeFigures.ordersPaid], [3, 2, 1, 1]);
    const minute = live.minutes.at(-1)!;
    assert.equal(minute.viewers, 3);
    assert.ok(live.minutes.reduce((s, m) => s + m.likes, 0) === 7);

    // Leaving is seen too; after a flush the stored figures are the same.
    late.close();
    await until("the room shrinking", async () => (await api.live(show.id)).body.currentViewers === 2, 5000);
    await server.app.analytics.flush();
    const stored = (await api.live(show.id)).body;
    assert.deepEqual({ ...stored.totals }, { ...live.totals });
    assert.equal(stored.minutes.at(-1)!.viewers, 2);
    assert.equal(stored.minutes.at(-1)!.viewersMax, 3);
    room.close();
    anonymous.close();
    stream.close();
  });

  test("ingest: anonymous batches are counted; unknown kinds, too many events and foreign products are refused or dropped", async () => {
    const show = await freshShow(server, "Analytics: ingest");
    const mug = show.products.find((p) => /mug/i.test(p.title))!;
    const anon = analyticsApi(server.client());

    const ok = await anon.send([{ kind: "card.tapped", showId: show.id, productId: mug.id }]);
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.body, { accepted: 1, dropped: 0 });

    const unknown = await anon.send([{ kind: "order.paid", showId: show.id, productId: mug.id }]);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.problem?.code, "validation_failed");
    assert.match(unknown.headers.get("content-type") ?? "", /application\/problem\+json/);

    const tooMany = await anon.send(Array.from({ length: 51 }, () => ({ kind: "card.tapped", showId: show.id, productId: mug.id })));
    assert.equal(tooMany.problem?.code, "validation_failed");
    const none = await anon.send([]);
    assert.equal(none.problem?.code, "validation_failed");

    const merchant = await server.as("merchant");
    const outside = await merchant.products.create({ title: "Not in any show", currency: "EUR", variants: [{ price: 100, stock: 1 }] });
    const mixed = await anon.send([
      { kind: "checkout.started", showId: show.id, productId: mug.id },
      { kind: "card.tapped", showId: show.id, productId: outside.body.id },
      { kind: "card.tapped", showId: "shw_nosuchshow", productId: mug.id },
    ]);
    assert.deepEqual(mixed.body, { accepted: 1, dropped: 2 });

    const live = (await analyticsApi(merchant).live(show.id)).body;
    assert.equal(live.totals.cardsTapped, 1);
    assert.equal(live.totals.checkoutsStarted, 1);
  });

  test("ingest is rate-limited per session: a flood gets 429 rate_limited with Retry-After", async () => {
    const show = await freshShow(server, "Analytics: flood");
    const mug = show.products.find((p) => /mug/i.test(p.title))!;
    const flooder = server.client();
    await flooder.auth.signUp(`flood-${process.pid}@example.com`, "password-123", "Flooder");
    const api = analyticsApi(flooder);
    const batch = [{ kind: "card.tapped", showId: show.id, productId: mug.id }];
    const results = await Promise.all(Array.from({ length: 40 }, () => api.send(batch)));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, "some requests were limited");
    assert.ok(results.filter((r) => r.status === 202).length >= 20, "the burst is allowed");
    assert.equal(limited[0]!.problem?.code, "rate_limited");
    assert.ok(Number(limited[0]!.headers.get("retry-after")) >= 1);
    // Someone else is not affected.
    assert.equal((await analyticsApi(server.client()).send(batch)).status, 202);
  });
});

describe("analytics authorization", () => {
  let server: TestServer;
  let show: Show;
  let merchantShow: Show;
  let otherMerchant: ApiClient;
  let otherHost: ApiClient;
  before(async () => {
    server = await startServer();
    show = await freshShow(server, "Analytics: who may look");
    // The demo merchant's second show is hosted by its own staff, not by the demo creator.
    merchantShow = (await server.app.shows.get((await server.app.shows.list({ limit: 50 })).find((s) => s.title.startsWith("Beauty hour"))!.id))!;
    await server.app.shows.markLive(merchantShow.id);
    const merchantId = (await server.app.accounts.createMerchant("Other Brand", "EUR")).id;
    await server.app.accounts.signUp({ email: "other-merchant@example.com", password: "password-123", displayName: "Other", role: "merchant", merchantId });
    await server.app.accounts.signUp({ email: "other-host@example.com", password: "password-123", displayName: "Other creator", role: "host" });
    otherMerchant = server.client();
    await otherMerchant.auth.signIn("other-merchant@example.com", "password-123");
    otherHost = server.client();
    await otherHost.auth.signIn("other-host@example.com", "password-123");
    // Some figures in both shows.
    const viewer = await server.as("viewer");
    for (const s of [show, merchantShow]) {
      const v = s.products.flatMap((p) => p.variants).find((x) => x.stock > 0)!;
      assert.equal((await viewer.checkout.buyNow(buyBody(s.id, v.id), idemKey())).status, 201);
    }
    await until("both orders counted", async () => {
      await server.app.analytics.flush();
      const r = await analyticsApi(await server.as("admin")).report({});
      return r.body.totals.ordersPaid === 2;
    }, 5000);
  });
  after(() => server.close());

  test("live figures: the show's merchant, its host and admins; nobody else", async () => {
    for (const who of ["merchant", "host", "admin"] as const) {
      const res = await analyticsApi(await server.as(who)).live(show.id);
      assert.equal(res.status, 200, who);
      assert.equal(res.body.totals.ordersPaid, 1, who);
    }
    assert.equal((await analyticsApi(await server.as("viewer")).live(show.id)).problem?.code, "forbidden");
    assert.equal((await analyticsApi(otherMerchant).live(show.id)).problem?.code, "forbidden");
    assert.equal((await analyticsApi(otherHost).live(show.id)).problem?.code, "forbidden");
    const anon = await analyticsApi(server.client()).live(show.id);
    assert.equal(anon.status, 401);
    assert.equal(anon.problem?.code, "unauthenticated");
    assert.equal((await analyticsApi(await server.as("admin")).live("shw_nosuchshow")).problem?.code, "not_found");
    // The demo creator does not host the merchant's own show.
    assert.equal((await analyticsApi(await server.as("host")).live(merchantShow.id)).problem?.code, "forbidden");
    // The live stream is guarded the same way, before any byte of the stream is sent.
    const denied = await analyticsApi(otherMerchant).stream(show.id);
    assert.equal(denied.status, 403);
    assert.match(denied.contentType ?? "", /application\/problem\+json/);
  });

  test("reports: a merchant sees its shows, a creator only the shows it hosts, an admin everything", async () => {
    const titles = (r: AnalyticsReport) => r.shows.map((s) => s.title).sort();
    const merchant = await analyticsApi(await server.as("merchant")).report({});
    assert.deepEqual(titles(merchant.body), [merchantShow.title, show.title].sort());
    assert.equal(merchant.body.totals.ordersPaid, 2);
    const host = await analyticsApi(await server.as("host")).report({});
    assert.deepEqual(titles(host.body), [show.title]);
    assert.equal(host.body.totals.ordersPaid, 1);
    const admin = await analyticsApi(await server.as("admin")).report({});
    assert.equal(admin.body.totals.ordersPaid, 2);
    const other = await analyticsApi(otherMerchant).report({});
    assert.equal(other.status, 200);
    assert.deepEqual(other.body.shows, []);
    assert.equal(other.body.totals.ordersPaid, 0);

    assert.equal((await analyticsApi(await server.as("host")).report({ showId: merchantShow.id })).problem?.code, "forbidden");
    assert.equal((await analyticsApi(otherMerchant).report({ showId: show.id })).problem?.code, "forbidden");
    assert.equal((await analyticsApi(await server.as("viewer")).report({})).problem?.code, "forbidden");
    assert.equal((await analyticsApi(server.client()).report({})).status, 401);

    // A product: its merchant sees all of it, a creator its own shows' part, another merchant nothing.
    const lipstick = merchantShow.products.find((p) => /lipstick/i.test(p.title)) ?? merchantShow.products[0]!;
    assert.equal((await analyticsApi(otherMerchant).report({ productId: lipstick.id })).problem?.code, "forbidden");
    const byHost = await analyticsApi(await server.as("host")).report({ productId: lipstick.id });
    assert.equal(byHost.status, 200);
    assert.equal(byHost.body.totals.ordersPaid, 0, "the creator did not sell it");
    assert.equal(byHost.body.totals.peakViewers, null, "room figures belong to shows, not products");
  });

  test("report queries are validated: dates, ranges, showId and productId together", async () => {
    const api = analyticsApi(await server.as("merchant"));
    assert.equal((await api.report({ from: "yesterday" })).problem?.code, "validation_failed");
    assert.equal((await api.report({ from: "2025-02-01", to: "2025-01-01" })).problem?.code, "validation_failed");
    assert.equal((await api.report({ from: "2020-01-01", to: "2025-01-01" })).problem?.code, "validation_failed");
    assert.equal((await api.report({ showId: show.id, productId: show.products[0]!.id })).problem?.code, "validation_failed");
    assert.equal((await api.report({ format: "xml" })).problem?.code, "validation_failed");
    const empty = await api.report({ from: "2020-01-01", to: "2020-01-31" });
    assert.equal(empty.status, 200);
    assert.equal(empty.body.to, "2020-02-01T00:00:00.000Z", "a date `to` includes that day");
    assert.equal(empty.body.totals.ordersPaid, 0);
  });

  test("the demo show has its figures too (the fixture show is just another show)", async () => {
    const { show: demo, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    assert.equal((await viewer.checkout.buyNow(buyBody(demo.id, variant.id), idemKey())).status, 201);
    const live = await until("the order on the demo show", async () => {
      const r = await analyticsApi(await server.as("host")).live(demo.id);
      return r.body.totals.ordersPaid === 1 ? r.body : null;
    }, 5000);
    assert.deepEqual(live.totals.gmv, [{ currency: "EUR", amount: variant.price }]);
  });
});
