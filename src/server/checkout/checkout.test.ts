import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, CARD_DECLINED, CARD_FAILS, demoShow, idemKey } from "../../../test/support/fixtures.ts";

describe("buy now", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const stockOf = async (variantId: string) => (await server.app.catalog.variantForSale(server.app.db.db, variantId))!.stock;

  test("a viewer buys the showcased product; stock drops by the quantity; the order is theirs", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const before = await stockOf(variant.id);
    const res = await viewer.checkout.buyNow(buyBody(show.id, variant.id, undefined, 2), idemKey());
    assert.equal(res.status, 201);
    assert.equal(res.body.status, "paid");
    assert.equal(res.body.total, variant.price * 2);
    assert.equal(res.body.items[0]!.quantity, 2);
    assert.equal(res.body.cardLast4, "4242");
    assert.equal(await stockOf(variant.id), before - 2);
    const mine = await viewer.orders.mine();
    assert.ok(mine.body.items.some((o) => o.id === res.body.id));
    const merchant = await server.as("merchant");
    const theirs = await merchant.orders.merchant();
    assert.ok(theirs.body.items.some((o) => o.id === res.body.id));
  });

  test("a double tap (same Idempotency-Key, concurrently and again later) makes one order", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const before = await stockOf(variant.id);
    const key = idemKey();
    const body = buyBody(show.id, variant.id);
    const [a, b] = await Promise.all([viewer.checkout.buyNow(body, key), viewer.checkout.buyNow(body, key)]);
    const later = await viewer.checkout.buyNow(body, key);
    assert.deepEqual([a.status, b.status].sort(), [200, 201]);
    assert.equal(a.body.id, b.body.id);
    assert.equal(later.status, 200);
    assert.equal(later.body.id, a.body.id);
    assert.equal(await stockOf(variant.id), before - 1);
    const orders = await viewer.orders.mine();
    assert.equal(orders.body.items.filter((o) => o.id === a.body.id).length, 1);
  });

  test("the same key with a different request is refused", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const key = idemKey();
    assert.equal((await viewer.checkout.buyNow(buyBody(show.id, variant.id), key)).status, 201);
    const res = await viewer.checkout.buyNow(buyBody(show.id, variant.id, undefined, 3), key);
    assert.equal(res.status, 422);
    assert.equal(res.problem?.code, "idempotency_key_reused");
  });

  test("a declined card makes no order and leaves the stock unchanged", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const before = await stockOf(variant.id);
    const ordersBefore = (await viewer.orders.mine()).body.items.length;
    const res = await viewer.checkout.buyNow(buyBody(show.id, variant.id, CARD_DECLINED), idemKey());
    assert.equal(res.status, 402);
    assert.equal(res.problem?.code, "payment_declined");
    assert.equal(res.headers.get("content-type"), "application/problem+json; charset=utf-8");
    assert.equal(await stockOf(variant.id), before);
    assert.equal((await viewer.orders.mine()).body.items.length, ordersBefore);
  });

  test("a processing error makes no order, gives the stock back and says so", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const before = await stockOf(variant.id);
    const res = await viewer.checkout.buyNow(buyBody(show.id, variant.id, CARD_FAILS), idemKey());
    assert.equal(res.problem?.code, "payment_failed");
    assert.equal(await stockOf(variant.id), before);
  });

  test("more than the stock left: out_of_stock, nothing changes", async () => {
    const { show, tee } = await demoShow(server);
    const viewer = await server.as("viewer");
    const soldOut = tee.variants.find((v) => v.stock === 0)!;
    const res = await viewer.checkout.buyNow(buyBody(show.id, soldOut.id), idemKey());
    assert.equal(res.status, 409);
    assert.equal(res.problem?.code, "out_of_stock");
    assert.equal(await stockOf(soldOut.id), 0);
  });

  test("concurrent buyers never take more than the stock", async () => {
    const { show, tee } = await demoShow(server);
    const merchant = await server.as("merchant");
    const variant = tee.variants[0]!;
    await merchant.request("PUT", `/api/v1/merchant/variants/${variant.id}/stock`, { stock: 5 });
    const buyers = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const c = server.client();
        await c.auth.signUp(`stampede${i}@example.com`, "password-123", `Buyer ${i}`);
        return c;
      }),
    );
    const results = await Promise.all(buyers.map((c) => c.checkout.buyNow(buyBody(show.id, variant.id), idemKey())));
    assert.equal(results.filter((r) => r.status === 201).length, 5);
    assert.ok(results.filter((r) => r.status !== 201).every((r) => r.problem?.code === "out_of_stock"));
    assert.equal(await stockOf(variant.id), 0);
  });

  test("a product that is not in the show, a show that is not live, an ended show: clear errors", async () => {
    const { show, variant } = await demoShow(server);
    const merchant = await server.as("merchant");
    const viewer = await server.as("viewer");
    const other = await merchant.products.create({ title: "Not in the show", currency: "EUR", variants: [{ price: 100, stock: 5 }] });
    const notInShow = await viewer.checkout.buyNow(buyBody(show.id, other.body.variants[0]!.id), idemKey());
    assert.equal(notInShow.problem?.code, "product_not_in_show");

    const upcoming = (await server.app.shows.list({ status: "scheduled", limit: 10 })).find((s) => s.id !== show.id)!;
    const upcomingShow = (await server.app.shows.get(upcoming.id))!;
    const notLive = await viewer.checkout.buyNow(buyBody(upcoming.id, upcomingShow.products[0]!.variants[0]!.id), idemKey());
    assert.equal(notLive.problem?.code, "show_not_live");

    const ended = await merchant.shows.create({
      title: "Short one",
      scheduledAt: new Date().toISOString(),
      hostId: (await merchant.auth.me()).body.user!.id,
      productIds: [other.body.id],
    });
    await server.app.shows.markLive(ended.body.id);
    await merchant.shows.end(ended.body.id);
    const afterEnd = await viewer.checkout.buyNow(buyBody(ended.body.id, other.body.variants[0]!.id), idemKey());
    assert.equal(afterEnd.problem?.code, "show_already_ended");
    assert.equal(await stockOf(other.body.variants[0]!.id), 5, "refused purchases took no stock");
  });

  test("bad requests: no key, no session, malformed JSON, invalid body", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const noKey = await viewer.checkout.buyNow(buyBody(show.id, variant.id));
    assert.equal(noKey.problem?.code, "idempotency_key_required");
    const anon = await server.client().checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(anon.status, 401);
    assert.equal(anon.problem?.code, "unauthenticated");
    const malformed = await viewer.request("POST", "/api/v1/checkout/buy-now", "{not json", { "idempotency-key": idemKey() });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.problem?.code, "malformed_json");
    const invalid = await viewer.checkout.buyNow({ ...buyBody(show.id, variant.id), quantity: 0 }, idemKey());
    assert.equal(invalid.problem?.code, "validation_failed");
    assert.ok(invalid.problem?.errors?.some((e) => e.path.includes("quantity")));
  });

  test("a viewer cannot see another buyer's order; a merchant only its own", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const order = (await viewer.checkout.buyNow(buyBody(show.id, variant.id), idemKey())).body;
    const stranger = server.client();
    await stranger.auth.signUp("stranger@example.com", "password-123", "Stranger");
    const peek = await stranger.orders.get(order.id);
    assert.equal(peek.status, 404);
    assert.equal(peek.problem?.code, "not_found");
    assert.equal((await stranger.orders.mine()).body.items.length, 0);
    const denied = await stranger.orders.merchant();
    assert.equal(denied.problem?.code, "forbidden");
  });

  test("the merchant ships and delivers; cancelling refunds and restocks", async () => {
    const { show, variant } = await demoShow(server);
    const viewer = await server.as("viewer");
    const merchant = await server.as("merchant");
    const a = (await viewer.checkout.buyNow(buyBody(show.id, variant.id), idemKey())).body;
    assert.equal((await merchant.orders.transition(a.id, "shipped")).body.status, "shipped");
    const delivered = await merchant.orders.transition(a.id, "delivered");
    assert.deepEqual(delivered.body.history.map((h) => h.status), ["paid", "shipped", "delivered"]);
    const bad = await merchant.orders.transition(a.id, "cancelled");
    assert.equal(bad.problem?.code, "invalid_transition");

    const b = (await viewer.checkout.buyNow(buyBody(show.id, variant.id), idemKey())).body;
    const stock = await stockOf(variant.id);
    const cancelled = await merchant.orders.transition(b.id, "cancelled");
    assert.equal(cancelled.body.status, "refunded");
    assert.deepEqual(cancelled.body.history.map((h) => h.status), ["paid", "cancelled", "refunded"]);
    assert.equal(await stockOf(variant.id), stock + 1);
    const viewerSees = await viewer.orders.get(b.id);
    assert.equal(viewerSees.body.status, "refunded");
  });
});
