/**
 * Dashboard freshness under load: the real server (its own process, demo data, the demo show live
 * from an ffmpeg test pattern), N viewers in the show's room (real WebSockets from the fan-out
 * benchmark's load generators, some chatting and liking), and shoppers buying at R orders a second
 * through the real buy-now endpoint. The merchant's dashboard follows the show's live stream (SSE).
 *
 * Freshness of an order: from the moment its buy-now answered (paid) to the first dashboard update
 * whose paid-order count includes it (the k-th answer against the first update counting k orders).
 * The naive dashboard, beside it in the same run, polls a GROUP BY over the raw rows (the orders
 * table and its lines, and the raw event log) once a second through its own connection to the
 * server's database file, and is measured the same way.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import SQLite from "better-sqlite3";
import { freePort } from "../../test/support/harness.ts";
import { ApiClient } from "../../test/support/client.ts";
import { spawnServer, stopGracefully } from "../../test/support/child-server.ts";
import { buyBody } from "../../test/support/fixtures.ts";
import { analyticsApi } from "../../test/support/analytics.ts";
import { openDatabase } from "../../src/server/platform/db.ts";
import type { Show } from "../../src/shared/contracts/shows.ts";
import { seedBuyers } from "../flash-sale/seed-buyers.ts";
import { goLive } from "../support/live-show.ts";
import { percentile } from "../support/report.ts";
import { cpuBetween, sampleCpu } from "../fanout/proc.ts";
import type { ConnectedReport, FanoutJob, FanoutReport } from "../fanout/loadgen.ts";
import { addressAllocator, Loadgen } from "../fanout/loadgen-process.ts";

export interface FreshnessResult {
  viewers: number;
  connected: number;
  ordersPerSecondAsked: number;
  ordersPerSecond: number;
  ordersPaid: number;
  failedOrders: Record<string, number>;
  seconds: number;
  chatSent: number;
  likesSent: number;
  serverCpuSeconds: number;
  vetrina: { p50: number; p95: number; max: number; updates: number; matched: number };
  naive: { p50: number; p95: number; max: number; queryP50: number; queryP95: number; polls: number; matched: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureFreshness(opts: { viewers: number; ordersPerSecond: number; seconds: number; perLoadgen: number; gateways: string; log: (s: string) => void }): Promise<FreshnessResult> {
  const children: ChildProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-freshness-"));
  const env: Record<string, string> = {
    PORT: String(await freePort()),
    RTMP_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    DEMO_DATA: "true",
    LOG_LEVEL: "error",
    HOST: "0.0.0.0",
    ROOM_GATEWAYS: opts.gateways,
  };
  const server = await spawnServer(env);
  children.push(server.child);
  const naiveDb = new SQLite(path.join(dataDir, "vetrina.db"), { readonly: true });
  try {
    const { showId, pusher } = await goLive(server.baseUrl, env.RTMP_PORT!);
    children.push(pusher);

    // Shoppers and viewers: sessions seeded straight into the database (argon2 sign-ups are not measured).
    const db = openDatabase({ kind: "sqlite", file: path.join(dataDir, "vetrina.db") });
    const tokens = await seedBuyers(db.db, opts.viewers + 2000, "fresh");
    await db.close();

    // Enough stock for the whole run.
    const merchant = new ApiClient(server.baseUrl);
    await merchant.auth.signIn("merchant@vetrina.test", "vetrina-demo");
    const show = (await merchant.request<Show>("GET", `/api/v1/shows/${showId}`)).body;
    // Own products only: a partner store's product is bought in the partner's store, not here.
    const variants = show.products.filter((p) => (p as { kind?: string }).kind !== "external").flatMap((p) => p.variants.slice(0, 1));
    for (const v of variants) await merchant.request("PUT", `/api/v1/merchant/variants/${v.id}/stock`, { stock: 1_000_000 });

    // ---- viewers in the room ----
    const nextAddress = addressAllocator();
    const gens: { gen: Loadgen; job: FanoutJob }[] = [];
    const count = Math.max(1, Math.ceil(opts.viewers / opts.perLoadgen));
    for (let k = 0, first = 0; k < count; k++) {
      const size = Math.floor(opts.viewers / count) + (k < opts.viewers % count ? 1 : 0);
      const job: FanoutJob = {
        protocol: "vetrina",
        port: Number(env.PORT),
        roomPath: `/api/v1/shows/${showId}/room`,
        tokens: tokens.slice(first, first + size),
        first,
        count: size,
        total: opts.viewers,
        addresses: Array.from({ length: Math.ceil(size / 5000) }, nextAddress),
        perAddress: 5000,
        // A lively room: 100 chat messages and 1,000 like taps (×5) a second.
        senders: Math.min(200, opts.viewers),
        chatPerSenderPerSec: 0.5,
        likers: Math.min(1000, opts.viewers),
        likeCount: 5,
        likesPerLikerPerSec: 1,
        probes: 0,
        connectConcurrency: 200,
      };
      const gen = new Loadgen();
      children.push(gen.child);
      gens.push({ gen, job });
      first += size;
    }
    const joined = await Promise.all(gens.map(({ gen, job }) => gen.ask<ConnectedReport>({ kind: "job", job }, "connected")));
    const connected = joined.reduce((s, r) => s + r.connected, 0);
    opts.log(`    ${connected.toLocaleString("en")}/${opts.viewers.toLocaleString("en")} viewers in the room`);

    // ---- the two dashboards ----
    // The merchant's dashboard stream, read as the tests read it.
    const stream = await analyticsApi(merchant).stream(showId);
    if (stream.status !== 200) throw new Error(`live stream: ${stream.status}`);
    const vetrinaUpdates = stream.updates;
    const paidOf = (u: (typeof vetrinaUpdates)[number]) => ({ at: u.at, paid: u.live.totals.ordersPaid });
    await sleep(1500);
    const paidBefore = vetrinaUpdates.at(-1)?.live.totals.ordersPaid ?? 0;

    // The naive dashboard: what it would run for every refresh of every open dashboard.
    const naiveQueries = [
      naiveDb.prepare(`select count(*) as orders, coalesce(sum(total), 0) as gmv from orders where show_id = ? and status not in ('cancelled', 'refunded')`),
      naiveDb.prepare(`select i.product_id, count(*) as lines, sum(i.quantity) as units, sum(i.quantity * i.unit_price) as gmv from order_items i join orders o on o.id = i.order_id where o.show_id = ? group by i.product_id`),
      naiveDb.prepare(`select kind, product_id, count(*) as events, sum(count) as total from analytics_events where show_id = ? group by kind, product_id`),
      naiveDb.prepare(`select (at / 60000) as minute, kind, count(*) as events from analytics_events where show_id = ? group by minute, kind`),
    ];
    const naivePolls: { at: number; paid: number; ms: number }[] = [];
    let stopNaive = false;
    const naiveOrdersBefore = (naiveQueries[0]!.get(showId) as { orders: number }).orders;
    const naiveLoop = (async () => {
      while (!stopNaive) {
        const t0 = performance.now();
        let paid = 0;
        for (const [i, q] of naiveQueries.entries()) {
          const rows = q.all(showId) as { orders?: number }[];
          if (i === 0) paid = Number(rows[0]!.orders) - naiveOrdersBefore;
        }
        naivePolls.push({ at: Date.now(), paid, ms: performance.now() - t0 });
        await sleep(1000);
      }
    })();

    // ---- shoppers: R orders a second, open loop ----
    const sendAt = Date.now() + 500;
    const windowEnd = sendAt + opts.seconds * 1000;
    for (const { gen } of gens) gen.send({ kind: "start", sendAt, windowStart: sendAt, windowEnd });
    const paidAt: number[] = [];
    const failed: Record<string, number> = {};
    const inflight = new Set<Promise<void>>();
    const cpu0 = sampleCpu(server.child.pid!);
    const total = Math.round(opts.ordersPerSecond * opts.seconds);
    // Shoppers are other people than the viewers the load generators hold (2,000 of them, in turn).
    let buyer = 0;
    for (let i = 0; i < total; i++) {
      const due = sendAt + (i * 1000) / opts.ordersPerSecond;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const token = tokens[opts.viewers + (buyer++ % 2000)]!;
      const variant = variants[i % variants.length]!;
      const p = fetch(`${server.baseUrl}/api/v1/checkout/buy-now`, {
        method: "POST",
        headers: { "content-type": "application/json", cookie: `vetrina_session=${token}`, "idempotency-key": `bench-freshness-${process.pid}-${i}` },
        body: JSON.stringify(buyBody(showId, variant.id)),
      })
        .then(async (r) => {
          const body = (await r.json()) as { status?: string; code?: string };
          if (r.status === 201 && body.status === "paid") paidAt.push(Date.now());
          else failed[body.code ?? `${r.status}:${body.status}`] = (failed[body.code ?? `${r.status}:${body.status}`] ?? 0) + 1;
        })
        .catch((err: Error) => void (failed[err.message] = (failed[err.message] ?? 0) + 1));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
    await Promise.all([...inflight]);
    const lastPaid = Date.now();
    const cpu1 = sampleCpu(server.child.pid!);
    // Let both dashboards catch up with the last orders.
    await sleep(4000);
    stopNaive = true;
    await naiveLoop;
    stream.close();
    const reports = await Promise.all(gens.map(({ gen }) => gen.ask<FanoutReport>({ kind: "report" }, "report")));

    const lags = (updates: { at: number; paid: number }[], base: number) => {
      const out: number[] = [];
      let j = 0;
      for (let k = 0; k < paidAt.length; k++) {
        while (j < updates.length && updates[j]!.paid - base < k + 1) j++;
        if (j >= updates.length) break;
        out.push(Math.max(0, updates[j]!.at - paidAt[k]!));
      }
      return out.sort((a, b) => a - b);
    };
    paidAt.sort((a, b) => a - b);
    const v = lags(vetrinaUpdates.map(paidOf), paidBefore);
    const n = lags(naivePolls, 0);
    const queryMs = naivePolls.map((p) => p.ms).sort((a, b) => a - b);
    return {
      viewers: opts.viewers,
      connected,
      ordersPerSecondAsked: opts.ordersPerSecond,
      ordersPerSecond: paidAt.length / ((lastPaid - sendAt) / 1000),
      ordersPaid: paidAt.length,
      failedOrders: failed,
      seconds: opts.seconds,
      chatSent: reports.reduce((s, r) => s + r.chatSent, 0),
      likesSent: reports.reduce((s, r) => s + r.likesSentTotal, 0),
      serverCpuSeconds: cpuBetween(cpu0, cpu1).total,
      vetrina: { p50: percentile(v, 0.5), p95: percentile(v, 0.95), max: v.at(-1) ?? NaN, updates: vetrinaUpdates.length, matched: v.length },
      naive: { p50: percentile(n, 0.5), p95: percentile(n, 0.95), max: n.at(-1) ?? NaN, queryP50: percentile(queryMs, 0.5), queryP95: percentile(queryMs, 0.95), polls: naivePolls.length, matched: n.length },
    };
  } finally {
    naiveDb.close();
    for (const c of children.slice(1)) c.kill("SIGKILL");
    await stopGracefully(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
