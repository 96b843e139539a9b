import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { TestClock } from "../../../test/support/flash.ts";
import { campaignApi, campaignBody, creatorApi, newCreator, newMerchant } from "../../../test/support/creators.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Product } from "../../shared/contracts/catalog.ts";

describe("campaigns", () => {
  let server: TestServer;
  const clock = new TestClock();
  let brand: ApiClient;
  let products: Product[];
  before(async () => {
    server = await startServer({}, { clock: clock.now });
    brand = await server.as("merchant");
    products = (await brand.products.list()).body.items;
  });
  after(() => server.close());

  const soon = (minutes = 5) => new Date(Date.now() + minutes * 60_000).toISOString();
  const showBody = (campaignId: string, productIds: string[], over: Record<string, unknown> = {}) => ({ campaignId, title: "My live", scheduledAt: soon(), productIds, ...over });

  test("a brand creates a campaign with per-product rates and invites a creator, who accepts", async () => {
    const { client, creator } = await newCreator(server, "kol");
    const [tee, sneaker] = products;
    const res = await campaignApi(brand).create(
      campaignBody([], { name: "Sneaker week", commissionBps: 1200, products: [{ productId: tee!.id }, { productId: sneaker!.id, commissionBps: 2500 }], invitedHandles: [creator.handle.toUpperCase()] }),
    );
    assert.equal(res.status, 201);
    const c = res.body;
    assert.equal(c.currency, "EUR");
    assert.equal(c.status, "running");
    assert.deepEqual(c.products.map((p) => [p.productId, p.commissionBps, p.overridden]), [[tee!.id, 1200, false], [sneaker!.id, 2500, true]]);
    assert.deepEqual(c.creators.map((m) => [m.creatorId, m.status]), [[creator.id, "invited"]]);

    const seen = await campaignApi(client).mine();
    assert.equal(seen.body.items.find((x) => x.id === c.id)?.membership, "invited");
    assert.equal((await campaignApi(client).accept(c.id)).body.membership, "accepted");
    assert.equal((await campaignApi(client).accept(c.id)).body.membership, "accepted", "accepting twice is harmless");
    assert.equal((await campaignApi(brand).get(c.id)).body.creators[0]!.status, "accepted");
    assert.equal((await campaignApi(client).decline(c.id)).problem?.code, "conflict");
  });

  test("bad campaigns are refused with their codes", async () => {
    const ids = products.slice(0, 2).map((p) => p.id);
    const api = campaignApi(brand);
    const expect = async (over: Record<string, unknown>, code: string, productIds = ids) => {
      const r = await api.create(campaignBody(productIds, over));
      assert.equal(r.problem?.code, code, JSON.stringify(over));
    };
    await expect({ commissionBps: 99 }, "validation_failed");
    await expect({ commissionBps: 8001 }, "validation_failed");
    await expect({ commissionBps: 10.5 }, "validation_failed");
    await expect({ products: [{ productId: ids[0], commissionBps: 9000 }] }, "validation_failed");
    await expect({ products: [{ productId: ids[0] }, { productId: ids[0] }] }, "validation_failed");
    await expect({ products: [] }, "validation_failed");
    await expect({ currency: "eur" }, "validation_failed");
    await expect({ endsAt: new Date(Date.now() - 7200_000).toISOString() }, "validation_failed");
    await expect({ startsAt: new Date(Date.now() - 9 * 86_400_000).toISOString(), endsAt: new Date(Date.now() - 86_400_000).toISOString() }, "validation_failed");
    await expect({ audience: "everyone" }, "validation_failed");
    await expect({ invitedHandles: ["no_such_creator"] }, "validation_failed");
    await expect({ currency: "USD" }, "currency_mismatch");
    const other = await newMerchant(server, "Other brand", [{ currency: "EUR", price: 500 }, { currency: "USD", price: 700 }]);
    await expect({}, "validation_failed", [ids[0]!, other.products[0]!.id]);
    // One currency per campaign, stated: a USD product cannot join a EUR campaign even of its own brand.
    const mixed = await campaignApi(other.client).create(campaignBody(other.products.map((p) => p.id)));
    assert.equal(mixed.problem?.code, "currency_mismatch");
    assert.equal((await campaignApi(other.client).create(campaignBody([other.products[1]!.id], { currency: "USD" }))).status, 201);
    assert.equal((await campaignApi(await server.as("viewer")).create(campaignBody(ids))).problem?.code, "forbidden");
    assert.equal((await campaignApi(server.client()).create(campaignBody(ids))).problem?.code, "unauthenticated");
  });

  test("a merchant sees only its own campaigns", async () => {
    const mine = (await campaignApi(brand).create(campaignBody([products[0]!.id], { name: "Ours" }))).body;
    const other = await newMerchant(server, "Rival");
    const theirs = (await campaignApi(other.client).create(campaignBody([other.products[0]!.id], { name: "Theirs" }))).body;
    const ourList = (await campaignApi(brand).list()).body.items;
    assert.ok(ourList.some((c) => c.id === mine.id));
    assert.ok(!ourList.some((c) => c.id === theirs.id));
    assert.ok(ourList.every((c) => c.merchantId === mine.merchantId));
    assert.deepEqual((await campaignApi(other.client).list()).body.items.map((c) => c.id), [theirs.id]);
    assert.equal((await campaignApi(other.client).get(mine.id)).problem?.code, "not_found");
    assert.equal((await campaignApi(other.client).invite(mine.id, ["marcolive"])).problem?.code, "not_found");
    assert.equal((await campaignApi(await server.as("host")).list()).problem?.code, "forbidden", "a creator is not a brand");
  });

  test("invitations: only invited creators see an invitation-only campaign; decline, then accept again", async () => {
    const invited = await newCreator(server, "inv");
    const outsider = await newCreator(server, "out");
    const c = (await campaignApi(brand).create(campaignBody([products[0]!.id], { invitedHandles: [invited.creator.handle] }))).body;
    assert.ok(!(await campaignApi(outsider.client).mine()).body.items.some((x) => x.id === c.id));
    assert.equal((await campaignApi(outsider.client).view(c.id)).problem?.code, "not_found");
    assert.equal((await campaignApi(outsider.client).accept(c.id)).problem?.code, "not_found");
    assert.equal((await campaignApi(outsider.client).join(c.id)).problem?.code, "not_found");
    assert.equal((await campaignApi(invited.client).decline(c.id)).body.membership, "declined");
    assert.equal((await campaignApi(brand).get(c.id)).body.creators[0]!.status, "declined");
    assert.equal((await campaignApi(invited.client).accept(c.id)).body.membership, "accepted");
    // Invited later: the outsider can now see and accept it.
    await campaignApi(brand).invite(c.id, [outsider.creator.handle]);
    assert.equal((await campaignApi(outsider.client).view(c.id)).body.membership, "invited");
    // Without a creator profile there is nothing to accept with.
    const viewer = await server.as("viewer");
    assert.equal((await campaignApi(viewer).accept(c.id)).problem?.code, "creator_profile_required");
    assert.equal((await campaignApi(viewer).mine()).problem?.code, "creator_profile_required");
  });

  test("an open campaign is listed to every creator, and any creator may join it", async () => {
    const c = (await campaignApi(brand).create(campaignBody([products[1]!.id], { audience: "open", name: "Open call" }))).body;
    const someone = await newCreator(server, "open");
    const listed = (await campaignApi(someone.client).mine()).body.items.find((x) => x.id === c.id);
    assert.equal(listed?.membership, null);
    assert.equal((await campaignApi(someone.client).decline(c.id)).problem?.code, "not_found", "nothing to decline");
    assert.equal((await campaignApi(someone.client).join(c.id)).body.membership, "accepted");
    assert.deepEqual((await campaignApi(brand).get(c.id)).body.creators.map((m) => [m.creatorId, m.status, m.invitedAt]), [[someone.creator.id, "accepted", null]]);
  });

  test("a creator schedules shows only with products of campaigns it has joined", async () => {
    const [tee, sneaker, lipstick] = products;
    const member = await newCreator(server, "member");
    const pending = await newCreator(server, "pending");
    const stranger = await newCreator(server, "stranger");
    const a = (await campaignApi(brand).create(campaignBody([tee!.id, sneaker!.id], { invitedHandles: [member.creator.handle, pending.creator.handle] }))).body;
    const b = (await campaignApi(brand).create(campaignBody([lipstick!.id], { name: "B", invitedHandles: [pending.creator.handle] }))).body;
    await campaignApi(member.client).accept(a.id);

    assert.equal((await campaignApi(pending.client).scheduleShow(showBody(a.id, [tee!.id]))).problem?.code, "campaign_not_joined", "invited is not joined");
    assert.equal((await campaignApi(stranger.client).scheduleShow(showBody(a.id, [tee!.id]))).problem?.code, "campaign_not_joined");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody(a.id, [tee!.id, lipstick!.id]))).problem?.code, "campaign_not_joined", "lipstick is campaign B's");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody(b.id, [lipstick!.id]))).problem?.code, "campaign_not_joined");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody(a.id, [products[3]!.id]))).problem?.code, "campaign_not_joined", "in no campaign at all");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody(a.id, []))).problem?.code, "validation_failed");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody(a.id, [tee!.id], { scheduledAt: new Date(Date.now() + 90 * 86_400_000).toISOString() }))).problem?.code, "validation_failed", "outside the period");
    assert.equal((await campaignApi(member.client).scheduleShow(showBody("cmp_nope", [tee!.id]))).problem?.code, "not_found");
    assert.equal((await campaignApi(await server.as("viewer")).scheduleShow(showBody(a.id, [tee!.id]))).problem?.code, "creator_profile_required");

    const created = await campaignApi(member.client).scheduleShow(showBody(a.id, [tee!.id, sneaker!.id]));
    assert.equal(created.status, 201);
    const show = created.body;
    assert.equal(show.hostId, member.userId);
    assert.equal(show.merchantId, a.merchantId, "the brand is the show's merchant");
    assert.deepEqual(show.products.map((p) => p.id), [tee!.id, sneaker!.id]);
    assert.deepEqual((await campaignApi(member.client).shows()).body.items.map((s) => s.id), [show.id]);
    assert.ok((await creatorApi(server.client()).page(member.creator.handle)).body.upcoming.some((s) => s.id === show.id));
    assert.ok((await brand.shows.merchantList()).body.items.some((s) => s.id === show.id), "the brand sees shows featuring its campaign");
    // The stream key is the creator's alone: the brand may follow the show (counters), not stream on the creator's channel.
    assert.equal((await member.client.shows.studio(show.id)).status, 200);
    assert.equal((await brand.shows.studio(show.id)).problem?.code, "forbidden");
    assert.equal((await brand.shows.rotateKey(show.id)).problem?.code, "forbidden");
    assert.equal((await brand.shows.counters(show.id)).status, 200);
    assert.equal((await stranger.client.shows.studio(show.id)).problem?.code, "forbidden");

    // Editing: the same rules; only its creator; not the brand.
    assert.equal((await campaignApi(member.client).editShow(show.id, { title: "Edited", scheduledAt: soon(10), productIds: [tee!.id, lipstick!.id] })).problem?.code, "campaign_not_joined");
    const edited = await campaignApi(member.client).editShow(show.id, { title: "Edited", scheduledAt: soon(10), productIds: [sneaker!.id] });
    assert.equal(edited.status, 200);
    assert.deepEqual(edited.body.products.map((p) => p.id), [sneaker!.id]);
    assert.equal((await campaignApi(stranger.client).editShow(show.id, { title: "Mine now", scheduledAt: soon(), productIds: [tee!.id] })).problem?.code, "not_found");
    const merchantEdit = await brand.request("PUT", `/api/v1/merchant/shows/${show.id}`, { title: "Brand's", scheduledAt: soon(), hostId: member.userId, productIds: [products[3]!.id] });
    assert.equal(merchantEdit.problem?.code, "forbidden");
    assert.equal((await server.client().shows.get(show.id)).body.title, "Edited");
  });

  test("in its live show a creator showcases only its campaign's products, and only while the campaign runs", async () => {
    const [tee, sneaker] = products;
    const member = await newCreator(server, "live");
    const c = (await campaignApi(brand).create(campaignBody([tee!.id, sneaker!.id], { endsAt: new Date(Date.now() + 2 * 86_400_000).toISOString(), invitedHandles: [member.creator.handle] }))).body;
    await campaignApi(member.client).accept(c.id);
    const show = (await campaignApi(member.client).scheduleShow(showBody(c.id, [tee!.id, sneaker!.id]))).body;
    await server.app.shows.markLive(show.id);
    assert.equal((await member.client.shows.showcase(show.id, tee!.id)).status, 200);
    assert.equal((await member.client.shows.showcase(show.id, products[2]!.id)).problem?.code, "product_not_in_show");

    // A show whose host never joined the campaign (made behind the campaigns domain's back) cannot showcase its products.
    const outsider = await newCreator(server, "sneaky");
    const rogue = await server.app.shows.createForCampaign({ merchantId: c.merchantId, hostUserId: outsider.userId, campaignId: c.id, input: { title: "Rogue", description: "", coverUrl: null, scheduledAt: soon(), productIds: [tee!.id] } });
    assert.ok(rogue.ok);
    await server.app.shows.markLive(rogue.show.id);
    const refused = await outsider.client.shows.showcase(rogue.show.id, tee!.id);
    assert.equal(refused.status, 403);
    assert.equal(refused.problem?.code, "campaign_not_joined");

    // Once the campaign has ended its products leave the screen for good; clearing the card still works.
    clock.advance(3 * 86_400_000);
    try {
      assert.equal((await member.client.shows.showcase(show.id, sneaker!.id)).problem?.code, "campaign_ended");
      assert.equal((await member.client.shows.showcase(show.id, null)).status, 200);
      assert.equal((await campaignApi(member.client).scheduleShow(showBody(c.id, [tee!.id]))).problem?.code, "campaign_ended");
      assert.equal((await campaignApi(brand).get(c.id)).body.status, "ended");
    } finally {
      clock.advance(-3 * 86_400_000);
    }
  });

  test("the merchant's own shows are untouched: any product of theirs, hosted by staff or a creator", async () => {
    const me = (await brand.auth.me()).body.user!;
    const created = await brand.shows.create({ title: "Own show", scheduledAt: soon(), hostId: me.id, productIds: [products[3]!.id] });
    assert.equal(created.status, 201);
    await server.app.shows.markLive(created.body.id);
    assert.equal((await brand.shows.showcase(created.body.id, products[3]!.id)).status, 200);
  });
});
