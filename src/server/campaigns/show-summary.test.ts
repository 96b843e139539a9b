import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { campaignApi, campaignBody, newCreator } from "../../../test/support/creators.ts";
import type { ShowSummary } from "../../shared/contracts/shows.ts";

describe("show summaries of campaign shows", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("the brand's show list tells a creator's campaign show (campaignId, host handle) from its own shows", async () => {
    const brand = await server.as("merchant");
    assert.equal((await brand.auth.me()).body.user?.merchantCurrency, "EUR", "the brand's currency, for its campaign form");
    assert.equal((await (await server.as("viewer")).auth.me()).body.user?.merchantCurrency, null);
    const products = (await brand.products.list()).body.items;
    const kol = await newCreator(server, "summ");
    const campaign = (await campaignApi(brand).create(campaignBody([products[0]!.id], { invitedHandles: [kol.creator.handle] }))).body;
    await campaignApi(kol.client).accept(campaign.id);
    const scheduledAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const show = (await campaignApi(kol.client).scheduleShow({ campaignId: campaign.id, title: "Summary live", scheduledAt, productIds: [products[0]!.id] })).body;

    const list = await brand.shows.merchantList();
    assert.equal(list.status, 200);
    const mine = list.body.items.find((s) => s.id === show.id);
    assert.ok(mine, "the campaign show is in the brand's list");
    assert.equal(mine.campaignId, campaign.id);
    assert.equal(mine.hostHandle, kol.creator.handle);
    const own = list.body.items.find((s) => s.id !== show.id && s.campaignId === null);
    assert.ok(own, "the brand's own shows have no campaign");

    const creatorShows = await campaignApi(kol.client).shows();
    assert.equal(creatorShows.body.items.find((s) => s.id === show.id)?.campaignId, campaign.id);
    const page = await server.client().request<{ upcoming: ShowSummary[] }>("GET", `/api/v1/creators/${kol.creator.handle}`);
    assert.equal(page.body.upcoming.find((s) => s.id === show.id)?.hostHandle, kol.creator.handle);
  });
});
