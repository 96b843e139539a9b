import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql, type Kysely } from "kysely";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { analyticsApi, freshShow } from "../../../test/support/analytics.ts";
import { TableEventLog, type AnalyticsEvent } from "./event-log.ts";
import type { AnalyticsTables } from "./schema.ts";

describe("rollups and the raw event log", () => {
  let server: TestServer;
  let db: Kysely<AnalyticsTables>;
  before(async () => {
    server = await startServer();
    db = server.app.db.db.withTables<AnalyticsTables>() as unknown as Kysely<AnalyticsTables>;
  });
  after(() => server.close());

  const paid = (showId: string, productId: string, amount: number, at = Date.now()): AnalyticsEvent => ({
    kind: "order.paid",
    showId,
    at,
    orderId: `ord_${Math.random().toString(36).slice(2)}`,
    viewerId: null,
    currency: "EUR",
    lines: [{ productId, units: 1, amount }],
  });
  const stored = (showId: string) =>
    db
      .selectFrom("analytics_sales_minutes")
      .select((eb) => [eb.fn.sum<number>("gmv").as("gmv"), eb.fn.sum<number>("orders_paid").as("orders")])
      .where("show_id", "=", showId)
      .executeTakeFirstOrThrow()
      .then((r) => ({ gmv: Number(r.gmv ?? 0), orders: Number(r.orders ?? 0) }));

  test("flushes add to the minute's row; a flush that fails keeps its counts for the next one", async () => {
    const show = await freshShow(server, "Rollups: a failing flush");
    const productId = show.products[0]!.id;
    const { sink, flush } = server.app.analytics;
    const minute = Date.now() - (Date.now() % 60_000);
    sink.record(paid(show.id, productId, 1000, minute + 1));
    await flush();
    // The storage goes away for a moment.
    await sql`alter table analytics_sales_minutes rename to analytics_sales_minutes_away`.execute(db);
    sink.record(paid(show.id, productId, 250, minute + 2));
    await assert.rejects(flush());
    await sql`alter table analytics_sales_minutes_away rename to analytics_sales_minutes`.execute(db);
    sink.record(paid(show.id, productId, 5, minute + 3));
    await flush();
    assert.deepEqual(await stored(show.id), { gmv: 1255, orders: 3 });
    const rows = await db.selectFrom("analytics_sales_minutes").select("minute").where("show_id", "=", show.id).execute();
    assert.equal(rows.length, 1, "one row for the minute, however many flushes");
    const showRow = await db.selectFrom("analytics_show_minutes").selectAll().where("show_id", "=", show.id).where("minute", "=", minute).executeTakeFirstOrThrow();
    assert.equal(Number(showRow.orders_paid), 3);
  });

  test("reports read whole days from the day rollups and the partial days at the edges from the minutes: the same figures", async () => {
    const show = await freshShow(server, "Rollups: days and minutes");
    const [a, b] = [show.products[0]!.id, show.products[1]?.id ?? show.products[0]!.id];
    const day0 = Date.UTC(2025, 2, 1);
    const H = 3_600_000;
    // Orders on four days, some before and after the report's edges (noon of the first and last day).
    const orders = [
      { at: day0 + 6 * H, product: a, amount: 1000 },
      { at: day0 + 13 * H, product: a, amount: 2000 },
      { at: day0 + 24 * H + 1, product: b, amount: 300 },
      { at: day0 + 47 * H, product: b, amount: 45 },
      { at: day0 + 48 * H + 11 * H, product: a, amount: 6 },
      { at: day0 + 48 * H + 12 * H + 1, product: a, amount: 70_000 },
    ];
    for (const o of orders) server.app.analytics.sink.record(paid(show.id, o.product, o.amount, o.at));
    server.app.analytics.sink.record({ kind: "card.tapped", showId: show.id, productId: a, at: day0 + 30 * H, viewerId: null });
    // Room figures: likes and chat on the middle day, the room's size peaking at 40 there.
    for (const [at, viewers] of [[day0 + 30 * H, 25], [day0 + 31 * H, 40], [day0 + 32 * H, 10]] as const) {
      server.app.analytics.sink.record({ kind: "viewer.joined", showId: show.id, at, viewerId: null, viewers });
      server.app.analytics.sink.record({ kind: "like", showId: show.id, at, count: 7 });
      server.app.analytics.sink.record({ kind: "chat.message", showId: show.id, at, viewerId: "usr_x" });
    }
    await server.app.analytics.flush();

    // The day tables hold exactly the minutes summed per day.
    const perDay = await db.selectFrom("analytics_sales_days").select(["day", "gmv", "orders_paid"]).where("show_id", "=", show.id).orderBy("day").execute();
    assert.deepEqual(
      perDay.map((r) => [Number(r.day), Number(r.gmv), Number(r.orders_paid)]),
      [
        [day0, 1000, 1],
        [day0, 2000, 1],
        [day0 + 24 * H, 300 + 45, 2],
        [day0 + 48 * H, 70_006, 2],
      ].reduce<number[][]>((acc, row) => {
        const last = acc.at(-1);
        if (last && last[0] === row[0]) {
          last[1]! += row[1]!;
          last[2]! += row[2]!;
        } else acc.push([...row]);
        return acc;
      }, []),
    );

    const merchant = await server.as("merchant");
    const from = day0 + 12 * H;
    const to = day0 + 48 * H + 12 * H;
    const report = (await analyticsApi(merchant).report({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), showId: show.id })).body;
    const expected = orders.filter((o) => o.at >= from && o.at < to);
    assert.deepEqual(report.totals.gmv, [{ amount: expected.reduce((s, o) => s + o.amount, 0), currency: "EUR" }]);
    assert.equal(report.totals.ordersPaid, expected.length);
    assert.equal(report.totals.cardsTapped, 1);
    assert.equal(report.totals.likes, 21);
    assert.equal(report.totals.chatMessages, 3);
    assert.equal(report.totals.peakViewers, 40);
    assert.deepEqual(
      report.days.map((d) => d.ordersPaid),
      [1, 2, 1],
      "the partial first day, the whole middle day, the partial last day",
    );
  });

  test("the embedded event log is bounded: when storage falls behind, the oldest events are dropped and counted", async () => {
    const log = new TableEventLog(db, { capacity: 10, batchRows: 4 });
    const showId = "shw_eventlogbound";
    for (let i = 0; i < 25; i++) log.append({ kind: "card.tapped", showId, productId: "prd_x", at: 1_000 + i, viewerId: null });
    log.append({ kind: "like", showId, at: 2_000, count: 3 });
    assert.ok(log.dropped >= 15);
    await log.flush();
    const rows = await db.selectFrom("analytics_events").select("at").where("show_id", "=", showId).orderBy("at").execute();
    assert.equal(rows.length, 25 - log.dropped);
    assert.equal(Number(rows.at(-1)!.at), 1_024, "the newest are kept");
    assert.ok(rows.every((r) => Number(r.at) < 2_000), "likes are counted in rollups, not logged one by one");
  });
});
