import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import { analyticsApi, freshShow } from "../../../test/support/analytics.ts";
import { campaignApi, campaignBody, creatorApi, newCreator, newMerchant } from "../../../test/support/creators.ts";
import type { AnalyticsReport } from "../../shared/contracts/analytics.ts";
import type { Show } from "../../shared/contracts/shows.ts";
import type { ApiClient } from "../../../test/support/client.ts";

/**
 * Reports per creator and per campaign, and creators whose account is a viewer's (a viewer who turned
 * on a creator profile hosts campaign shows). Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL.
 */
describe("analytics reports by creator and campaign", () => {
  let server: TestServer;
  /** a creator whose account role is "viewer", hosting a show of the demo merchant's campaign */
  let kol: Awaited<ReturnType<typeof newCreator>>;
  let campaignId: string;
  let campaignShow: Show;
  /** the demo merchant's own show, hosted by the demo creator (no campaign) */
  let ownShow: Show;
  let hostCreatorId: string;
  let merchant: ApiClient;
  const titles = (r: AnalyticsReport) => r.shows.map((s) => s.title).sort();

  before(async () => {
    server = await startServer();
    merchant = await server.as("merchant");
    const products = (await merchant.products.list()).body.items;
    const tee = products.find((p) => /tee/i.test(p.title))!;
    kol = await newCreator(server, "kol");
    assert.equal((await kol.client.auth.me()).body.user!.role, "viewer", "a plain account with a creator profile");
    const campaign = await campaignApi(merchant).create(campaignBody([tee.id], { name: "Report week", invitedHandles: [kol.creator.handle] }));
    assert.equal(campaign.status, 201);
    campaignId = campaign.body.id;
    assert.equal((await campaignApi(kol.client).accept(campaignId)).status, 200);
    const scheduled = await campaignApi(kol.client).scheduleShow({ campaignId, title: "Kol live: report week", scheduledAt: new Date(Date.now() + 60_000).toISOString(), productIds: [tee.id] });
    assert.equal(scheduled.status, 201);
    await server.app.shows.markLive(scheduled.body.id);
    campaignShow = (await server.app.shows.get(scheduled.body.id))!;
    ownShow = await freshShow(server, "Reports: the brand's own show");
    hostCreatorId = (await creatorApi(await server.as("host")).me()).body.id;

    const viewer = await server.as("viewer");
    for (const s of [campaignShow, ownShow]) {
      const v = s.products.flatMap((p) => p.variants).find((x) => x.stock > 0)!;
      assert.equal((await viewer.checkout.buyNow(buyBody(s.id, v.id), idemKey())).status, 201);
    }
    await until("both orders counted", async () => {
      await server.app.analytics.flush();
      const r = await analyticsApi(await server.as("admin")).report({});
      return r.body.totals.ordersPaid === 2;
    }, 5000);
  });
  after(() => server.close());

  test("a viewer account with a creator profile sees the reports of the shows it hosted, and only those", async () => {
    const api = analyticsApi(kol.client);
    const mine = await api.report({});
    assert.equal(mine.status, 200, "a creator is not refused for its account's role");
    assert.deepEqual(titles(mine.body), [campaignShow.title]);
    assert.equal(mine.body.totals.ordersPaid, 1);
    assert.equal((await api.report({ showId: campaignShow.id })).body.totals.ordersPaid, 1);
    assert.equal((await api.report({ showId: ownShow.id })).problem?.code, "forbidden");
    // A product: its part in the creator's shows.
    const tee = campaignShow.products[0]!;
    const product = await api.report({ productId: tee.id });
    assert.equal(product.status, 200);
    assert.equal(product.body.totals.ordersPaid, 1);
    assert.deepEqual(titles(product.body), [campaignShow.title]);
    // Its own creator id and campaign are fine; another creator's figures are not its to see.
    assert.equal((await api.report({ creatorId: kol.creator.id })).body.totals.ordersPaid, 1);
    assert.equal((await api.report({ campaignId })).body.totals.ordersPaid, 1);
    assert.equal((await api.report({ creatorId: hostCreatorId })).problem?.code, "forbidden");
    const csv = await api.csv({ campaignId, by: "show" });
    assert.equal(csv.status, 200);
    assert.match(String(csv.body), new RegExp(campaignShow.id));

    // A plain viewer without a creator profile is still refused.
    assert.equal((await analyticsApi(await server.as("viewer")).report({})).problem?.code, "forbidden");
  });

  test("a merchant narrows its report to a creator or a campaign; others see nothing of them", async () => {
    const api = analyticsApi(merchant);
    const all = await api.report({});
    assert.deepEqual(titles(all.body), [campaignShow.title, ownShow.title].sort());

    const byCampaign = await api.report({ campaignId });
    assert.equal(byCampaign.status, 200);
    assert.equal(byCampaign.body.campaignId, campaignId);
    assert.deepEqual(titles(byCampaign.body), [campaignShow.title]);
    assert.equal(byCampaign.body.totals.ordersPaid, 1);
    assert.equal(byCampaign.body.totals.peakViewers !== null, true, "room figures: a campaign is a set of shows");

    const byKol = await api.report({ creatorId: kol.creator.id });
    assert.equal(byKol.body.creatorId, kol.creator.id);
    assert.deepEqual(titles(byKol.body), [campaignShow.title]);
    const byHost = await api.report({ creatorId: hostCreatorId });
    assert.deepEqual(titles(byHost.body), [ownShow.title], "the demo creator's shows with figures");
    // Filters combine.
    assert.deepEqual((await api.report({ creatorId: hostCreatorId, campaignId })).body.shows, []);
    const tee = campaignShow.products[0]!;
    assert.equal((await api.report({ productId: tee.id, campaignId })).body.totals.ordersPaid, 1);

    assert.equal((await api.report({ creatorId: "crt_nosuchcreator" })).problem?.code, "not_found");
    const other = await newMerchant(server, "Other brand");
    const foreign = await analyticsApi(other.client).report({ campaignId });
    assert.equal(foreign.status, 200);
    assert.deepEqual(foreign.body.shows, [], "another brand's campaign is not in its scope");
    assert.deepEqual((await analyticsApi(other.client).report({ creatorId: kol.creator.id })).body.shows, []);
    // Admins see everything.
    assert.equal((await analyticsApi(await server.as("admin")).report({ campaignId })).body.totals.ordersPaid, 1);
  });
});
