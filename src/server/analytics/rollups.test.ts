import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql, type Kysely } from "kysely";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { freshShow } from "../../../test/support/analytics.ts";
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
