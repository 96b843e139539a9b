import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { e2eSuite } from "../support/e2e.ts";
import { desktopContext, phoneContext } from "../support/browser.ts";
import { campaignApi } from "../support/creators.ts";

describe("creators and campaigns in the browser", () => {
  const suite = e2eSuite();

  test("a viewer turns on a creator profile, a brand invites that handle to a campaign, the creator accepts and schedules a show", async () => {
    const { server, browser } = suite;
    const handle = `sofia_${Date.now().toString(36)}`;
    const viewer = server.client();
    assert.equal((await viewer.auth.signUp(`${handle}@example.com`, "password-123", "Sofia Creator")).status, 201);
    const merchant = await server.as("merchant");

    // 1. The viewer, on a phone, turns on a creator profile on /creator.
    const vctx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const phone = await vctx.newPage();
    await phone.goto(`${server.baseUrl}/creator`);
    await phone.getByRole("heading", { name: "Become a creator" }).waitFor();
    await phone.getByTestId("creator-handle").fill(handle);
    await phone.getByTestId("creator-name").fill("Sofia Creator");
    await phone.getByLabel("Beauty").check();
    await phone.getByTestId("save-creator").click();
    await phone.getByText("Your creator profile is on.").waitFor();
    await phone.getByRole("heading", { name: `Creator · @${handle}` }).waitFor();
    assert.ok(await phone.getByTestId("public-page-link").isVisible(), "a link to the public page");

    // 2. The brand creates a campaign inviting that handle, at 12.5 %.
    const mctx = await desktopContext(browser.browser, server.baseUrl, merchant.cookie);
    const brand = await mctx.newPage();
    await brand.goto(`${server.baseUrl}/merchant/campaigns`);
    await brand.getByTestId("new-campaign").click();
    await brand.getByTestId("campaign-name").fill("Spring glow");
    await brand.getByTestId("campaign-rate").fill("12.5");
    const product = brand.getByTestId("campaign-product").first();
    await product.waitFor();
    await product.check();
    await brand.getByTestId("campaign-handles").fill(`@${handle}`);
    await brand.getByTestId("save-campaign").click();
    const detail = brand.getByTestId("campaign-detail");
    await detail.getByText("Campaign “Spring glow” created.").waitFor();
    const row = detail.getByTestId("campaign-creator").filter({ hasText: `@${handle}` });
    await row.getByText("Invited").waitFor();
    assert.match((await detail.textContent()) ?? "", /Commission: 12\.5%/);
    const created = (await campaignApi(merchant).list()).body.items.find((c) => c.name === "Spring glow")!;
    assert.equal(created.commissionBps, 1250, "12.5 % is 1250 basis points");

    // 3. The creator sees the invitation and accepts it.
    await phone.goto(`${server.baseUrl}/creator/campaigns`);
    const invitation = phone.getByTestId("invitations").getByTestId("creator-campaign").filter({ hasText: "Spring glow" });
    await invitation.getByText("by Bottega Aurora").waitFor();
    await invitation.getByText("12.5%").first().waitFor();
    await invitation.getByTestId("campaign-accept").click();
    await phone.getByText("You are in “Spring glow”.", { exact: false }).waitFor();
    const joined = phone.getByTestId("joined-campaigns").getByTestId("creator-campaign").filter({ hasText: "Spring glow" });
    await joined.getByText("Accepted").waitFor();

    // 4. … and schedules a show for it.
    await joined.getByTestId("schedule-show").click();
    await phone.getByRole("heading", { name: "Schedule a show for “Spring glow”" }).waitFor();
    await phone.getByTestId("creator-show-title").fill("Glow live with Sofia");
    await phone.getByTestId("save-creator-show").click();
    await phone.getByText("“Glow live with Sofia” is scheduled.").waitFor();
    await phone.getByRole("link", { name: "All your shows" }).click();
    const show = phone.getByTestId("creator-show").filter({ hasText: "Glow live with Sofia" });
    await show.getByText("for Bottega Aurora").waitFor();
    assert.ok(await show.getByRole("link", { name: "Studio" }).isVisible());

    // The brand's show list has it as the creator's: no studio or edit, "by @handle" instead.
    await brand.goto(`${server.baseUrl}/merchant/shows`);
    const item = brand.getByTestId("show-list").locator("li").filter({ hasText: "Glow live with Sofia" });
    await item.getByText(`by @${handle}`).waitFor();
    assert.equal(await item.getByRole("button", { name: /Edit/ }).count(), 0);
    assert.equal(await item.getByRole("link", { name: "Studio" }).count(), 0);

    // The public page lists it as upcoming.
    await phone.goto(`${server.baseUrl}/c/${handle}`);
    await phone.getByTestId("upcoming-show").filter({ hasText: "Glow live with Sofia" }).waitFor();
    await vctx.close();
    await mctx.close();
  });
});
