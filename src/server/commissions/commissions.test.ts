import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { TestClock } from "../../../test/support/flash.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import { campaignApi, campaignBody, earningsApi, newCreator, unannouncedOrder } from "../../../test/support/creators.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import { Earnings, Statement } from "../../shared/contracts/commissions.ts";
import { commissionFor, lineKeys } from "./money.ts";

const DAY = 86_400_000;

describe("the rounding rule", () => {
  test("floor per line, in integer minor units; the remainder stays with the merchant", () => {
    assert.equal(commissionFor(8700, 1250), 1087); // 1087.5
    assert.equal(commissionFor(1950, 333), 64); // 64.935
    assert.equal(commissionFor(99, 100), 0); // 0.99
    assert.equal(commissionFor(10_000, 8000), 8000);
    assert.equal(commissionFor(0, 5000), 0);
    // Beyond 2^53 in the intermediate product, still exact.
    assert.equal(commissionFor(2_000_000_000_019, 7777), 1_555_400_000_014);
    assert.throws(() => commissionFor(10.5, 100), RangeError);
    assert.throws(() => commissionFor(-1, 100), RangeError);
  });

  test("line keys name the same lines however the order lists them", () => {
    const lines = [
      { productId: "p1", variantId: "v2", unitPrice: 500, quantity: 1 },
      { productId: "p1", variantId: "v1", unitPrice: 900, quantity: 2 },
      { productId: "p1", variantId: "v1", unitPrice: 900, quantity: 1 },
    ];
    const keyed = (ls: typeof lines) => Object.fromEntries(lineKeys(ls).map((l) => [l.lineKey, l.lineTotal]));
    assert.deepEqual(keyed(lines), { "v1.0": 900, "v1.1": 1800, "v2.0": 500 });
    assert.deepEqual(keyed([...lines].reverse()), keyed(lines));
  });
});

describe("commissions", () => {
  let server: TestServer;
  const clock = new TestClock();
  let brand: ApiClient;
  let viewer: ApiClient;
  let tee: Product;
  let lipstick: Product;
  let mug: Product;
  before(async () => {
    server = await startServer({}, { clock: clock.now });
    brand = await server.as("merchant");
    viewer = await server.as("viewer");
    const products = (await brand.products.list()).body.items;
    tee = products.find((p) => p.title.includes("tee"))!;
    lipstick = products.find((p) => p.title.includes("lipstick"))!;
    mug = products.find((p) => p.title.includes("mug"))!;
    for (const p of [tee, lipstick, mug]) for (const v of p.variants) await brand.request("PUT", `/api/v1/merchant/variants/${v.id}/stock`, { stock: 500 });
  });
  after(() => server.close());

  /** A new creator in a new campaign (12.5 %, the lipstick at 3.33 %), with a live show of tee, lipstick and mug. */
  async function liveCampaignShow(name: string, products = [tee, lipstick, mug]) {
    const creator = await newCreator(server, name);
    const campaign = (
      await campaignApi(brand).create(
        campaignBody([], {
          commissionBps: 1250,
          products: products.map((p) => ({ productId: p.id, commissionBps: p.id === lipstick.id ? 333 : null })),
          invitedHandles: [creator.creator.handle],
        }),
      )
    ).body;
    await campaignApi(creator.client).accept(campaign.id);
    const show = (await campaignApi(creator.client).scheduleShow({ campaignId: campaign.id, title: `${name} live`, scheduledAt: new Date().toISOString(), productIds: products.map((p) => p.id) })).body;
    await server.app.shows.markLive(show.id);
    return { ...creator, campaign, show };
  }

  const variantOf = (p: Product) => p.variants.find((v) => v.stock > 0)!;
  const buy = async (showId: string, p: Product, quantity = 1) => {
    const res = await viewer.checkout.buyNow(buyBody(showId, variantOf(p).id, undefined, quantity), idemKey());
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const ledger = (where: { orderId?: string; creatorId?: string }) => {
    let q = server.app.db.db.selectFrom("commission_entries").selectAll();
    if (where.orderId) q = q.where("order_id", "=", where.orderId);
    if (where.creatorId) q = q.where("beneficiary_id", "=", where.creatorId);
    return q.orderBy("created_at").orderBy("id").execute();
  };
  const sum = (rows: { amount: number | string }[]) => rows.reduce((s, r) => s + Number(r.amount), 0);
  const balancesOf = async (c: ApiClient) => {
    const res = await earningsApi(c).balances();
    assert.equal(res.status, 200);
    return Earnings.parse(res.body).balances;
  };

  test("a viewer buys in a creator's campaign show: the creator's earnings show the exact commission; a cancellation reverses it", async () => {
    const kol = await liveCampaignShow("earner");
    const teeOrder = await buy(kol.show.id, tee, 3); // 3 × 29.00 at 12.5 % = 10.875 → 10.87
    const lipOrder = await buy(kol.show.id, lipstick); // 19.50 at 3.33 % = 0.64935 → 0.64
    const expected = 1087 + 64;
    const pending = await until("the commission in the creator's earnings", async () => {
      const b = await balancesOf(kol.client);
      return b[0]?.pending === expected ? b : null;
    }, 10_000);
    assert.deepEqual(pending, [{ currency: "EUR", pending: expected, available: 0, paidOut: 0 }]);
    const entries = await ledger({ creatorId: kol.creator.id });
    assert.deepEqual(
      entries.map((e) => [e.kind, e.order_id, e.product_id, Number(e.line_total), e.rate_bps, Number(e.amount), e.idempotency_key.split(":")[0]]),
      [
        ["accrual", teeOrder.id, tee.id, 8700, 1250, 1087, "accrual"],
        ["accrual", lipOrder.id, lipstick.id, 1950, 333, 64, "accrual"],
      ],
    );
    assert.ok(entries.every((e) => e.campaign_id === kol.campaign.id && e.show_id === kol.show.id && e.beneficiary_type === "creator" && e.currency === "EUR"));

    // The brand cancels (and so refunds) the tee order: its commission is reversed, exactly.
    assert.equal((await brand.orders.transition(teeOrder.id, "cancelled")).body.status, "refunded");
    await until("the reversal", async () => (await balancesOf(kol.client))[0]?.pending === 64);
    const afterCancel = await ledger({ orderId: teeOrder.id });
    assert.deepEqual(afterCancel.map((e) => [e.kind, Number(e.amount)]), [["accrual", 1087], ["reversal", -1087]]);
    assert.equal(afterCancel[1]!.reverses_id, afterCancel[0]!.id);
    assert.equal(afterCancel[1]!.idempotency_key, afterCancel[0]!.idempotency_key.replace("accrual:", "reversal:"));

    // Others see none of it: earnings are only ever one's own.
    const other = await newCreator(server, "other");
    assert.deepEqual(await balancesOf(other.client), []);
    assert.equal((await earningsApi(viewer).balances()).problem?.code, "creator_profile_required");
    assert.equal((await earningsApi(server.client()).balances()).problem?.code, "unauthenticated");
  });

  test("the statement (JSON and CSV) reconciles exactly with the ledger, per period", async () => {
    const kol = await liveCampaignShow("statement");
    const t0 = clock.now();
    const a = await buy(kol.show.id, tee, 2); // 5800 → 725
    const b = await buy(kol.show.id, mug); // 2400 → 300
    await server.app.commissions.idle();
    clock.advance(DAY);
    await brand.orders.transition(a.id, "cancelled");
    await until("the reversal", async () => (await ledger({ orderId: a.id })).length === 2);
    const t1 = clock.now();

    const statementOf = async (from: number, to: number) => {
      const res = await earningsApi(kol.client).statement(new Date(from).toISOString(), new Date(to).toISOString());
      assert.equal(res.status, 200);
      return Statement.parse(res.body);
    };
    const all = await ledger({ creatorId: kol.creator.id });
    const inPeriod = (from: number, to: number) => all.filter((e) => Number(e.created_at) >= from && Number(e.created_at) < to);

    // The whole history.
    const whole = await statementOf(t0 - 1000, t1 + 1000);
    assert.deepEqual(whole.totals, [{ currency: "EUR", opening: 0, accruals: 1025, reversals: -725, net: 300, closing: 300 }]);
    assert.deepEqual(whole.entries.map((e) => e.id), inPeriod(t0 - 1000, t1 + 1000).map((e) => e.id));
    assert.equal(whole.totals[0]!.accruals, sum(all.filter((e) => e.kind === "accrual")));
    assert.equal(whole.totals[0]!.reversals, sum(all.filter((e) => e.kind === "reversal")));
    assert.deepEqual(whole.entries.map((e) => e.orderId), [a.id, b.id, a.id]);
    assert.equal(whole.entries[0]!.availableAt, new Date(Number(all[0]!.earned_at) + 14 * DAY).toISOString());
    assert.equal(whole.entries[2]!.availableAt, whole.entries[0]!.availableAt, "a reversal leaves the hold with its accrual");

    // Two adjoining periods: the second opens where the first closed.
    const split = t0 + DAY / 2;
    const first = await statementOf(t0 - 1000, split);
    const second = await statementOf(split, t1 + 1000);
    assert.deepEqual(first.totals, [{ currency: "EUR", opening: 0, accruals: 1025, reversals: 0, net: 1025, closing: 1025 }]);
    assert.deepEqual(second.totals, [{ currency: "EUR", opening: 1025, accruals: 0, reversals: -725, net: -725, closing: 300 }]);
    assert.equal(second.totals[0]!.closing, sum(all));
    const empty = await statementOf(t1 + 10_000, t1 + 20_000);
    assert.deepEqual(empty.entries, []);
    assert.deepEqual(empty.totals, [{ currency: "EUR", opening: 300, accruals: 0, reversals: 0, net: 0, closing: 300 }]);

    // CSV: the same entries, one per row; the amounts add up to the same net.
    const csv = await earningsApi(kol.client).statement(new Date(t0 - 1000).toISOString(), new Date(t1 + 1000).toISOString(), "csv");
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
    assert.match(csv.headers.get("content-disposition") ?? "", /attachment; filename="vetrina-statement-.*\.csv"/);
    const [header, ...rows] = (csv.body as string).trimEnd().split("\r\n");
    const cols = header!.split(",");
    assert.deepEqual(cols.slice(0, 3), ["entry_id", "at", "kind"]);
    const amount = cols.indexOf("amount");
    assert.equal(rows.length, 3);
    assert.equal(rows.reduce((s, r) => s + Number(r.split(",")[amount]), 0), 300);
    assert.deepEqual(rows.map((r) => r.split(",")[0]), whole.entries.map((e) => e.id));

    const bad = await earningsApi(kol.client).statement(new Date(t1).toISOString(), new Date(t0).toISOString());
    assert.equal(bad.problem?.code, "validation_failed");
    assert.equal((await kol.client.request("GET", "/api/v1/me/earnings/statement?from=yesterday&to=today")).problem?.code, "validation_failed");
  });

  test("commission stays pending for the hold period (14 days by default), then is available; a late refund takes it back from where it is", async () => {
    const kol = await liveCampaignShow("holder");
    const order = await buy(kol.show.id, tee); // 2900 → 362
    await until("the accrual", async () => (await balancesOf(kol.client))[0]?.pending === 362);
    assert.equal((await earningsApi(kol.client).balances()).body.holdDays, 14);
    clock.advance(14 * DAY - 60_000);
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 362, available: 0, paidOut: 0 }]);
    clock.advance(120_000);
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 0, available: 362, paidOut: 0 }]);
    await brand.orders.transition(order.id, "cancelled");
    await until("the reversal", async () => (await balancesOf(kol.client))[0]?.available === 0);
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 0, available: 0, paidOut: 0 }], "never negative in either bucket");
  });

  test("a purchase in the replay of a creator's campaign show is attributed like one made live", async () => {
    const kol = await liveCampaignShow("replayer");
    await server.app.shows.markEnded(kol.show.id, "stopped_by_host");
    await server.app.shows.setRecording(kol.show.id, "ready");
    const order = await buy(kol.show.id, tee, 2); // 5800 at 12.5 % → 725
    await server.app.commissions.idle();
    const entries = await ledger({ orderId: order.id });
    assert.deepEqual(entries.map((e) => [e.kind, e.beneficiary_id, e.show_id, Number(e.amount)]), [["accrual", kol.creator.id, kol.show.id, 725]]);
  });

  test("payouts: the operator pays at most the available balance, once per Idempotency-Key; concurrent payouts cannot overdraw", async () => {
    const kol = await liveCampaignShow("payee");
    await buy(kol.show.id, tee, 4); // 11600 → 1450
    await until("the accrual", async () => (await balancesOf(kol.client))[0]?.pending === 1450);
    const admin = await server.as("admin");
    const pay = (body: Record<string, unknown>, key?: string) =>
      admin.request<{ id: string; amount: number }>("POST", "/api/v1/admin/payouts", { beneficiaryType: "creator", beneficiaryId: kol.creator.id, currency: "EUR", reference: "SEPA 2026-11-30", ...body }, key ? { "idempotency-key": key } : {});

    // Pending money cannot be paid out.
    assert.equal((await pay({ amount: 1 }, "payout-pending-1")).problem?.code, "payout_exceeds_available");
    clock.advance(15 * DAY);
    const due = (await admin.request<{ items: { beneficiaryId: string; available: number }[] }>("GET", "/api/v1/admin/payouts/due?currency=EUR")).body.items;
    assert.equal(due.find((d) => d.beneficiaryId === kol.creator.id)?.available, 1450);

    // Only admins; a key is required; the body is validated.
    assert.equal((await brand.request("POST", "/api/v1/admin/payouts", { beneficiaryType: "creator", beneficiaryId: kol.creator.id, currency: "EUR", amount: 1, reference: "x" }, { "idempotency-key": "payout-brand-1" })).problem?.code, "forbidden");
    assert.equal((await pay({ amount: 100 })).problem?.code, "idempotency_key_required");
    assert.equal((await pay({ amount: 10.5 }, "payout-float-1")).problem?.code, "validation_failed");

    const first = await pay({ amount: 1000 }, "payout-first-1");
    assert.equal(first.status, 201);
    const again = await pay({ amount: 1000 }, "payout-first-1");
    assert.equal(again.status, 200, "a retry answers the same payout");
    assert.equal(again.body.id, first.body.id);
    assert.equal((await pay({ amount: 999 }, "payout-first-1")).problem?.code, "idempotency_key_reused");
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 0, available: 450, paidOut: 1000 }]);

    // Four payouts of 300 decided at once on 450 available: one is written, the others refused.
    const racing = await Promise.all(["a", "b", "c", "d"].map((k) => pay({ amount: 300 }, `payout-race-${k}`)));
    assert.deepEqual(racing.map((r) => r.status).sort(), [201, 409, 409, 409]);
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 0, available: 150, paidOut: 1300 }]);
    const mine = (await kol.client.request<{ items: { amount: number }[] }>("GET", "/api/v1/me/payouts")).body.items;
    assert.deepEqual(mine.map((p) => p.amount), [300, 1000]);
    assert.equal((await viewer.request("GET", "/api/v1/me/payouts")).problem?.code, "creator_profile_required");
    const csv = (await admin.request<string>("GET", "/api/v1/admin/payouts/due?currency=EUR&format=csv")).body;
    assert.match(csv, new RegExp(`^creator,${kol.creator.id},EUR,150\\r$`, "m"));
  });

  test("a duplicated order.paid event, a retry and a repeated cancellation enter nothing twice", async () => {
    const kol = await liveCampaignShow("dupes");
    const order = await buy(kol.show.id, tee, 2);
    await server.app.commissions.idle();
    const paid = { type: "order.paid" as const, orderId: order.id, merchantId: order.merchantId, showId: order.showId, buyerId: order.buyerId, hostOrder: (await server.app.orders.hostOrderView(order.id))!, productIds: [tee.id] };
    for (let i = 0; i < 3; i++) server.app.bus.publish(paid);
    const direct = await Promise.all(Array.from({ length: 4 }, () => server.app.commissions.recordPaid(order.id)));
    await server.app.commissions.idle();
    assert.deepEqual(direct, [0, 0, 0, 0], "nothing new to enter");
    assert.deepEqual((await ledger({ orderId: order.id })).map((e) => [e.kind, Number(e.amount)]), [["accrual", 725]]);

    await brand.orders.transition(order.id, "cancelled");
    await server.app.commissions.idle();
    for (const status of ["cancelled", "refunded", "cancelled"] as const) server.app.bus.publish({ type: "order.status_changed", orderId: order.id, merchantId: order.merchantId, showId: order.showId, status, at: Date.now() });
    server.app.bus.publish(paid); // a late duplicate of the payment after the refund
    await Promise.all([server.app.commissions.recordReversal(order.id), server.app.commissions.recordReversal(order.id)]);
    await server.app.commissions.idle();
    assert.deepEqual((await ledger({ orderId: order.id })).map((e) => [e.kind, Number(e.amount)]), [["accrual", 725], ["reversal", -725]]);
    assert.deepEqual(await balancesOf(kol.client), [{ currency: "EUR", pending: 0, available: 0, paidOut: 0 }]);
  });

  test("a status event that is not a cancellation reverses nothing; a payment whose order was already cancelled nets to zero", async () => {
    const kol = await liveCampaignShow("races");
    const shipped = await buy(kol.show.id, mug);
    await server.app.commissions.idle();
    await brand.orders.transition(shipped.id, "shipped");
    server.app.bus.publish({ type: "order.status_changed", orderId: shipped.id, merchantId: shipped.merchantId, showId: shipped.showId, status: "cancelled", at: Date.now() }); // a stray event: the order is shipped
    await server.app.commissions.idle();
    assert.deepEqual((await ledger({ orderId: shipped.id })).map((e) => e.kind), ["accrual"]);

    // The payment callback arrives only after the order was cancelled: accrue, then reverse at once.
    const buyerId = (await viewer.auth.me()).body.user!.id;
    const raced = await unannouncedOrder(server, { showId: kol.show.id, product: mug, buyerId });
    assert.equal((await brand.orders.transition(raced.order.id, "cancelled")).body.status, "cancelled", "the sandbox cannot refund an unknown payment");
    await server.app.commissions.idle();
    assert.equal((await ledger({ orderId: raced.order.id })).length, 0, "nothing accrued yet, nothing to reverse");
    server.app.bus.publish(raced.paidEvent);
    await server.app.commissions.idle();
    const late = await ledger({ orderId: raced.order.id });
    assert.deepEqual(late.map((e) => [e.kind, Number(e.amount)]), [["accrual", 300], ["reversal", -300]]);
  });

  test("no commission without a campaign: the merchant's own show, and a creator who has not joined", async () => {
    const me = (await brand.auth.me()).body.user!;
    const own = (await brand.shows.create({ title: "Brand only", scheduledAt: new Date().toISOString(), hostId: me.id, productIds: [tee.id] })).body;
    await server.app.shows.markLive(own.id);
    const order = await buy(own.id, tee);
    // The demo creator hosting a merchant-made show (no campaign) earns nothing either.
    const hosted = (await brand.shows.create({ title: "Hosted", scheduledAt: new Date().toISOString(), hostId: (await (await server.as("host")).auth.me()).body.user!.id, productIds: [tee.id] })).body;
    await server.app.shows.markLive(hosted.id);
    const order2 = await buy(hosted.id, tee);
    await server.app.commissions.idle();
    assert.equal((await ledger({ orderId: order.id })).length, 0);
    assert.equal((await ledger({ orderId: order2.id })).length, 0);
  });

  test("the ledger is append-only: the database refuses to change or delete an entry", async () => {
    const kol = await liveCampaignShow("appendonly");
    const order = await buy(kol.show.id, tee);
    await server.app.commissions.idle();
    const [entry] = await ledger({ orderId: order.id });
    assert.ok(entry);
    await assert.rejects(server.app.db.db.updateTable("commission_entries").set({ amount: 1 }).where("id", "=", entry.id).execute(), /append-only/);
    await assert.rejects(server.app.db.db.deleteFrom("commission_entries").where("id", "=", entry.id).execute(), /append-only/);
    assert.equal(Number((await ledger({ orderId: order.id }))[0]!.amount), Number(entry.amount));
  });
});
