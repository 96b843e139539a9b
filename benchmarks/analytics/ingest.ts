/**
 * Event ingest per CPU-second: the same events into Vetrina's analytics path (in-memory per-minute
 * counters, flushed as multi-row upserts, raw events batched into the event log) and into the naive
 * path (for each event, insert its raw row and update its minute's counters: two statements).
 * CPU is this process's plus, on PostgreSQL, the database server's.
 */
import { sql } from "kysely";
import { Aggregator } from "../../src/server/analytics/aggregator.ts";
import { TableEventLog, type AnalyticsEvent } from "../../src/server/analytics/event-log.ts";
import { createRollupStore, type AnalyticsDb } from "../../src/server/analytics/store.ts";
import { minuteOf } from "../../src/server/analytics/rollup.ts";
import { cpuMeter, freshDatabase, type Dialect } from "./db.ts";
import { roomEvents } from "./workload.ts";

export interface IngestResult {
  dialect: Dialect;
  vetrina: { events: number; cpu: number; dbCpu: number; wallMs: number; perCpuSecond: number };
  naive: { events: number; cpu: number; dbCpu: number; wallMs: number; perCpuSecond: number };
}

const SHOWS = ["shw_bench1", "shw_bench2", "shw_bench3"];
const PRODUCTS = Array.from({ length: 20 }, (_, i) => `prd_bench${i}`);

function events(n: number): AnalyticsEvent[] {
  // 20,000 viewers in three rooms at 25,000 events a second (a busy evening), so minutes fill as in life.
  return roomEvents({ showIds: SHOWS, productIds: PRODUCTS, start: Date.UTC(2026, 10, 1, 20), spacingMs: 1000 / 25_000, viewers: 20_000 }, n);
}

export async function measureIngest(dialect: Dialect, pgUrl: string, opts: { events: number; naiveEvents: number; flushEvery: number }): Promise<IngestResult> {
  const all = events(opts.events);

  // ---- Vetrina ----
  const v = await freshDatabase(dialect, pgUrl, "ingest");
  let vetrina: IngestResult["vetrina"];
  try {
    const db = v.handle.db as unknown as AnalyticsDb;
    const store = createRollupStore(db, dialect);
    const log = new TableEventLog(db);
    let now = all[0]!.at;
    const aggregator = new Aggregator({
      store,
      log,
      now: () => now,
      onChange: () => {},
      dimensions: async (ids) => ids.map((showId) => ({ showId, merchantId: "mer_bench", hostId: "usr_host", title: showId })),
    });
    const flush = async () => {
      await aggregator.flush();
      await log.flush();
    };
    const meter = cpuMeter(dialect);
    const t0 = performance.now();
    for (let i = 0; i < all.length; i++) {
      const e = all[i]!;
      now = e.at;
      aggregator.record(e);
      if ((i + 1) % opts.flushEvery === 0) await flush();
    }
    await flush();
    const wallMs = performance.now() - t0;
    const cpu = meter();
    if (log.dropped) throw new Error(`the event log dropped ${log.dropped} events`);
    vetrina = { events: all.length, cpu: cpu.total, dbCpu: cpu.database, wallMs, perCpuSecond: all.length / cpu.total };
  } finally {
    await v.handle.close();
    await v.drop();
  }

  // ---- naive: two statements per event ----
  const nv = await freshDatabase(dialect, pgUrl, "ingestnaive");
  let naive: IngestResult["naive"];
  try {
    const db = nv.handle.db as unknown as AnalyticsDb;
    const some = all.slice(0, opts.naiveEvents);
    const meter = cpuMeter(dialect);
    const t0 = performance.now();
    for (const e of some) await naiveRecord(db, dialect, e);
    const wallMs = performance.now() - t0;
    const cpu = meter();
    naive = { events: some.length, cpu: cpu.total, dbCpu: cpu.database, wallMs, perCpuSecond: some.length / cpu.total };
  } finally {
    await nv.handle.close();
    await nv.drop();
  }
  return { dialect, vetrina, naive };
}

/** What a first version would do: store the event, then bump its minute's counter, right away. */
async function naiveRecord(db: AnalyticsDb, dialect: Dialect, e: AnalyticsEvent) {
  const minute = minuteOf(e.at);
  const productId = "productId" in e ? e.productId : null;
  const viewerId = "viewerId" in e ? e.viewerId : null;
  await db
    .insertInto("analytics_events")
    .values({ at: e.at, kind: e.kind, show_id: e.showId, product_id: productId, viewer_id: viewerId, order_id: "orderId" in e ? e.orderId : null, count: "count" in e ? e.count : 1, amount: null, currency: null })
    .execute();
  const max = dialect === "postgres" ? sql`greatest` : sql`max`;
  switch (e.kind) {
    case "like":
    case "chat.message":
    case "viewer.joined":
    case "viewer.left":
    case "order.paid":
    case "order.refunded": {
      const col = e.kind === "like" ? "likes" : e.kind === "chat.message" ? "chat_messages" : e.kind === "viewer.joined" ? "joins" : e.kind === "order.paid" ? "orders_paid" : e.kind === "order.refunded" ? "orders_refunded" : null;
      const by = e.kind === "like" ? e.count : 1;
      await sql`insert into analytics_show_minutes (show_id, minute, ${sql.ref(col ?? "joins")}) values (${e.showId}, ${minute}, ${col ? by : 0})
        on conflict (show_id, minute) do update set ${sql.ref(col ?? "joins")} = analytics_show_minutes.${sql.ref(col ?? "joins")} + excluded.${sql.ref(col ?? "joins")}`.execute(db);
      if (e.kind === "order.paid") {
        for (const l of e.lines)
          await sql`insert into analytics_sales_minutes (show_id, product_id, currency, minute, orders_paid, units_paid, gmv) values (${e.showId}, ${l.productId}, ${e.currency}, ${minute}, 1, ${l.units}, ${l.amount})
            on conflict (show_id, product_id, currency, minute) do update set orders_paid = analytics_sales_minutes.orders_paid + 1, units_paid = analytics_sales_minutes.units_paid + excluded.units_paid, gmv = analytics_sales_minutes.gmv + excluded.gmv`.execute(db);
      }
      if (e.kind === "viewer.joined" || e.kind === "viewer.left")
        await sql`update analytics_show_minutes set viewers_max = ${max}(viewers_max, ${e.viewers}), viewers_last = ${e.viewers} where show_id = ${e.showId} and minute = ${minute}`.execute(db);
      return;
    }
    case "card.shown":
    case "card.tapped":
    case "checkout.started": {
      const col = e.kind === "card.shown" ? "cards_shown" : e.kind === "card.tapped" ? "cards_tapped" : "checkouts_started";
      const by = e.kind === "card.shown" ? e.count : 1;
      await sql`insert into analytics_product_minutes (show_id, product_id, minute, ${sql.ref(col)}) values (${e.showId}, ${e.productId}, ${minute}, ${by})
        on conflict (show_id, product_id, minute) do update set ${sql.ref(col)} = analytics_product_minutes.${sql.ref(col)} + excluded.${sql.ref(col)}`.execute(db);
      return;
    }
  }
}
