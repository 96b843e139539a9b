import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { creatorApi, newCreator } from "../../../test/support/creators.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { SearchHit, SearchPage } from "../../shared/contracts/search.ts";
import type { Product, ProductInput } from "../../shared/contracts/catalog.ts";

const search = (c: ApiClient, params: Record<string, string | number>) =>
  c.request<SearchPage>("GET", `/api/v1/search?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`);
const ids = (items: SearchHit[]) => items.map((i) => i.id);
const marked = (h: { text: string; highlights: [number, number][] }) => h.highlights.map(([a, b]) => h.text.slice(a, b));

describe("search", () => {
  let server: TestServer;
  let merchant: ApiClient;
  let anyone: ApiClient;
  let hostId: string;
  const product = async (input: Partial<ProductInput>): Promise<Product> => {
    const r = await merchant.products.create({ currency: "EUR", variants: [{ price: 1990, stock: 5 }], ...input });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  /** What a user sees once the events of their last change have reached the index. */
  const find = async (params: Record<string, string | number>) => {
    await server.app.search.idle();
    const r = await search(anyone, params);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };

  before(async () => {
    server = await startServer();
    merchant = await server.as("merchant");
    anyone = server.client();
    hostId = (await (await server.as("host")).auth.me()).body.user!.id;
  });
  after(() => server.close());

  test("Italian and English words are found by their other forms, with or without accents", async () => {
    const tee = await product({ title: "Maglietta zafferano", description: "Cotone organico, taglio dritto." });
    const runner = await product({ title: "Quokka trail shoes", description: "Built for running on wet rocks." });
    const city = await product({ title: "Borsa città quokkina", description: "Pelle conciata al vegetale." });

    assert.deepEqual(ids((await find({ q: "magliette zafferano" })).items), [tee.id], "plural → singular (Italian)");
    assert.deepEqual(ids((await find({ q: "quokka runs" })).items), [runner.id], "runs → running (English)");
    assert.deepEqual(ids((await find({ q: "quokka run" })).items), [runner.id], "run → running (English)");
    assert.deepEqual(ids((await find({ q: "quokka shoe" })).items), [runner.id], "shoe → shoes");
    assert.deepEqual(ids((await find({ q: "citta quokkina" })).items), [city.id], "no accent typed: città still found");
    assert.deepEqual(ids((await find({ q: "CITTÀ quokkina" })).items), [city.id], "accent and case typed");
    const hit = (await find({ q: "magliette zafferano" })).items[0]!;
    assert.equal(hit.kind, "product");
    assert.deepEqual(marked(hit.title), ["Maglietta", "zafferano"], "the words that matched are marked in the title");
    if (hit.kind === "product") {
      assert.deepEqual(hit.price, { amount: 1990, currency: "EUR" });
      assert.equal(hit.merchantName.length > 0, true);
    }
  });

  test("the last word is matched as a prefix while typing; title matches rank first", async () => {
    const inTitle = await product({ title: "Wombatwool scarf", description: "Soft and warm." });
    const inBody = await product({ title: "Winter hat", description: "Pairs with our wombatwool scarf collection." });
    // Every prefix length: two to six letters are prefix lexemes/indexes of their own, longer ones are matched as prefixes.
    for (const q of ["wo", "wom", "womb", "womba", "wombat", "wombatw", "winter wo", "winter wombat", "winter wombatwo"]) {
      const page = await find({ q });
      assert.ok(ids(page.items).includes(q.startsWith("winter") ? inBody.id : inTitle.id), `found while typing "${q}"`);
    }
    const both = await find({ q: "wombatwool" });
    assert.deepEqual(ids(both.items), [inTitle.id, inBody.id], "the title match ranks above the description match");
    const body = both.items[1]!;
    assert.deepEqual(marked(body.snippet), ["wombatwool"]);
  });

  test("shows and creators are found, filtered by type, and follow their edits", async () => {
    const tee = await product({ title: "Numbat hoodie", description: "Heavy fleece." });
    const show = await merchant.shows.create({ title: "Numbat night live", description: "Hoodies and more", scheduledAt: new Date(Date.now() + 86_400_000).toISOString(), hostId, productIds: [tee.id] });
    assert.equal(show.status, 201);
    const { client } = await newCreator(server, "numbat");
    const creator = (await creatorApi(client).edit({ handle: "numbat.queen", displayName: "Numbat Queen", bio: "Streetwear from Perth.", categories: ["fashion"] })).body;

    const all = await find({ q: "numbat" });
    assert.deepEqual(new Set(all.items.map((i) => i.kind)), new Set(["product", "show", "creator"]));
    assert.deepEqual(ids((await find({ q: "numbat", type: "shows" })).items), [show.body.id]);
    assert.deepEqual(ids((await find({ q: "numbat", type: "creators" })).items), [creator.id]);
    const productHit = (await find({ q: "numbat hoodie", type: "products" })).items[0]!;
    assert.equal(productHit.kind === "product" && productHit.showId, show.body.id, "a product links to the show it is featured in");
    const creatorHit = (await find({ q: "numbat", type: "creators" })).items[0]!;
    assert.equal(creatorHit.kind === "creator" && creatorHit.handle, "numbat.queen");
    const showHit = (await find({ q: "numbat", type: "shows" })).items[0]!;
    assert.equal(showHit.kind === "show" && showHit.status, "scheduled");

    // Edits: the old words stop matching, the new ones match.
    await creatorApi(client).edit({ handle: "bilby.queen", displayName: "Bilby Queen", bio: "Streetwear.", categories: [] });
    assert.deepEqual(ids((await find({ q: "numbat", type: "creators" })).items), []);
    assert.deepEqual(ids((await find({ q: "bilby queen" })).items), [creator.id]);
    await server.app.shows.markLive(show.body.id);
    const live = (await find({ q: "numbat night" })).items.find((i) => i.id === show.body.id)!;
    assert.equal(live.kind === "show" && live.status, "live", "status changes reach the index");
  });

  test("an archived product leaves the index; editing it back brings it back", async () => {
    const p = await product({ title: "Echidna lamp", description: "Brass." });
    assert.deepEqual(ids((await find({ q: "echidna" })).items), [p.id]);
    const input = { title: "Echidna lamp", description: "Brass.", currency: "EUR", variants: [{ id: p.variants[0]!.id, price: 2500, stock: 1 }] };
    assert.equal((await merchant.products.update(p.id, { ...input, status: "archived" })).status, 200);
    assert.deepEqual(ids((await find({ q: "echidna" })).items), []);
    await merchant.products.update(p.id, { ...input, title: "Echidna lamp XL", status: "active" });
    const back = (await find({ q: "echidna" })).items;
    assert.deepEqual(ids(back), [p.id]);
    assert.equal(back[0]!.title.text, "Echidna lamp XL");
  });

  test("pages through every match once, in a stable order", async () => {
    const made = new Set<string>();
    for (let i = 0; i < 23; i++) made.add((await product({ title: `Platypus mug ${i}`, description: i % 2 ? "Platypus glaze, platypus handle." : "Ceramic." })).id);
    const first = await find({ q: "platypus", limit: 50 });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: SearchPage = await find({ q: "platypus", limit: 5, ...(cursor ? { cursor } : {}) });
      assert.ok(page.items.length <= 5);
      seen.push(...ids(page.items));
      cursor = page.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, "no duplicates");
    assert.deepEqual(new Set(seen), made, "no gaps");
    assert.deepEqual(seen, ids(first.items), "pages in the same order as one big page");
  });

  test("the query is validated; snippets are text, never markup", async () => {
    const invalid: Record<string, string | number>[] = [{ q: "" }, { q: "   " }, { q: "x".repeat(101) }, { q: "ok", type: "people" }, { q: "ok", limit: 0 }, { q: "ok", limit: 51 }, { q: "ok", cursor: "not-a-cursor" }];
    for (const params of invalid) {
      const r = await search(anyone, params);
      assert.equal(r.status, 400, JSON.stringify(params));
      assert.equal(r.problem?.code, "validation_failed");
    }
    assert.deepEqual((await find({ q: "?!…" })).items, [], "no words: no results, not an error");
    assert.equal((await search(anyone, { q: 'quoll" OR *' })).status, 200, "query syntax is not interpreted");

    const evil = await product({ title: "Quoll <img src=x onerror=alert(1)>", description: "<script>alert('quoll')</script> quoll plush" });
    const hit = (await find({ q: "quoll" })).items.find((i) => i.id === evil.id)!;
    assert.equal(hit.title.text, "Quoll <img src=x onerror=alert(1)>", "returned as the text it is");
    assert.ok(hit.snippet.text.includes("<script>alert('quoll')</script>"));
    assert.ok(!/<mark|<b>|<em>/.test(JSON.stringify(hit)), "highlights are ranges, not tags");
    assert.deepEqual(marked(hit.snippet), ["quoll", "quoll"]);
  });

  test("a rebuild from scratch finds the same things", async () => {
    const before = ids((await find({ q: "platypus", limit: 50 })).items).sort();
    const { indexed } = await server.app.search.rebuild();
    assert.ok(indexed > 30);
    assert.deepEqual(ids((await find({ q: "platypus", limit: 50 })).items).sort(), before);
    assert.deepEqual(ids((await find({ q: "echidna" })).items).length, 1);
  });
});
