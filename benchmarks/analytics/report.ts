/**
 * A 30-day report over 1,000,000 orders. One merchant with 500 products runs 20 two-hour shows a day
 * for 30 days (600 shows, 20 products each); every order has one to three lines. Vetrina's report is
 * the real service call (rollup tables, show titles, product titles); the naive report is one GROUP BY
 * over the raw order-line rows (the `analytics_events` table) with the same scope, per show, product,
 * currency and day. The naive one computes only the sales part of the report (no funnel, no room
 * figures), so it is a lower bound of what a naive report costs.
 */
import { sql } from "kysely";
import pino from "pino";
import { loadConfig } from "../../src/server/config.ts";
import { buildApp } from "../../src/server/app.ts";
import { createRollupStore, type AnalyticsDb, type ShowDimension } from "../../src/server/analytics/store.ts";
import { Rollup, MINUTE_MS } from "../../src/server/analytics/rollup.ts";
import type { AnalyticsEvent } from "../../src/server/analytics/event-log.ts";
import type { AnalyticsTables } from "../../src/server/analytics/schema.ts";
import type { User } from "../../src/shared/contracts/accounts.ts";
import { percentile } from "../support/report.ts";
import { freshDatabase, type Dialect } from "./db.ts";
import { prng } from "./workload.ts";

export interface ReportResult {
  dialect: Dialect;
  orders: number;
  rawRows: number;
  rollupRows: number;
  seedSeconds: number;
  runs: number;
  vetrina: { p50: number; p95: number };
  naive: { p50: number; p95: number };
  /** the GMV both reports add up to (minor units): they must agree */
  gmv: { vetrina: number; naive: number };
}

const DAY = 86_400_000;
const SHOWS_PER_DAY = 20;
const SHOW_MINUTES = 120;
const PRODUCTS_PER_SHOW = 20;

export async function measureReport(dialect: Dialect, pgUrl: string, opts: { orders: number; days: number; runs: number; log: (s: string) => void }): Promise<ReportResult> {
  const fresh = await freshDatabase(dialect, pgUrl, "report");
  // Only the database's location matters: the app runs on that database, with no demo data.
  await fresh.handle.close();
  const config = loadConfig({
    NODE_ENV: "test",
    PORT: "0",
    RTMP_PORT: "0",
    HOST: "127.0.0.1",
    DEMO_DATA: "false",
    LOG_LEVEL: "error",
    DATA_DIR: fresh.config.kind === "sqlite" ? fresh.config.file.replace(/\/vetrina\.db$/, "") : `/tmp/vetrina-report-${process.pid}`,
    ...(fresh.config.kind === "postgres" ? { DATABASE_URL: fresh.config.url, DATABASE_SCHEMA: fresh.config.schema! } : {}),
  });
  const app = await buildApp(config, { logger: pino({ level: "error" }), analytics: { flushMs: 3_600_000 } });
  try {
    const db = app.db.db as unknown as AnalyticsDb;
    const t0 = performance.now();
    const merchant = await app.accounts.createMerchant("Report bench brand", "EUR");
    const signed = await app.accounts.signUp({ email: `report-${process.pid}@bench.test`, password: "password-123", displayName: "Report bench", role: "merchant", merchantId: merchant.id });
    if (!signed.ok) throw new Error(signed.code);
    const user: User = signed.user;
    const productIds: string[] = [];
    for (let i = 0; i < 500; i++)
      productIds.push(
        (await app.catalog.create(merchant.id, { title: `Bench product ${i}`, description: "", currency: "EUR", status: "active", images: [], variants: [{ options: {}, price: 1990, stock: 10 }] })).id,
      );

    // ---- seed: rollups through the real write path, raw order lines for the naive report ----
    const store = createRollupStore(db, dialect);
    const rand = prng(7);
    const end = Date.UTC(2026, 10, 1);
    const start = end - opts.days * DAY;
    const shows = opts.days * SHOWS_PER_DAY;
    const perShow = Math.ceil(opts.orders / shows);
    let orders = 0;
    let rawRows = 0;
    let rollupRows = 0;
    for (let s = 0; s < shows && orders < opts.orders; s++) {
      const showId = `shw_rb${s.toString().padStart(5, "0")}`;
      const day = start + Math.floor(s / SHOWS_PER_DAY) * DAY;
      const showStart = day + (8 + (s % SHOWS_PER_DAY) * 0.75) * 3_600_000;
      const featured = Array.from({ length: PRODUCTS_PER_SHOW }, (_, i) => productIds[(s * 7 + i * 13) % productIds.length]!);
      const rollup = new Rollup();
      const raw: AnalyticsTables["analytics_events"][] = [];
      for (let m = 0; m < SHOW_MINUTES; m++) {
        const at = showStart + m * MINUTE_MS;
        const viewers = 500 + Math.floor(rand() * 20_000);
        rollup.add({ kind: "viewer.joined", showId, at, viewerId: null, viewers });
        rollup.add({ kind: "like", showId, at, count: Math.floor(rand() * 3000) });
        for (let c = 0; c < 30; c++) rollup.add({ kind: "chat.message", showId, at, viewerId: "usr_x" });
      }
      const n = Math.min(perShow, opts.orders - orders);
      for (let o = 0; o < n; o++) {
        const at = showStart + Math.floor(rand() * SHOW_MINUTES * MINUTE_MS);
        const orderId = `ord_rb${(orders + o).toString(36)}`;
        const lines = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => {
          const units = 1 + Math.floor(rand() * 2);
          return { productId: featured[Math.floor(rand() * featured.length)]!, units, amount: units * (990 + Math.floor(rand() * 9000)) };
        });
        const e: AnalyticsEvent = { kind: "order.paid", showId, at, orderId, viewerId: null, currency: "EUR", lines };
        rollup.add(e);
        for (const l of lines) {
          rollup.add({ kind: "card.tapped", showId, productId: l.productId, at, viewerId: null });
          rollup.add({ kind: "checkout.started", showId, productId: l.productId, at, viewerId: null });
          raw.push({ at, kind: "order.paid", show_id: showId, product_id: l.productId, viewer_id: null, order_id: orderId, count: l.units, amount: l.amount, currency: "EUR" });
        }
      }
      orders += n;
      const dims: ShowDimension[] = [{ showId, merchantId: merchant.id, hostId: user.id, title: `Bench show ${s}` }];
      await store.write(rollup, dims, Date.now());
      rollupRows += rollup.shows.size + rollup.products.size + rollup.sales.size;
      await db.transaction().execute(async (tx) => {
        for (let i = 0; i < raw.length; i += 500) await tx.insertInto("analytics_events").values(raw.slice(i, i + 500)).execute();
      });
      rawRows += raw.length;
      if (s % 100 === 99) opts.log(`    seeded ${orders.toLocaleString("en")} orders (${s + 1} shows)`);
    }
    if (dialect === "postgres") await sql`analyze`.execute(db);
    const seedSeconds = (performance.now() - t0) / 1000;

    // ---- the two reports, alternating, after one warm-up each ----
    const from = start;
    const to = end;
    const vetrinaTimes: number[] = [];
    const naiveTimes: number[] = [];
    let gmvVetrina = 0;
    let gmvNaive = 0;
    const vetrinaReport = async () => {
      const r = await app.analytics.report(user, { from, to });
      if (!r.ok) throw new Error(r.code);
      return r.report.totals.gmv.reduce((s: number, m: { amount: number }) => s + m.amount, 0);
    };
    const naiveReport = async () => {
      const rows = await sql<{ gmv: string | number }>`
        select e.show_id, e.product_id, e.currency, e.at / ${sql.lit(DAY)} as day, count(distinct e.order_id) as orders, sum(e.count) as units, sum(e.amount) as gmv
        from analytics_events e join analytics_shows d on d.show_id = e.show_id
        where e.kind = 'order.paid' and e.at >= ${from} and e.at < ${to} and (d.merchant_id = ${merchant.id} or d.host_user_id = ${user.id})
        group by e.show_id, e.product_id, e.currency, e.at / ${sql.lit(DAY)}`.execute(db);
      return rows.rows.reduce((s, r) => s + Number(r.gmv), 0);
    };
    gmvVetrina = await vetrinaReport();
    gmvNaive = await naiveReport();
    for (let i = 0; i < opts.runs; i++) {
      let t = performance.now();
      await vetrinaReport();
      vetrinaTimes.push(performance.now() - t);
      t = performance.now();
      await naiveReport();
      naiveTimes.push(performance.now() - t);
    }
    vetrinaTimes.sort((a, b) => a - b);
    naiveTimes.sort((a, b) => a - b);
    return {
      dialect,
      orders,
      rawRows,
      rollupRows,
      seedSeconds,
      runs: opts.runs,
      vetrina: { p50: percentile(vetrinaTimes, 0.5), p95: percentile(vetrinaTimes, 0.95) },
      naive: { p50: percentile(naiveTimes, 0.5), p95: percentile(naiveTimes, 0.95) },
      gmv: { vetrina: gmvVetrina, naive: gmvNaive },
    };
  } finally {
    await app.close();
    await fresh.drop();
  }
}
