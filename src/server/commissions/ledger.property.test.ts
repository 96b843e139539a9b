import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { TestClock } from "../../../test/support/flash.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { campaignApi, campaignBody, earningsApi, newCreator, unannouncedOrder } from "../../../test/support/creators.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import type { Order, OrderStatus } from "../../shared/contracts/checkout.ts";

const DAY = 86_400_000;

/**
 * Any sequence of payments (through buy-now, or orders whose payment callback comes late or never),
 * duplicate callbacks and retries, refunds, cancellations, shipments and the passing of time leaves
 * the creator's balances equal to the sum of its ledger and never negative; and every order's net
 * commission is its commission while it stands, zero once it is cancelled or refunded.
 */
type Action =
  | { kind: "buy"; product: number; quantity: number }
  | { kind: "unannounced"; product: number; quantity: number }
  | { kind: "callback"; order: number; times: number }
  | { kind: "retry"; order: number }
  | { kind: "cancel"; order: number; withDuplicateCallback: boolean }
  | { kind: "ship"; order: number }
  | { kind: "duplicateStatus"; order: number }
  | { kind: "advance"; hours: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("buy" as const), product: fc.nat(2), quantity: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("unannounced" as const), product: fc.nat(2), quantity: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("callback" as const), order: fc.nat(20), times: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("retry" as const), order: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("cancel" as const), order: fc.nat(20), withDuplicateCallback: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ship" as const), order: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicateStatus" as const), order: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("advance" as const), hours: fc.integer({ min: 1, max: 24 * 20 }) }) },
);

describe("the commission ledger (property)", () => {
  let server: TestServer;
  const clock = new TestClock();
  let brand: ApiClient;
  let viewer: ApiClient;
  let buyerId: string;
  let creator: Awaited<ReturnType<typeof newCreator>>;
  let showId: string;
  let products: Product[];
  /** the campaign's rates, as the test states them (the ledger must agree) */
  const rates = new Map<string, number>();

  before(async () => {
    server = await startServer({}, { clock: clock.now });
    brand = await server.as("merchant");
    viewer = await server.as("viewer");
    buyerId = (await viewer.auth.me()).body.user!.id;
    const catalog = (await brand.products.list()).body.items;
    products = ["tee", "lipstick", "mug"].map((t) => catalog.find((p) => p.title.toLowerCase().includes(t))!);
    for (const p of products) await brand.request("PUT", `/api/v1/merchant/variants/${p.variants[0]!.id}/stock`, { stock: 100_000 });
    products = await server.app.catalog.getMany(products.map((p) => p.id));
    creator = await newCreator(server, "prop");
    const campaign = (
      await campaignApi(brand).create(
        campaignBody([], {
          commissionBps: 777,
          products: products.map((p, i) => ({ productId: p.id, commissionBps: [null, 3333, 101][i] })),
          endsAt: new Date(Date.now() + 3650 * DAY).toISOString(),
          invitedHandles: [creator.creator.handle],
        }),
      )
    ).body;
    for (const p of campaign.products) rates.set(p.productId, p.commissionBps);
    await campaignApi(creator.client).accept(campaign.id);
    showId = (await campaignApi(creator.client).scheduleShow({ campaignId: campaign.id, title: "Property", scheduledAt: new Date().toISOString(), productIds: products.map((p) => p.id) })).body.id;
    await server.app.shows.markLive(showId);
  });
  after(() => server.close());

  const expectedCommission = (o: Order) => o.items.reduce((s, i) => s + Math.floor((i.unitPrice * i.quantity * rates.get(i.productId)!) / 10_000), 0);

  async function checkBalances() {
    await server.app.commissions.idle();
    const entries = await server.app.db.db.selectFrom("commission_entries").select(["amount", "currency"]).where("beneficiary_id", "=", creator.creator.id).execute();
    const ledgerSum = entries.reduce((s, e) => s + Number(e.amount), 0);
    const res = await earningsApi(creator.client).balances();
    assert.equal(res.status, 200);
    const balances = res.body.balances;
    assert.ok(balances.every((b) => b.currency === "EUR"));
    const eur = balances[0] ?? { pending: 0, available: 0 };
    assert.ok(eur.pending >= 0, `pending ${eur.pending} is negative`);
    assert.ok(eur.available >= 0, `available ${eur.available} is negative`);
    assert.equal(eur.pending + eur.available, ledgerSum, "balances equal the sum of the ledger");
  }

  test("balances always equal the sum of the ledger, are never negative, and each order nets to its commission or to zero", async () => {
    /** every order made in any run, and whether its payment was ever announced */
    const orders: { id: string; announced: boolean; paidEvent?: Parameters<typeof server.app.bus.publish>[0] }[] = [];
    const pick = (i: number) => (orders.length ? orders[i % orders.length]! : null);
    const status = async (id: string): Promise<OrderStatus> => (await server.app.orders.get(id))!.status;

    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
        for (const a of actions) {
          switch (a.kind) {
            case "buy": {
              const res = await viewer.checkout.buyNow(buyBody(showId, products[a.product]!.variants[0]!.id, undefined, a.quantity), idemKey());
              assert.equal(res.status, 201, JSON.stringify(res.body));
              orders.push({ id: res.body.id, announced: true });
              break;
            }
            case "unannounced": {
              const { order, paidEvent } = await unannouncedOrder(server, { showId, product: products[a.product]!, quantity: a.quantity, buyerId });
              orders.push({ id: order.id, announced: false, paidEvent });
              break;
            }
            case "callback": {
              const o = pick(a.order);
              if (!o) break;
              const event = o.paidEvent ?? { type: "order.paid" as const, orderId: o.id, merchantId: products[0]!.merchantId, showId, buyerId, hostOrder: (await server.app.orders.hostOrderView(o.id))!, productIds: [] };
              for (let i = 0; i < a.times; i++) server.app.bus.publish(event);
              o.announced = true;
              break;
            }
            case "retry": {
              const o = pick(a.order);
              if (!o?.announced) break;
              await Promise.all([server.app.commissions.recordPaid(o.id), server.app.commissions.recordPaid(o.id)]);
              break;
            }
            case "cancel": {
              const o = pick(a.order);
              if (!o) break;
              const cancelling = brand.orders.transition(o.id, "cancelled");
              // A duplicate callback racing the cancellation.
              if (a.withDuplicateCallback && o.announced) await Promise.all([cancelling, server.app.commissions.recordPaid(o.id)]);
              else await cancelling;
              break;
            }
            case "ship": {
              const o = pick(a.order);
              if (o) await brand.orders.transition(o.id, "shipped");
              break;
            }
            case "duplicateStatus": {
              const o = pick(a.order);
              if (o) server.app.bus.publish({ type: "order.status_changed", orderId: o.id, merchantId: products[0]!.merchantId, showId, status: await status(o.id), at: Date.now() });
              break;
            }
            case "advance":
              clock.advance(a.hours * 3600_000);
              break;
          }
          await checkBalances();
        }
        // Every order: at most one accrual and one reversal per line; net = its commission while it stands, else zero.
        for (const o of orders) {
          const order = (await server.app.orders.get(o.id))!;
          const entries = await server.app.db.db.selectFrom("commission_entries").selectAll().where("order_id", "=", o.id).execute();
          const accruals = entries.filter((e) => e.kind === "accrual");
          const reversals = entries.filter((e) => e.kind === "reversal");
          assert.ok(accruals.length <= order.items.length && reversals.length <= accruals.length);
          assert.equal(new Set(entries.map((e) => e.idempotency_key)).size, entries.length);
          const net = entries.reduce((s, e) => s + Number(e.amount), 0);
          const standing = order.status === "paid" || order.status === "shipped" || order.status === "delivered";
          const accrued = accruals.reduce((s, e) => s + Number(e.amount), 0);
          assert.equal(accrued, o.announced ? expectedCommission(order) : 0, `order ${o.id} accrued`);
          assert.equal(net, standing ? accrued : 0, `order ${o.id} (${order.status}) nets ${net}`);
        }
      }),
      { numRuns: Number(process.env.LEDGER_PROPERTY_RUNS ?? 25), endOnFailure: true },
    );
  });
});
