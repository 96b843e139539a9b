import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { TestClock } from "../../../test/support/flash.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { campaignApi, campaignBody, earningsApi, newCreator, newMerchant } from "../../../test/support/creators.ts";
import { partnerApi, partnerStore } from "../../../test/support/partners.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import { commissionFor } from "../commissions/money.ts";
import { sign, verifySignature } from "./signature.ts";

const DAY = 86_400_000;
const JD_URL = "https://item.jd.com/100012043978.html?spm=a.b.c#detail";

let n = 0;
const deliveryId = () => `dlv-${process.pid}-${Date.now()}-${n++}`;
const orderRef = () => `JD-${process.pid}-${Date.now()}-${n++}`;

describe("postback signatures", () => {
  test("v1 is hex HMAC-SHA256 over `${timestamp}.${raw body}`, compared on the exact bytes", () => {
    const body = Buffer.from('{"id":"d1"}');
    const sig = sign("s3cret", 1700000000, body);
    assert.match(sig, /^[0-9a-f]{64}$/);
    assert.equal(verifySignature("s3cret", "1700000000", body, `v1=${sig}`), true);
    assert.equal(verifySignature("s3cret", "1700000000", body, `v0=abc, v1=${sig}`), true, "any listed v1 may match");
    assert.equal(verifySignature("s3cret", "1700000001", body, `v1=${sig}`), false, "another timestamp");
    assert.equal(verifySignature("s3cret", "1700000000", Buffer.from('{"id": "d1"}'), `v1=${sig}`), false, "the same JSON, other bytes");
    assert.equal(verifySignature("other", "1700000000", body, `v1=${sig}`), false, "another secret");
    assert.equal(verifySignature("s3cret", "1700000000", body, sig), false, "no version prefix");
  });
});

describe("partner-store products", () => {
  let server: TestServer;
  const clock = new TestClock();
  let brand: ApiClient;
  let brandId: string;
  let secret: string;
  let espresso: Product;
  let tee: Product;

  before(async () => {
    server = await startServer({}, { clock: clock.now });
    brand = await server.as("merchant");
    brandId = (await brand.auth.me()).body.user!.merchantId!;
    tee = (await brand.products.list()).body.items.find((p) => p.title.includes("tee"))!;
    const created = await brand.products.create({
      title: "Espresso machine",
      currency: "EUR",
      images: [],
      variants: [{ sku: "JD-ESP-1", price: 34900, stock: 50 }],
      kind: "external",
      externalUrl: JD_URL,
      storeName: "JD.com",
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    espresso = created.body;
    const rotated = await partnerApi(brand).rotateSecret();
    assert.equal(rotated.status, 200);
    secret = rotated.body.secret;
  });
  after(() => server.close());

  /** A creator's live campaign show with the espresso machine (12.5 %) and the tee. */
  async function campaignShow(name: string) {
    const creator = await newCreator(server, name);
    const campaign = (await campaignApi(brand).create(campaignBody([], { commissionBps: 1250, products: [{ productId: espresso.id }, { productId: tee.id }], invitedHandles: [creator.creator.handle] }))).body;
    await campaignApi(creator.client).accept(campaign.id);
    const show = (await campaignApi(creator.client).scheduleShow({ campaignId: campaign.id, title: `${name} live`, scheduledAt: new Date().toISOString(), productIds: [espresso.id, tee.id] })).body;
    await server.app.shows.markLive(show.id);
    return { ...creator, campaign, show };
  }
  const store = () => partnerStore(server.client(), brandId, secret, clock.now);
  const conversion = (clickId: string, over: Record<string, unknown> = {}) => ({
    id: deliveryId(),
    clickId,
    orderRef: orderRef(),
    status: "paid",
    currency: "EUR",
    lines: [{ productId: espresso.id, quantity: 2, lineTotal: 2 * 33_900 }],
    ...over,
  });
  const balances = async (c: ApiClient) => (await earningsApi(c).balances()).body.balances.map((b) => ({ currency: b.currency, pending: b.pending, available: b.available }));
  const ledger = (saleId: string) => server.app.db.db.selectFrom("commission_entries").selectAll().where("order_id", "=", saleId).orderBy("created_at").orderBy("id").execute();
  const counts = async () => ({
    conversions: Number((await server.app.db.db.selectFrom("partner_conversions").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n),
    deliveries: Number((await server.app.db.db.selectFrom("partner_deliveries").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n),
    entries: Number((await server.app.db.db.selectFrom("commission_entries").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n),
  });

  test("a merchant lists an external product: price and store here, stock at the store; bad URLs are refused", async () => {
    assert.equal(espresso.kind, "external");
    assert.equal(espresso.externalUrl, JD_URL);
    assert.equal(espresso.storeName, "JD.com");
    assert.equal(espresso.variants[0]!.price, 34900);
    assert.equal(espresso.variants[0]!.stock, 0, "the stock is the partner store's, not ours");
    assert.equal(tee.kind, "own");
    assert.equal(tee.externalUrl, null);

    const base = { title: "X", currency: "EUR", variants: [{ price: 100, stock: 1 }] };
    for (const [body, path] of [
      [{ ...base, kind: "external", externalUrl: "http://jd.com/item", storeName: "JD.com" }, "externalUrl"],
      [{ ...base, kind: "external", externalUrl: "javascript:alert(1)", storeName: "JD.com" }, "externalUrl"],
      [{ ...base, kind: "external", externalUrl: "https://user:pw@jd.com/item", storeName: "JD.com" }, "externalUrl"],
      [{ ...base, kind: "external", externalUrl: "https://jd.com/item" }, "storeName"],
      [{ ...base, kind: "external", storeName: "JD.com" }, "externalUrl"],
      [{ ...base, externalUrl: "https://jd.com/item" }, "externalUrl"],
    ] as const) {
      const res = await brand.products.create(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.problem?.code, "validation_failed");
      assert.ok(res.problem!.errors!.some((e) => e.path.includes(path)), `${path}: ${JSON.stringify(res.problem!.errors)}`);
    }
    const local = await brand.products.create({ ...base, kind: "external", externalUrl: "http://127.0.0.1:9/item", storeName: "Test store" });
    assert.equal(local.status, 201, "plain http only for a store on this machine");

    // The stock of an external product cannot be set here either.
    const stock = await brand.request("PUT", `/api/v1/merchant/variants/${espresso.variants[0]!.id}/stock`, { stock: 5 });
    assert.equal(stock.status, 409);
    assert.equal(stock.problem?.code, "product_external");
  });

  test("buying an external product here is refused with product_external; so is a flash sale of it", async () => {
    const kol = await campaignShow("refused");
    const viewer = await server.as("viewer");
    const res = await viewer.checkout.buyNow(buyBody(kol.show.id, espresso.variants[0]!.id), idemKey());
    assert.equal(res.status, 409);
    assert.equal(res.problem?.code, "product_external");
    const flash = await kol.client.request("POST", `/api/v1/shows/${kol.show.id}/flash-sales`, { variantId: espresso.variants[0]!.id, salePrice: 100, quantity: 5, perBuyerLimit: 1, countdownSeconds: 10, durationSeconds: 60 });
    assert.equal(flash.problem?.code, "product_external");
  });

  test("the card's redirect records the click (show, creator, viewer) and appends vetrina_click to the store's URL", async () => {
    const kol = await campaignShow("clicker");
    const viewer = await server.as("viewer");
    const viewerId = (await viewer.auth.me()).body.user!.id;

    const signedIn = await partnerStore(viewer, brandId, secret).click(kol.show.id, espresso.id);
    assert.equal(signedIn.status, 302);
    assert.ok(signedIn.clickId?.startsWith("clk_"));
    assert.equal(signedIn.location, `https://item.jd.com/100012043978.html?spm=a.b.c&vetrina_click=${signedIn.clickId}#detail`, "query and fragment kept");
    const row = await server.app.db.db.selectFrom("partner_clicks").selectAll().where("id", "=", signedIn.clickId!).executeTakeFirstOrThrow();
    assert.deepEqual(
      [row.show_id, row.product_id, row.merchant_id, row.campaign_id, row.creator_id, row.viewer_user_id],
      [kol.show.id, espresso.id, brandId, kol.campaign.id, kol.creator.id, viewerId],
    );
    assert.ok(row.ip_hash && !row.ip_hash.includes("127.0.0.1"), "the address is kept hashed");

    const anonymous = await store().click(kol.show.id, espresso.id);
    assert.equal(anonymous.status, 302);
    assert.notEqual(anonymous.clickId, signedIn.clickId, "every tap is a click of its own");
    const anonRow = await server.app.db.db.selectFrom("partner_clicks").select("viewer_user_id").where("id", "=", anonymous.clickId!).executeTakeFirstOrThrow();
    assert.equal(anonRow.viewer_user_id, null);

    // Unknown show, a product not in the show, and one of our own products: problem+json 404s.
    const other = await newMerchant(server, "Elsewhere");
    for (const [showId, productId] of [
      ["shw_nope", espresso.id],
      [kol.show.id, other.products[0]!.id],
      [kol.show.id, tee.id],
    ]) {
      const r = await store().click(showId!, productId!);
      assert.equal(r.status, 404, `${showId} ${productId}`);
      assert.match(r.contentType ?? "", /^application\/problem\+json/);
      assert.equal(r.problem.code, "not_found");
    }
  });

  test("a signed conversion postback earns the creator the campaign's commission; a refund reverses it, once", async () => {
    const kol = await campaignShow("earner");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    const body = conversion(clickId!, { lines: [{ productId: espresso.id, quantity: 2, lineTotal: 2 * 33_900 }, { sku: "JD-ESP-1", quantity: 1, lineTotal: 34_900 }, { sku: "NOT-OURS", quantity: 1, lineTotal: 5_000 }] });
    const paid = await store().post(body);
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    assert.deepEqual({ ...paid.body, conversionId: undefined }, { conversionId: undefined, status: "paid", attributed: true, reason: null, duplicate: false });
    const expected = commissionFor(67_800, 1250) + commissionFor(34_900, 1250); // 8475 + 4362
    assert.deepEqual(await balances(kol.client), [{ currency: "EUR", pending: expected, available: 0 }]);
    const entries = await ledger(paid.body.conversionId);
    assert.deepEqual(entries.map((e) => [e.kind, e.product_id, Number(e.line_total), e.rate_bps, Number(e.amount), e.order_number, e.campaign_id, e.show_id]).sort(), [
      ["accrual", espresso.id, 34_900, 1250, 4362, body.orderRef, kol.campaign.id, kol.show.id],
      ["accrual", espresso.id, 67_800, 1250, 8475, body.orderRef, kol.campaign.id, kol.show.id],
    ]);

    // The same order reported paid again (a new delivery): nothing is entered twice.
    const again = await store().post({ ...body, id: deliveryId() });
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.conversionId, again.body.duplicate], [paid.body.conversionId, true]);
    assert.equal((await ledger(paid.body.conversionId)).length, 2);

    // Refunded: every accrual is reversed exactly; a later cancellation of the same order changes nothing.
    const refunded = await store().post({ ...body, id: deliveryId(), status: "refunded" });
    assert.deepEqual([refunded.status, refunded.body.status, refunded.body.duplicate], [200, "refunded", false]);
    const cancelled = await store().post({ ...body, id: deliveryId(), status: "cancelled" });
    assert.deepEqual([cancelled.status, cancelled.body.duplicate], [200, true]);
    const paidAfterRefund = await store().post({ ...body, id: deliveryId() });
    assert.deepEqual([paidAfterRefund.status, paidAfterRefund.body.duplicate], [200, true]);
    const after = await ledger(paid.body.conversionId);
    assert.deepEqual(after.map((e) => [e.kind, Number(e.amount)]).sort(), [["accrual", 4362], ["accrual", 8475], ["reversal", -8475], ["reversal", -4362]].sort());
    assert.deepEqual(await balances(kol.client), [{ currency: "EUR", pending: 0, available: 0 }]);
  });

  test("deliveries racing each other enter one conversion and one set of accruals", async () => {
    const kol = await campaignShow("racer");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    const body = conversion(clickId!);
    const sameOrder = await Promise.all(Array.from({ length: 6 }, () => store().post({ ...body, id: deliveryId() })));
    assert.ok(sameOrder.every((r) => r.status === 200), JSON.stringify(sameOrder.map((r) => r.body)));
    assert.equal(new Set(sameOrder.map((r) => r.body.conversionId)).size, 1);
    assert.equal(sameOrder.filter((r) => !r.body.duplicate).length, 1);
    const sameDelivery = await Promise.all(Array.from({ length: 4 }, () => store().post({ ...body, id: "dup-" + body.id, status: "refunded" })));
    assert.deepEqual(sameDelivery.map((r) => r.status).sort(), [200, 409, 409, 409]);
    assert.deepEqual((await ledger(sameOrder[0]!.body.conversionId)).map((e) => [e.kind, Number(e.amount)]).sort(), [["accrual", 8475], ["reversal", -8475]].sort());
  });

  test("a bad signature, an old or missing timestamp and a replayed delivery id are refused with their codes and enter nothing", async () => {
    const kol = await campaignShow("guarded");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    const body = conversion(clickId!);
    const before = await counts();
    const nowS = Math.floor(clock.now() / 1000);

    const refusals: [string, Awaited<ReturnType<ReturnType<typeof store>["post"]>>, number, string][] = [
      ["wrong secret", await store().post(body, { secret: "vps_guess" }), 401, "postback_signature_invalid"],
      ["garbage signature", await store().post(body, { signature: "v1=00" }), 401, "postback_signature_invalid"],
      ["body changed after signing", await store().post(body, { raw: JSON.stringify({ ...body, lines: [{ productId: espresso.id, quantity: 20, lineTotal: 678_000 }] }), signature: `v1=${sign(secret, nowS, JSON.stringify(body))}` }), 401, "postback_signature_invalid"],
      ["unknown merchant", await store().post(body, { merchant: "mrc_unknown" }), 401, "postback_signature_invalid"],
      ["timestamp 301 s old", await store().post(body, { timestamp: nowS - 301 }), 401, "postback_timestamp_invalid"],
      ["timestamp in the future", await store().post(body, { timestamp: nowS + 400 }), 401, "postback_timestamp_invalid"],
      ["no timestamp", await store().post(body, { timestamp: null }), 401, "postback_timestamp_invalid"],
    ];
    for (const [what, res, status, code] of refusals) {
      assert.equal(res.status, status, what);
      assert.equal(res.problem?.code, code, what);
    }
    assert.deepEqual(await counts(), before, "nothing entered by refused postbacks");

    // Within the tolerance it goes through; the same delivery id again is a replay.
    const ok = await store().post(body, { timestamp: nowS - 250 });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const entered = await counts();
    const replayed = await store().post(body);
    assert.equal(replayed.status, 409);
    assert.equal(replayed.problem?.code, "postback_replayed");
    const replayedAsRefund = await store().post({ ...body, status: "refunded" });
    assert.equal(replayedAsRefund.problem?.code, "postback_replayed", "the id is the delivery's, whatever it says");
    assert.deepEqual(await counts(), entered, "a replay enters nothing");

    // Signed, fresh, but not a valid conversion.
    const invalid = await store().post({ ...body, id: deliveryId(), lines: [{ quantity: 1, lineTotal: 9.5 }] });
    assert.equal(invalid.status, 400);
    assert.equal(invalid.problem?.code, "validation_failed");
    const notJson = await store().post({}, { raw: "{not json" });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.problem?.code, "malformed_json");
    assert.deepEqual(await counts(), entered);
  });

  test("a merchant cannot post conversions for another merchant's clicks", async () => {
    const kol = await campaignShow("poached");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    const rival = await newMerchant(server, "Rival store");
    const rivalSecret = (await partnerApi(rival.client).rotateSecret()).body.secret;
    const before = await counts();
    const res = await partnerStore(server.client(), rival.merchantId, rivalSecret, clock.now).post(conversion(clickId!));
    assert.equal(res.status, 404);
    assert.equal(res.problem?.code, "click_not_found");
    const unknown = await store().post(conversion("clk_doesnotexist"));
    assert.equal(unknown.problem?.code, "click_not_found");
    assert.deepEqual(await counts(), before);
  });

  test("a merchant's settings show the postback URL; rotating the secret retires the old one at once", async () => {
    const s = await partnerApi(brand).settings();
    assert.equal(s.status, 200);
    assert.equal(s.body.postbackUrl, `${server.config.publicUrl}/api/v1/partners/conversions`);
    assert.deepEqual([s.body.merchantHeader, s.body.hasSecret, s.body.attributionDays, s.body.toleranceSeconds], [brandId, true, 7, 300]);
    assert.equal(JSON.stringify(s.body).includes(secret), false, "the secret is shown only when made");
    assert.equal((await partnerApi(await server.as("viewer")).settings()).status, 403);

    const kol = await campaignShow("rotated");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    const old = secret;
    secret = (await partnerApi(brand).rotateSecret()).body.secret;
    assert.notEqual(secret, old);
    assert.equal((await store().post(conversion(clickId!), { secret: old })).problem?.code, "postback_signature_invalid");
    assert.equal((await store().post(conversion(clickId!))).status, 200);
  });

  test("a sale in a show without a campaign, or after the attribution window, is recorded and earns nothing", async () => {
    const own = (await brand.shows.create({ title: "Own show", scheduledAt: new Date().toISOString(), hostId: (await brand.auth.me()).body.user!.id, productIds: [espresso.id] })).body;
    const ownClick = await store().click(own.id, espresso.id);
    assert.equal(ownClick.status, 302);
    const noCampaign = await store().post(conversion(ownClick.clickId!));
    assert.deepEqual([noCampaign.status, noCampaign.body.attributed, noCampaign.body.reason], [200, false, "no_campaign"]);
    assert.equal((await ledger(noCampaign.body.conversionId)).length, 0);

    const kol = await campaignShow("late");
    const { clickId } = await store().click(kol.show.id, espresso.id);
    // Ordered on day 6 (reported a day later): inside the 7-day window.
    clock.advance(7 * DAY - 60_000);
    const inside = await store().post(conversion(clickId!, { orderedAt: new Date(clock.now() - DAY).toISOString() }));
    assert.deepEqual([inside.body.attributed, inside.body.reason], [true, null]);
    assert.equal((await ledger(inside.body.conversionId)).length, 1);
    // Ordered 7 days and a minute after the click.
    clock.advance(2 * 60_000);
    const late = await store().post(conversion(clickId!));
    assert.equal(late.status, 200);
    assert.deepEqual([late.body.attributed, late.body.reason, late.body.duplicate], [false, "outside_window", false]);
    assert.equal((await ledger(late.body.conversionId)).length, 0);
    const row = await server.app.db.db.selectFrom("partner_conversions").selectAll().where("id", "=", late.body.conversionId).executeTakeFirstOrThrow();
    assert.deepEqual([row.click_id, row.show_id, row.attributed, row.reason], [clickId, kol.show.id, 0, "outside_window"]);
  });
});
