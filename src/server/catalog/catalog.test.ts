import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";

const PNG_1x1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");

describe("catalog", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("a merchant creates a product with variants, edits it, and lists it", async () => {
    const m = await server.as("merchant");
    const created = await m.products.create({
      title: "Linen shirt",
      description: "Breathable.",
      currency: "EUR",
      variants: [
        { options: { size: "M", colour: "White" }, price: 4990, stock: 10 },
        { options: { size: "L", colour: "White" }, price: 4990, stock: 0 },
      ],
    });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.variants.map((v) => v.title), ["M / White", "L / White"]);
    const [m1] = created.body.variants;
    const edited = await m.products.update(created.body.id, {
      title: "Linen shirt",
      currency: "EUR",
      variants: [{ id: m1!.id, options: { size: "M", colour: "White" }, price: 3990, stock: 7 }, { options: { size: "XL", colour: "Blue" }, price: 3990, stock: 3 }],
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.variants.length, 2);
    assert.equal(edited.body.variants[0]!.id, m1!.id, "edited in place");
    assert.equal(edited.body.variants[0]!.price, 3990);
    const search = await m.products.list("?q=linen");
    assert.deepEqual(search.body.items.map((p) => p.id), [created.body.id]);
  });

  test("product cards: first image, lowest price of the variants still on sale, status; unknown ids left out", async () => {
    const m = await server.as("merchant");
    const made = await m.products.create({
      title: "Card mug",
      currency: "EUR",
      images: ["/uploads/mug-front.png", "/uploads/mug-back.png"],
      variants: [
        { options: { size: "S" }, price: 900, stock: 1 },
        { options: { size: "L" }, price: 1500, stock: 1 },
      ],
    });
    assert.equal(made.status, 201);
    const [, large] = made.body.variants;
    // The 9.00 variant is taken off sale: the card's price is the 15.00 one's; then the product is archived.
    const edited = await m.products.update(made.body.id, { title: "Card mug", currency: "EUR", images: made.body.images, status: "archived", variants: [{ id: large!.id, options: { size: "L" }, price: 1500, stock: 1 }] });
    assert.equal(edited.status, 200);
    const cards = await server.app.catalog.cards([made.body.id, "prd_nosuchproduct", made.body.id]);
    assert.deepEqual([...cards.values()], [{ id: made.body.id, title: "Card mug", imageUrl: "/uploads/mug-front.png", price: { amount: 1500, currency: "EUR" }, status: "archived" }]);
    assert.equal((await server.app.catalog.cards([])).size, 0);
  });

  test("saving the product form keeps the units sold while it was open", async () => {
    const m = await server.as("merchant");
    const p = (await m.products.create({ title: "Scarf", currency: "EUR", variants: [{ price: 2500, stock: 10 }] })).body;
    const v = p.variants[0]!;
    // three units sell while the merchant edits
    await server.app.db.db.transaction().execute((tx) => server.app.catalog.takeStock(tx, v.id, 3));
    const saved = await m.products.update(p.id, { title: "Scarf", currency: "EUR", variants: [{ id: v.id, price: 2500, stock: 15, expectedStock: 10 }] });
    assert.equal(saved.body.variants[0]!.stock, 12, "+5 on the 7 left, not a reset to 15");
    await server.app.db.db.transaction().execute((tx) => server.app.catalog.takeStock(tx, v.id, 11));
    const conflict = await m.products.update(p.id, { title: "Scarf renamed", currency: "EUR", variants: [{ id: v.id, price: 2500, stock: 0, expectedStock: 12 }] });
    assert.equal(conflict.status, 409);
    assert.equal(conflict.problem?.code, "conflict");
    const after = (await m.products.get(p.id)).body;
    assert.equal(after.title, "Scarf", "nothing half-written");
    assert.equal(after.variants[0]!.stock, 1);
  });

  test("pages through a large catalog with a cursor", async () => {
    const m = await server.as("merchant");
    for (let i = 0; i < 30; i++) await m.products.create({ title: `Bulk item ${i}`, currency: "EUR", variants: [{ price: 100 + i, stock: 1 }] });
    const seen = new Set<string>();
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const res: Awaited<ReturnType<typeof m.products.list>> = await m.products.list(`?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      for (const p of res.body.items) seen.add(p.id);
      cursor = res.body.nextCursor;
      pages++;
    }
    assert.ok(pages >= 5);
    assert.ok(seen.size >= 34, `all products seen once (${seen.size})`);
  });

  test("bad product input is refused field by field; prices must be integer minor units", async () => {
    const m = await server.as("merchant");
    const res = await m.products.create({ title: "", currency: "euro", variants: [{ price: 19.99, stock: -1 }] });
    assert.equal(res.status, 400);
    assert.equal(res.problem?.code, "validation_failed");
    const paths = res.problem!.errors!.map((e) => e.path).join(" ");
    for (const p of ["title", "currency", "price", "stock"]) assert.match(paths, new RegExp(p));
    assert.equal((await m.products.list("?q=euro")).body.items.length, 0);
  });

  test("only merchants edit catalogs, and only their own", async () => {
    const viewer = await server.as("viewer");
    const res = await viewer.products.create({ title: "x", currency: "EUR", variants: [{ price: 1, stock: 1 }] });
    assert.equal(res.status, 403);
    const anon = await server.client().products.create({ title: "x", currency: "EUR", variants: [{ price: 1, stock: 1 }] });
    assert.equal(anon.status, 401);
    const other = await server.app.accounts.createMerchant("Other shop", "EUR");
    await server.app.accounts.signUp({ email: "staff@other.test", password: "password-123", displayName: "Other", role: "merchant", merchantId: other.id });
    const otherStaff = server.client();
    await otherStaff.auth.signIn("staff@other.test", "password-123");
    const mine = (await (await server.as("merchant")).products.list()).body.items[0]!;
    const hijack = await otherStaff.products.update(mine.id, { title: "pwned", currency: "EUR", variants: [{ price: 1, stock: 1 }] });
    assert.equal(hijack.status, 404);
  });

  test("images are accepted by content, not by name", async () => {
    const m = await server.as("merchant");
    const good = new FormData();
    good.append("file", new Blob([PNG_1x1], { type: "image/png" }), "pic.png");
    const ok = await m.request<{ url: string }>("POST", "/api/v1/uploads/images", good);
    assert.equal(ok.status, 201);
    const served = await fetch(server.baseUrl + ok.body.url);
    assert.equal(served.status, 200);
    assert.equal(Buffer.from(await served.arrayBuffer()).equals(PNG_1x1), true);
    const bad = new FormData();
    bad.append("file", new Blob(["<script>alert(1)</script>"], { type: "image/png" }), "evil.png");
    const refused = await m.request("POST", "/api/v1/uploads/images", bad);
    assert.equal(refused.status, 415);
    assert.equal(refused.problem?.code, "unsupported_media_type");
  });
});
