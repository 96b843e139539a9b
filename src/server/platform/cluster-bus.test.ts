import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import type { DomainEvent } from "../events.ts";
import { openBroker, type Broker } from "./broker.ts";
import { ClusterBus } from "./cluster-bus.ts";
import type { EventMeta } from "./bus.ts";
import { testPrefix } from "../../../test/support/brokers.ts";
import { until } from "../../../test/support/until.ts";

const log = pino({ level: "silent" });

/** Two nodes' buses on one real broker: what crosses, and what stays where it was published. */
function clusterBusSuite(url: string, kind: string) {
  let brokers: Broker[] = [];
  let a: ClusterBus;
  let b: ClusterBus;
  const errors: unknown[] = [];
  before(async () => {
    const prefix = testPrefix(`bus_${kind}`);
    brokers = [await openBroker(url, { prefix, log }), await openBroker(url, { prefix, log })];
    a = new ClusterBus(brokers[0]!, (err) => errors.push(err), log);
    b = new ClusterBus(brokers[1]!, (err) => errors.push(err), log);
  });
  after(async () => {
    await a.close();
    await b.close();
    for (const x of brokers) await x.close();
  });

  test("local subscribers get their own node's events only; cluster subscribers get every node's, once, told where from", async () => {
    const localOnA: string[] = [];
    const clusterOnA: [string, EventMeta["origin"]][] = [];
    const clusterOnB: [string, EventMeta["origin"]][] = [];
    a.subscribe("stock.changed", (e) => void localOnA.push(e.productId));
    a.subscribe("stock.changed", (e, m) => void clusterOnA.push([e.productId, m.origin]), { scope: "cluster" });
    b.subscribe("stock.changed", (e, m) => void clusterOnB.push([e.productId, m.origin]), { scope: "cluster" });
    await new Promise((r) => setTimeout(r, 200));
    a.publish({ type: "stock.changed", productId: "prd_from_a" });
    b.publish({ type: "stock.changed", productId: "prd_from_b" });
    await until("both cluster subscribers got both events", async () => clusterOnA.length === 2 && clusterOnB.length === 2, 10_000, 50);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(localOnA, ["prd_from_a"], "a local subscription never hears another node");
    assert.deepEqual(clusterOnA.sort(), [["prd_from_a", "local"], ["prd_from_b", "remote"]]);
    assert.deepEqual(clusterOnB.sort(), [["prd_from_a", "remote"], ["prd_from_b", "local"]]);
    assert.deepEqual(errors, []);
  });

  test("events cross as JSON unchanged (nested contracts, nulls, optional fields)", async () => {
    const got: DomainEvent[] = [];
    const off = b.subscribe("order.paid", (e) => void got.push(e), { scope: "cluster" });
    await new Promise((r) => setTimeout(r, 200));
    const event: DomainEvent = {
      type: "order.paid",
      orderId: "ord_1",
      merchantId: "mer_1",
      showId: null,
      buyerId: "usr_1",
      hostOrder: { orderId: "ord_1", number: "V-1", buyerName: "Sofia", productTitle: "Tee «rossa»", variantTitle: "M", quantity: 2, total: 4200, currency: "EUR", at: new Date(0).toISOString() },
      productIds: ["prd_1"],
    };
    a.publish(event);
    await until("delivered", async () => got.length === 1, 10_000, 50);
    assert.deepEqual(got[0], event);
    off();
  });
}

const redis = process.env.TEST_REDIS_URL;
const nats = process.env.TEST_NATS_URL;
describe("cluster event bus on Redis", { skip: redis ? false : "TEST_REDIS_URL is not set" }, () => {
  if (redis) clusterBusSuite(redis, "redis");
});
describe("cluster event bus on NATS", { skip: nats ? false : "TEST_NATS_URL is not set" }, () => {
  if (nats) clusterBusSuite(nats, "nats");
});
