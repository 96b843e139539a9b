import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, demoShow, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import type { Figures } from "../../shared/contracts/analytics.ts";
import type { AnalyticsTables } from "./schema.ts";
import { analyticsApi, freshShow } from "../../../test/support/analytics.ts";

/**
 * The figures must equal what the orders table says, to the cent: real purchases through buy-now,
 * one cancelled (and refunded) by the merchant, the aggregator flushed, the report compared.
 * Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
 */
describe("analytics money equals the orders table", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** What the orders table says, per show or per product: paid (all orders ever paid), refunded (cancelled or refunded). */
  async function fromOrders(where: { showId?: string; productId?: string }) {
    const db = server.app.db.db;
    let q = db
      .selectFrom("orders as o")
      .innerJoin("order_items as i", "i.order_id", "o.id")
      .select((eb) => [
        eb.fn.count<number>(sql`distinct o.id`).as("orders"),
        eb.fn.sum<number>("i.quantity").as("units"),
        eb.fn.sum<number>(sql`i.unit_price * i.quantity`).as("amount"),
      ])
      .where("o.show_id", "is not", null);
    if (where.showId) q = q.where("o.show_id", "=", where.showId);
    if (where.productId) q = q.where("i.product_id", "=", where.productId);
    const paid = await q.executeTakeFirstOrThrow();
    const refunded = await q.where("o.status", "in", ["cancelled", "refunded"]).executeTakeFirstOrThrow();
    const n = (v: unknown) => Number(v ?? 0);
    return { ordersPaid: n(paid.orders), unitsPaid: n(paid.units), gmv: n(paid.amount), ordersRefunded: n(refunded.orders), refunded: n(refunded.amount) };
  }

  const eur = (list: { currency: string; amount: number }[]) => {
    assert.ok(list.every((m) => m.currency === "EUR"), "one currency in this catalog");
    return list.find((m) => m.currency === "EUR")?.amount ?? 0;
  };
  const money = (f: Figures | Omit<Figures, "peakViewers" | "likes" | "chatMessages">) => ({
    ordersPaid: f.ordersPaid,
    unitsPaid: f.unitsPaid,
    gmv: eur(f.gmv),
    ordersRefunded: f.ordersRefunded,
    refunded: eur(f.refunded),
  });

  test("orders placed, one cancelled and refunded: report GMV, refunds, net and counts match the orders table to the cent", async () => {
    const show = await freshShow(server, "Analytics: money");
    const { show: demo, variant: demoVariant } = await demoShow(server);
    const merchant = await server.as("merchant");
    const viewer = await server.as("viewer");
    const [tee, mug] = [show.products.find((p) => /tee/i.test(p.title))!, show.products.find((p) => /mug/i.test(p.title))!];
    const inStock = (p: typeof tee) => p.variants.filter((v) => v.stock > 0);
    const buy = async (showId: string, variantId: string, quantity: number) => {
      const r = await viewer.checkout.buyNow(buyBody(showId, variantId, undefined, quantity), idemKey());
      assert.equal(r.status, 201, JSON.stringify(r.problem));
      return r.body;
    };

    const first = await buy(show.id, inStock(tee)[0]!.id, 3);
    await buy(show.id, inStock(mug)[0]!.id, 1);
    // Counted and flushed in two rounds: the second adds to the rows of the first.
    await until("the first orders counted", async () => (await analyticsApi(merchant).live(show.id)).body.totals.ordersPaid === 2, 5000);
    await server.app.analytics.flush();
    await buy(show.id, inStock(tee)[1]!.id, 2);
    const cancelled = await buy(show.id, inStock(mug)[0]!.id, 2);
    await buy(demo.id, demoVariant.id, 1);
    const r = await merchant.orders.transition(cancelled.id, "cancelled");
    assert.equal(r.body.status, "refunded");
    assert.equal((await merchant.orders.transition(first.id, "shipped")).status, 200, "shipping changes no money");

    await until("the refund counted", async () => (await analyticsApi(merchant).live(show.id)).body.totals.ordersRefunded === 1, 5000);
    await server.app.analytics.flush();

    const api = analyticsApi(merchant);
    const report = (await api.report({ showId: show.id })).body;
    const truth = await fromOrders({ showId: show.id });
    assert.deepEqual(truth, { ordersPaid: 4, unitsPaid: 8, gmv: truth.gmv, ordersRefunded: 1, refunded: mug.variants[0]!.price * 2 });
    assert.deepEqual(money(report.totals), truth);
    assert.equal(eur(report.totals.net), truth.gmv - truth.refunded);
    // Net equals what the studio's counters call revenue (orders neither cancelled nor refunded).
    const sales = await server.app.orders.showSales(show.id);
    assert.equal(eur(report.totals.net), sales.revenue.find((m) => m.currency === "EUR")!.amount);
    assert.equal(report.totals.ordersPaid - report.totals.ordersRefunded, sales.orders);

    // Per product, per day and on the live view: the same money.
    for (const p of [tee, mug]) assert.deepEqual(money(report.products.find((x) => x.productId === p.id)!), await fromOrders({ showId: show.id, productId: p.id }), p.title);
    for (const k of ["ordersPaid", "unitsPaid", "gmv", "ordersRefunded", "refunded"] as const)
      assert.equal(report.days.reduce((s, d) => s + money(d)[k], 0), truth[k], `days: ${k}`);
    const live = (await api.live(show.id)).body;
    assert.deepEqual(money(live.totals), truth);

    // A product across shows: the tee sold in both shows.
    const teeReport = (await api.report({ productId: tee.id })).body;
    assert.deepEqual(money(teeReport.totals), await fromOrders({ productId: tee.id }));
    // Everything the merchant sold in shows.
    const all = (await api.report({})).body;
    assert.deepEqual(money(all.totals), await fromOrders({}));

    // The raw events (the naive GROUP BY a column store would run) say the same.
    const raw = await server.app.db.db
      .withTables<AnalyticsTables>()
      .selectFrom("analytics_events")
      .select((eb) => [eb.fn.sum<number>("amount").as("amount"), eb.fn.sum<number>("count").as("units")])
      .where("show_id", "=", show.id)
      .where("kind", "=", "order.paid")
      .executeTakeFirstOrThrow();
    assert.deepEqual([Number(raw.amount), Number(raw.units)], [truth.gmv, truth.unitsPaid]);

    // The CSV carries the same money as exact decimals.
    const csv = await api.csv({ showId: show.id, by: "product" });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type") ?? "", /^text\/csv/);
    assert.match(csv.headers.get("content-disposition") ?? "", /attachment; filename="vetrina-report-.*-by-product\.csv"/);
    const [header, ...rows] = csv.body.trim().split("\r\n").map((l) => l.split(","));
    assert.deepEqual(header!.slice(0, 2), ["product_id", "product_title"]);
    const col = (name: string) => header!.indexOf(name);
    const cents = (s: string) => Number(s.replace(".", ""));
    const gmvSum = rows.reduce((s, row) => s + cents(row[col("gmv_EUR")]!), 0);
    const refundedSum = rows.reduce((s, row) => s + cents(row[col("refunded_EUR")]!), 0);
    assert.equal(gmvSum, truth.gmv);
    assert.equal(refundedSum, truth.refunded);
    assert.equal(rows.reduce((s, row) => s + Number(row[col("orders_paid")]), 0), truth.ordersPaid);
    const teeRow = rows.find((row) => row[0] === tee.id)!;
    assert.match(teeRow[col("gmv_EUR")]!, /^\d+\.\d{2}$/);
  });
});
