import { describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Page } from "playwright-core";
import { e2eSuite } from "../support/e2e.ts";
import { desktopContext, fillCheckout, phoneContext } from "../support/browser.ts";
import { agencyApi, campaignApi, newAgency, newCreator } from "../support/creators.ts";
import { partnerApi, partnerStore } from "../support/partners.ts";
import { until } from "../support/until.ts";
import { commissionFor } from "../../src/server/commissions/money.ts";
import type { Product } from "../../src/shared/contracts/catalog.ts";

const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent().catch(() => null)) ?? "").trim();
const euros = (minor: number) => `€${(minor / 100).toFixed(2)}`;

/** A stand-in partner store on 127.0.0.1: the page a viewer lands on after the /go redirect. */
async function standInStore() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>Partner store</title><h1>Partner store</h1><p>${req.url}</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("creators, brands and agencies: the whole money flow in the browser", () => {
  const e2e = e2eSuite();

  test("brand campaign → creator accepts, goes live, showcases → viewer buys → earnings, agency roster and brand dashboard follow → refund reverses → partner click and signed postback earn; bad postbacks are refused", async () => {
    const { server, browser } = e2e;
    const store = await standInStore();
    try {
      const merchant = await server.as("merchant");
      const viewer = await server.as("viewer");
      // A creator in an agency that takes 20 % of its commission.
      const creator = await newCreator(server, "kara");
      const handle = creator.creator.handle;
      const agency = await newAgency(server, "stars");
      const invitation = await agencyApi(agency.client).invite(handle, 2000);
      assert.equal(invitation.status, 201);
      assert.equal((await agencyApi(creator.client).accept(invitation.body.id)).status, 200);
      // The brand also sells an espresso machine on a partner store.
      const espresso = (
        await merchant.products.create({
          title: "Copper moka pot",
          description: "Sold on the partner store",
          currency: "EUR",
          status: "active",
          images: [],
          kind: "external",
          externalUrl: `${store.url}/item/42?ref=live`,
          storeName: "Partner Store",
          variants: [{ options: {}, price: 34_900, stock: 0 }],
        })
      ).body as Product;
      assert.equal(espresso.kind, "external");
      const secret = (await partnerApi(merchant).rotateSecret()).body.secret;
      const tee = (await merchant.products.list()).body.items.find((p) => p.title.includes("tee"))!;
      const variant = tee.variants.find((v) => v.stock > 0)!;

      // 1. The brand creates a campaign at 10 % with the tee and the espresso machine, inviting the creator.
      const mctx = await desktopContext(browser.browser, server.baseUrl, merchant.cookie);
      const brand = await mctx.newPage();
      await brand.goto(`${server.baseUrl}/merchant/campaigns`);
      await brand.getByTestId("new-campaign").click();
      await brand.getByTestId("campaign-name").fill("Autumn with Kara");
      await brand.getByTestId("campaign-rate").fill("10");
      for (const title of [tee.title, espresso.title]) await brand.locator("label").filter({ hasText: title }).getByTestId("campaign-product").check();
      await brand.getByTestId("campaign-handles").fill(`@${handle}`);
      await brand.getByTestId("save-campaign").click();
      await brand.getByTestId("campaign-detail").getByText("Campaign “Autumn with Kara” created.").waitFor();

      // 2. The creator accepts on its phone and schedules a show featuring both products.
      const cctx = await phoneContext(browser.browser, server.baseUrl, creator.client.cookie);
      const phone = await cctx.newPage();
      await phone.goto(`${server.baseUrl}/creator/campaigns`);
      await phone.getByTestId("invitations").getByTestId("creator-campaign").filter({ hasText: "Autumn with Kara" }).getByTestId("campaign-accept").click();
      const joined = phone.getByTestId("joined-campaigns").getByTestId("creator-campaign").filter({ hasText: "Autumn with Kara" });
      await joined.getByTestId("schedule-show").click();
      await phone.getByTestId("creator-show-title").fill("Kara's autumn live");
      await phone.getByTestId("save-creator-show").click();
      await phone.getByText("“Kara's autumn live” is scheduled.").waitFor();
      const show = (await campaignApi(creator.client).shows()).body.items.find((s) => s.title === "Kara's autumn live")!;

      // 3. It goes live with a real RTMP push and showcases the tee from its studio.
      const studio = (await creator.client.shows.studio(show.id)).body;
      e2e.push(`${studio.rtmpUrl}/${studio.streamKey}`, 240);
      await until("the creator's show live", async () => (await viewer.shows.get(show.id)).body.status === "live", 60_000);
      const sctx = await desktopContext(browser.browser, server.baseUrl, creator.client.cookie);
      const studioPage = await sctx.newPage();
      await studioPage.goto(`${server.baseUrl}/studio/${show.id}`);
      await studioPage.getByTestId(`showcase-${tee.id}`).click();

      // The brand opens the show's live dashboard; the agency its roster.
      await brand.goto(`${server.baseUrl}/dashboard/shows/${show.id}`);
      await brand.getByTestId("kpi-gmv").waitFor();
      await until("the dashboard's stream", async () => /Live/.test(await text(brand, "freshness")));
      const actx = await desktopContext(browser.browser, server.baseUrl, agency.client.cookie);
      const agencyPage = await actx.newPage();
      await agencyPage.goto(`${server.baseUrl}/agency`);
      const rosterRow = agencyPage.getByTestId("roster-creator").filter({ hasText: `@${handle}` });
      await rosterRow.waitFor();

      // 4. A viewer buys the tee inside the player.
      const vctx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
      const player = await vctx.newPage();
      await player.goto(`${server.baseUrl}/shows/${show.id}`);
      const card = player.getByTestId("product-card");
      await card.getByText(tee.title).waitFor();
      await card.click();
      await player.getByTestId("variant-option").filter({ hasText: variant.title }).first().click();
      await player.getByTestId("buy-now").click();
      await fillCheckout(player);
      await player.getByTestId("pay-button").click();
      await player.getByTestId("order-confirmation").waitFor({ timeout: 15_000 });
      await player.keyboard.press("Escape");
      await player.getByTestId("order-confirmation").waitFor({ state: "hidden" });
      const order = (await viewer.orders.mine()).body.items.find((o) => o.showId === show.id)!;
      const gross = commissionFor(variant.price, 1000);
      const agencyCut = commissionFor(gross, 2000);
      const creatorCut = gross - agencyCut;

      // 5. Within seconds: the brand's dashboard (no reload), the creator's earnings, the agency's roster.
      await until("the brand's dashboard GMV", async () => (await text(brand, "kpi-gmv")) === euros(variant.price));
      assert.equal(await text(brand, "kpi-orders"), "1");
      await phone.goto(`${server.baseUrl}/creator/earnings`);
      await until("the creator's pending commission", async () => {
        if ((await text(phone, "pending-EUR")) === euros(creatorCut)) return true;
        await phone.reload();
        return false;
      });
      await phone.getByTestId("statement-row").filter({ hasText: order.number }).getByTestId("share").waitFor();
      const figure = async (testId: string) => ((await rosterRow.getByTestId(testId).locator(".agency-figure-value").first().textContent()) ?? "").trim();
      await until("the agency's roster", async () => {
        await agencyPage.reload();
        return (await figure("roster-orders")) === "1" && (await figure("roster-agency-commission")) === euros(agencyCut);
      });
      assert.equal(await figure("roster-creator-commission"), euros(creatorCut));

      // 6. The brand refunds the order: the creator's commission is reversed.
      assert.equal((await merchant.orders.transition(order.id, "cancelled")).body.status, "refunded");
      await until("the reversal on the creator's earnings", async () => {
        await phone.reload();
        return (await text(phone, "pending-EUR")) === euros(0);
      });
      await phone.getByTestId("statement-row").filter({ hasText: "Reversed" }).first().waitFor();

      // 7. The partner store: the creator showcases the espresso machine; the viewer's card opens the
      // partner's page through Vetrina's redirect, which appends the click id.
      await studioPage.getByTestId(`showcase-${espresso.id}`).click();
      const externalCard = player.locator('[data-testid="product-card"][data-external="true"]');
      await externalCard.getByText("Buy on Partner Store").waitFor();
      const [storeTab] = await Promise.all([player.waitForEvent("popup"), externalCard.click()]);
      await storeTab.waitForLoadState();
      const landed = new URL(storeTab.url());
      assert.equal(landed.origin, store.url);
      assert.equal(landed.pathname, "/item/42");
      assert.equal(landed.searchParams.get("ref"), "live");
      const clickId = landed.searchParams.get("vetrina_click");
      assert.match(clickId ?? "", /^clk_/);

      // The partner reports the sale, signed: the creator earns commission on it like on an own order.
      const partner = partnerStore(server.client(), espresso.merchantId, secret);
      const conversion = { id: `delivery-${Date.now()}`, clickId, orderRef: "JD-778812", status: "paid", currency: "EUR", lines: [{ productId: espresso.id, quantity: 1, lineTotal: 34_900 }] };
      const posted = await partner.post(conversion);
      assert.equal(posted.status, 200, JSON.stringify(posted.body));
      assert.equal(posted.body.attributed, true);
      const partnerGross = commissionFor(34_900, 1000);
      const partnerCreatorCut = partnerGross - commissionFor(partnerGross, 2000);
      await until("the partner sale on the creator's earnings", async () => {
        await phone.reload();
        return (await text(phone, "pending-EUR")) === euros(partnerCreatorCut);
      });
      await phone.getByTestId("statement-row").filter({ hasText: "JD-778812" }).first().waitFor();

      // Refused, each with its code, and nothing entered: a bad signature, an old timestamp, a replayed delivery.
      const again = { ...conversion, id: `delivery-other-${Date.now()}`, orderRef: "JD-778813" };
      assert.equal((await partner.post(again, { secret: "not-the-secret" })).problem?.code, "postback_signature_invalid");
      assert.equal((await partner.post(again, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).problem?.code, "postback_timestamp_invalid");
      assert.equal((await partner.post(conversion)).problem?.code, "postback_replayed");
      await phone.reload();
      assert.equal(await text(phone, "pending-EUR"), euros(partnerCreatorCut), "the refused postbacks earned nothing");
      await phone.screenshot({ path: "test-results/e2e-creator-earnings.png", fullPage: true }).catch(() => {});
      await brand.screenshot({ path: "test-results/e2e-brand-dashboard.png", fullPage: true }).catch(() => {});

      // The operator marks the creator verified on its public page; the badge shows to everyone.
      const admin = await server.as("admin");
      const adctx = await desktopContext(browser.browser, server.baseUrl, admin.cookie);
      const adminPage = await adctx.newPage();
      await adminPage.goto(`${server.baseUrl}/c/${handle}`);
      await adminPage.getByTestId("verify-creator").click();
      await adminPage.getByTestId("verify-creator").getByText("Remove verification").waitFor();
      await player.goto(`${server.baseUrl}/c/${handle}`);
      await player.locator(".creator-head .verified").waitFor();
      assert.equal(await player.getByTestId("verify-creator").count(), 0, "only admins see the switch");

      for (const ctx of [mctx, cctx, sctx, actx, vctx, adctx]) await ctx.close();
    } finally {
      await store.close();
    }
  });
});
