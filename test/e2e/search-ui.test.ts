import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { e2eSuite } from "../support/e2e.ts";
import { desktopContext, phoneContext } from "../support/browser.ts";
import { demoShow } from "../support/fixtures.ts";
import type { SearchPage } from "../../src/shared/contracts/search.ts";

const SHOTS = "/tmp/shots";

describe("search in the browser", () => {
  const e2e = e2eSuite();

  test("suggestions while typing on a phone: arrow keys and Enter open one, Escape closes, Enter searches", async () => {
    const { server, browser } = e2e;
    const { show } = await demoShow(server);
    const ctx = await phoneContext(browser.browser, server.baseUrl);
    const page = await ctx.newPage();
    fs.mkdirSync(SHOTS, { recursive: true });
    try {
      await page.goto(`${server.baseUrl}/search`);
      const field = page.getByRole("combobox", { name: "Search" });
      await field.waitFor();
      assert.equal(await field.getAttribute("aria-expanded"), "false");
      // One letter asks for nothing; two do.
      await field.pressSequentially("co", { delay: 40 });
      const list = page.getByRole("listbox", { name: "Suggestions" });
      await list.waitFor();
      assert.equal(await field.getAttribute("aria-expanded"), "true");
      const tee1 = list.getByRole("option", { name: /Organic cotton tee/ });
      await tee1.waitFor();
      // The word the typed prefix begins is marked in the title.
      assert.equal(await tee1.locator("mark").first().textContent(), "cotton");
      // A screen reader hears how many there are.
      const options = await list.getByRole("option").count();
      assert.match((await page.getByRole("status").textContent()) ?? "", new RegExp(`^${options - 1} suggestions?: up and down arrows to choose$`));
      await page.screenshot({ path: `${SHOTS}/search-suggestions-phone.png` });

      // More letters narrow the list; the arrow keys move the active option, the focus stays in the field.
      await field.pressSequentially("tton", { delay: 40 });
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="search-suggestion"]')].every((li) => /cotton/i.test(li.textContent ?? "")));
      await field.press("ArrowDown");
      const first = list.getByRole("option").first();
      assert.equal(await first.getAttribute("aria-selected"), "true");
      assert.equal(await field.getAttribute("aria-activedescendant"), await first.getAttribute("id"));
      assert.equal(await page.evaluate(() => document.activeElement?.id), "search-page-q");
      assert.match((await first.textContent()) ?? "", /Organic cotton tee/);
      // Enter opens it: a product goes to the show it is featured in.
      await field.press("Enter");
      await page.waitForURL(`${server.baseUrl}/shows/${show.id}`);
      // The show's room opened.
      await page.getByText(show.title).first().waitFor();
      assert.equal(await page.getByText(show.title).first().isVisible(), true);

      // Nothing matches: the list says so and offers the search; Escape closes it; Enter runs the search.
      await page.goto(`${server.baseUrl}/search`);
      await field.pressSequentially("zzqx", { delay: 40 });
      const none = page.getByTestId("search-suggestion-all");
      await none.waitFor();
      assert.equal(await none.textContent(), "Nothing yet for “zzqx”: search anyway");
      assert.equal(await list.getByTestId("search-suggestion").count(), 0);
      assert.equal(await page.getByRole("status").textContent(), "No suggestions");
      await field.press("Escape");
      assert.equal(await field.getAttribute("aria-expanded"), "false");
      assert.equal(await list.isVisible(), false);
      assert.equal(await field.inputValue(), "zzqx", "Escape closes the list and keeps the text");
      await field.press("Enter");
      await page.waitForURL(/\/search\?q=zzqx$/);
      await page.getByText("Nothing found for “zzqx”").waitFor();
    } finally {
      await ctx.close();
    }
  });

  test("the header's field on a laptop: a click opens a suggestion; the last option runs the search; in Italian", async () => {
    const { server, browser } = e2e;
    const expected = (await (await fetch(`${server.baseUrl}/api/v1/search?q=espresso&limit=1`)).json()) as SearchPage;
    const hit = expected.items[0]!;
    assert.equal(hit.kind, "product");
    const href = hit.kind === "product" && hit.showId ? `/shows/${hit.showId}` : `/products/${hit.id}`;

    const ctx = await desktopContext(browser.browser, server.baseUrl);
    const page = await ctx.newPage();
    try {
      await page.goto(`${server.baseUrl}/`);
      const field = page.locator("#search-q");
      await field.pressSequentially("espr", { delay: 40 });
      const option = page.getByRole("listbox", { name: "Suggestions" }).getByRole("option", { name: /Espresso machine/ });
      await option.waitFor();
      await page.screenshot({ path: `${SHOTS}/search-suggestions-desktop.png` });
      await option.click();
      await page.waitForURL(`${server.baseUrl}${href}`);

      // The last option is the full search for what is typed (from the orders page's header this time).
      await page.goto(`${server.baseUrl}/orders`);
      await field.pressSequentially("mug", { delay: 40 });
      const all = page.getByTestId("search-suggestion-all");
      await all.waitFor();
      assert.equal(await all.textContent(), "See all results for “mug”");
      await all.click();
      await page.waitForURL(/\/search\?q=mug$/);
      await page.getByTestId("search-hit").first().waitFor();
      // Focus leaving the field closes the list.
      assert.equal(await page.getByTestId("search-suggestions").isVisible(), false);
    } finally {
      await ctx.close();
    }

    const it = await phoneContext(browser.browser, server.baseUrl, undefined, "it-IT");
    const p2 = await it.newPage();
    try {
      await p2.goto(`${server.baseUrl}/search`);
      const field = p2.getByRole("combobox", { name: "Cerca" });
      await field.pressSequentially("mug", { delay: 40 });
      const all = p2.getByRole("listbox", { name: "Suggerimenti" }).getByTestId("search-suggestion-all");
      await all.waitFor();
      assert.equal(await all.textContent(), "Vedi tutti i risultati per “mug”");
      assert.match((await p2.getByRole("status").textContent()) ?? "", /^\d+ suggeriment[oi]: frecce su e giù per scegliere$/);
    } finally {
      await it.close();
    }
  });
});
