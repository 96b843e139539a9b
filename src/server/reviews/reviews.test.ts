import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, demoShow, idemKey } from "../../../test/support/fixtures.ts";
import { newMerchant } from "../../../test/support/creators.ts";
import { notifyApi } from "../../../test/support/notifications.ts";
import { newBuyer, paidOrder, reviewsApi, uploadPhoto } from "../../../test/support/reviews.ts";
import { until } from "../../../test/support/until.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { FeedItem, FeedPage } from "../../shared/contracts/feed.ts";
import type { Review } from "../../shared/contracts/reviews.ts";

const feedOf = (c: ApiClient, q = "") => c.request<FeedPage>("GET", `/api/v1/feed${q}`);

describe("reviews", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** Every visible review of a product, walking the pages. */
  async function allReviews(c: ApiClient, productId: string, sort = "recent", limit = 3): Promise<Review[]> {
    const out: Review[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const r = await reviewsApi(c).list(productId, `?sort=${sort}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      out.push(...r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) return out;
    }
    throw new Error("the pages never end");
  }

  /** The summary read model agrees with the reviews that are visible. */
  async function assertSummary(productId: string, expected: number[]) {
    const s = (await reviewsApi(server.client()).summary(productId)).body;
    const visible = await allReviews(server.client(), productId, "recent", 50);
    const histogram = [1, 2, 3, 4, 5].map((star) => visible.filter((r) => r.rating === star).length);
    assert.deepEqual(s.histogram, histogram, "summary matches the visible reviews");
    assert.deepEqual(s.histogram, expected);
    assert.equal(s.count, visible.length);
    assert.equal(s.average, visible.length ? Math.round((visible.reduce((a, r) => a + r.rating, 0) / visible.length) * 10) / 10 : null);
  }

  async function walkFeed(c: ApiClient, limit = 4): Promise<FeedItem[]> {
    const all: FeedItem[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 200; i++) {
      const r = await feedOf(c, `?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      all.push(...r.body.items);
      cursor = r.body.nextCursor;
      if (!cursor) return all;
    }
    throw new Error("the feed never ends");
  }
  const reviewIdsIn = (items: FeedItem[]) => items.flatMap((i) => (i.kind === "review" ? [i.review.id] : []));

  test("a buyer who paid reviews once (with a photo); strangers, bad input and other users' edits are refused; the summary follows", async () => {
    const { show, tee, variant } = await demoShow(server);
    const buyer = await newBuyer(server, "Giulia");
    assert.equal((await buyer.client.checkout.buyNow(buyBody(show.id, variant.id), idemKey())).status, 201);
    const api = reviewsApi(buyer.client);

    // Before: the product is reviewable by the buyer only.
    assert.deepEqual((await api.reviewable(tee.id)).body.items.map((i) => i.productId), [tee.id]);
    const stranger = await newBuyer(server, "Stranger");
    assert.deepEqual((await reviewsApi(stranger.client).reviewable(tee.id)).body.items, []);
    const refused = await reviewsApi(stranger.client).post(tee.id, { rating: 5, text: "Never bought it but love it" });
    assert.equal(refused.status, 403);
    assert.equal(refused.problem?.code, "review_not_verified_buyer");
    assert.equal((await reviewsApi(server.client()).post(tee.id, { rating: 5, text: "anon" })).status, 401);

    // Validation: rating, text, photos (only the upload endpoint's, and only ones that exist).
    const photo = await uploadPhoto(buyer.client);
    for (const bad of [
      { rating: 0, text: "ok" },
      { rating: 6, text: "ok" },
      { rating: 4.5, text: "ok" },
      { rating: 4, text: "   " },
      { rating: 4, text: "x".repeat(2001) },
      { rating: 4, text: "ok", photos: ["https://evil.example/x.png"] },
      { rating: 4, text: "ok", photos: ["/uploads/../../etc/passwd"] },
      { rating: 4, text: "ok", photos: Array.from({ length: 7 }, () => photo) },
      { rating: 4, text: "ok", photos: [photo, photo] },
    ]) {
      const r = await api.post(tee.id, bad);
      assert.equal(r.status, 400, JSON.stringify(bad).slice(0, 80));
      assert.equal(r.problem?.code, "validation_failed");
    }
    const missing = await api.post(tee.id, { rating: 4, text: "ok", photos: ["/uploads/img_doesnotexist123.png"] });
    assert.equal(missing.status, 422);
    assert.equal(missing.problem?.code, "review_photo_invalid");
    await assertSummary(tee.id, [0, 0, 0, 0, 0]);

    const posted = await api.post(tee.id, { rating: 4, text: "  Soft cotton, true to size.  ", photos: [photo] });
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    assert.equal(posted.body.text, "Soft cotton, true to size.");
    assert.equal(posted.body.authorName, buyer.name);
    assert.equal(posted.body.verifiedBuyer, true);
    assert.ok(!JSON.stringify(posted.body).includes("@example.com"), "never the author's e-mail");
    assert.deepEqual(posted.body.photos, [photo]);
    await assertSummary(tee.id, [0, 0, 0, 1, 0]);
    assert.deepEqual((await api.reviewable(tee.id)).body.items, [], "reviewed: no longer offered");

    // Once per buyer and product: a second POST is a conflict, the edit is PATCH.
    const again = await api.post(tee.id, { rating: 1, text: "again" });
    assert.equal(again.status, 409);
    assert.equal(again.problem?.code, "review_exists");
    const other = await reviewsApi(stranger.client).edit(posted.body.id, { rating: 1, text: "vandal" });
    assert.equal(other.status, 403);
    assert.equal((await reviewsApi(stranger.client).remove(posted.body.id)).status, 403);
    const edited = await api.edit(posted.body.id, { rating: 2, text: "Shrank after one wash.", photos: [] });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.id, posted.body.id);
    assert.ok(edited.body.editedAt);
    await assertSummary(tee.id, [0, 1, 0, 0, 0]);
    const mine = await api.list(tee.id);
    assert.equal(mine.body.mine?.id, posted.body.id);
    assert.equal(mine.body.items.length, 1);

    // The shop replies once; another shop cannot.
    const merchant = await server.as("merchant");
    const replied = await reviewsApi(merchant).reply(posted.body.id, "Sorry! Wash it cold: write to us for a replacement.");
    assert.equal(replied.status, 200, JSON.stringify(replied.body));
    assert.equal(replied.body.reply?.text, "Sorry! Wash it cold: write to us for a replacement.");
    assert.equal((await reviewsApi(merchant).reply(posted.body.id, "twice")).problem?.code, "review_reply_exists");
    const otherShop = await newMerchant(server, "Rival Shop");
    assert.equal((await reviewsApi(otherShop.client).reply(posted.body.id, "buy ours")).status, 403);

    const doc = await server.client().request<{ paths: Record<string, unknown> }>("GET", "/api/v1/openapi.json");
    assert.ok(doc.body.paths["/api/v1/products/{productId}/reviews"] && doc.body.paths["/api/v1/me/reviewable"], "documented in OpenAPI");

    // The author deletes it: gone, and the product can be reviewed again.
    assert.equal((await api.remove(posted.body.id)).status, 200);
    await assertSummary(tee.id, [0, 0, 0, 0, 0]);
    assert.equal((await api.reviewable(tee.id)).body.items.length, 1);
    assert.equal((await api.edit(posted.body.id, { rating: 3, text: "back" })).status, 404);
  });

  test("a cancelled or refunded purchase does not count; a review whose purchase is refunded disappears", async () => {
    const { show, tee, variant } = await demoShow(server);
    const merchant = await server.as("merchant");
    const buyer = await newBuyer(server, "Refunded");
    const order = await buyer.client.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(order.status, 201);
    const cancelled = await merchant.orders.transition(order.body.id, "cancelled");
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    await until("refunded", async () => (await merchant.orders.get(order.body.id)).body.status === "refunded");
    const r = await reviewsApi(buyer.client).post(tee.id, { rating: 5, text: "Great" });
    assert.equal(r.status, 403);
    assert.equal(r.problem?.code, "review_not_verified_buyer");
    assert.deepEqual((await reviewsApi(buyer.client).reviewable()).body.items, []);

    // Bought again, reviewed, then refunded: the review is hidden and leaves the summary.
    const before = (await reviewsApi(server.client()).summary(tee.id)).body;
    const order2 = await buyer.client.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    const posted = await reviewsApi(buyer.client).post(tee.id, { rating: 5, text: "Great, second try" });
    assert.equal(posted.status, 201);
    assert.equal((await reviewsApi(server.client()).summary(tee.id)).body.count, before.count + 1);
    assert.equal((await merchant.orders.transition(order2.body.id, "cancelled")).status, 200);
    await until("hidden after the refund", async () => (await reviewsApi(buyer.client).list(tee.id)).body.mine?.hidden === true);
    assert.ok(!(await allReviews(server.client(), tee.id)).some((x) => x.id === posted.body.id));
    const after = await reviewsApi(server.client()).summary(tee.id);
    assert.equal(after.status, 200, JSON.stringify(after.body));
    assert.equal(after.body.count, before.count);
  });

  test("pages are stable and complete in every sort; helpful votes count once", async () => {
    const shop = await newMerchant(server, "Paging Shop");
    const product = shop.products[0]!;
    const ids: string[] = [];
    const buyers = [];
    for (let i = 0; i < 7; i++) {
      const b = await newBuyer(server, `Pager${i}`);
      await paidOrder(server, b.userId, product);
      const r = await reviewsApi(b.client).post(product.id, { rating: (i % 5) + 1, text: `Review number ${i}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      ids.push(r.body.id);
      buyers.push(b);
    }
    // Two posts at once by one buyer: one review, the other a conflict; the summary counts one.
    const racer = await newBuyer(server, "Racer");
    await paidOrder(server, racer.userId, shop.products[0]!);
    const raced = await Promise.all([1, 2].map((n) => reviewsApi(racer.client).post(product.id, { rating: 1, text: `Race ${n}` })));
    assert.deepEqual(raced.map((r) => r.status).sort(), [201, 409]);
    assert.equal((await reviewsApi(racer.client).remove(raced.find((r) => r.status === 201)!.body.id)).status, 200);

    // Votes: review 2 gets three, review 5 one; a second vote by the same user does not count, nor one's own.
    for (const b of buyers.slice(3, 6)) assert.equal((await reviewsApi(b.client).helpful(ids[2]!)).status, 200);
    assert.equal((await reviewsApi(buyers[3]!.client).helpful(ids[2]!)).body.helpfulCount, 3);
    assert.equal((await reviewsApi(buyers[0]!.client).helpful(ids[5]!)).body.votedHelpful, true);
    assert.equal((await reviewsApi(buyers[2]!.client).helpful(ids[2]!)).status, 403);
    assert.equal((await reviewsApi(buyers[4]!.client).helpful(ids[2]!, false)).body.helpfulCount, 2);

    const recent = await allReviews(server.client(), product.id, "recent", 3);
    assert.deepEqual(recent.map((r) => r.id), [...ids].reverse(), "newest first, no duplicates or gaps");
    const helpful = await allReviews(server.client(), product.id, "helpful", 2);
    assert.equal(helpful.length, 7);
    assert.deepEqual(helpful.slice(0, 2).map((r) => r.id), [ids[2], ids[5]]);
    const byRating = await allReviews(server.client(), product.id, "rating", 3);
    assert.equal(new Set(byRating.map((r) => r.id)).size, 7);
    assert.deepEqual(byRating.map((r) => r.rating), [...byRating.map((r) => r.rating)].sort((a, b) => b - a));
    const wrongSort = await reviewsApi(server.client()).list(product.id, `?sort=helpful&cursor=${(await reviewsApi(server.client()).list(product.id, "?limit=2")).body.nextCursor}`);
    assert.equal(wrongSort.status, 400);
    await assertSummary(product.id, [2, 2, 1, 1, 1]);
  });

  test("reviews with photos appear in the feed (followed shops first); hidden ones vanish from product and feed", async () => {
    const followedShop = await newMerchant(server, "Followed Review Shop", [{ currency: "EUR", price: 2500 }]);
    const otherShop = await newMerchant(server, "Other Review Shop", [{ currency: "EUR", price: 1200 }]);
    const fan = await newBuyer(server, "Fan");
    assert.equal((await notifyApi(fan.client).followMerchant(followedShop.merchantId)).status, 200);

    async function review(product: (typeof followedShop.products)[number], rating: number, withPhoto: boolean) {
      const b = await newBuyer(server, "Feeder");
      await paidOrder(server, b.userId, product);
      const photos = withPhoto ? [await uploadPhoto(b.client)] : [];
      const r = await reviewsApi(b.client).post(product.id, { rating, text: `Rated ${rating}. ${"Lovely fabric and colour. ".repeat(12)}`, photos });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    }
    const followedLow = await review(followedShop.products[0]!, 3, true);
    const otherGood = await review(otherShop.products[0]!, 5, true);
    const otherLow = await review(otherShop.products[0]!, 2, true);
    const noPhoto = await review(otherShop.products[0]!, 5, false);

    const fanFeed = await walkFeed(fan.client);
    const fanIds = reviewIdsIn(fanFeed);
    assert.ok(fanIds.includes(followedLow.id) && fanIds.includes(otherGood.id));
    assert.ok(!fanIds.includes(otherLow.id), "everyone else's reviews: rated 4 or 5 only");
    assert.ok(!fanIds.includes(noPhoto.id), "reviews without photos stay on the product page");
    assert.equal(new Set(fanFeed.map((i) => (i.kind === "review" ? i.review.id : i.kind === "video" ? i.video.id : i.show.id))).size, fanFeed.length, "no duplicates");
    const card = fanFeed.find((i) => i.kind === "review" && i.review.id === followedLow.id);
    assert.ok(card && card.kind === "review");
    assert.equal(card.followed, true);
    assert.equal(card.review.rating, 3);
    assert.ok(card.review.excerpt.length <= 181 && card.review.excerpt.endsWith("…"));
    assert.equal(card.review.verifiedBuyer, true);
    assert.deepEqual(card.review.product.price, { amount: 2500, currency: "EUR" });
    assert.equal(card.products[0]!.id, followedShop.products[0]!.id);
    assert.deepEqual(card.products[0]!.rating, { average: 3, count: 1 }, "the product strip carries its rating");
    assert.ok(fanFeed.indexOf(card) < fanFeed.findIndex((i) => i.kind === "review" && i.review.id === otherGood.id), "followed shops' reviews first");
    const anonIds = reviewIdsIn(await walkFeed(server.client(), 5));
    assert.ok(anonIds.includes(otherGood.id) && !anonIds.includes(followedLow.id), "anonymous: only the tier for everyone");

    // An old cursor (taken before the review segments existed) still decodes: in the replays segment.
    const oldCursor = Buffer.from(JSON.stringify({ s: 6, k: Date.now(), i: "~" })).toString("base64url");
    assert.equal((await feedOf(server.client(), `?cursor=${oldCursor}`)).status, 200);

    // Moderation: only admins hide; hidden reviews leave the product page, the summary and the feed.
    assert.equal((await reviewsApi(otherShop.client).moderate(otherGood.id, true)).status, 403);
    const admin = await server.as("admin");
    const hidden = await reviewsApi(admin).moderate(otherGood.id, true, "abusive");
    assert.equal(hidden.status, 200, JSON.stringify(hidden.body));
    assert.equal(hidden.body.hidden, true);
    assert.ok(!(await allReviews(server.client(), otherShop.products[0]!.id)).some((r) => r.id === otherGood.id));
    await assertSummary(otherShop.products[0]!.id, [0, 1, 0, 0, 1]);
    assert.ok(!reviewIdsIn(await walkFeed(fan.client)).includes(otherGood.id), "gone from the feed");
    assert.equal((await reviewsApi(fan.client).helpful(otherGood.id)).status, 404);
    assert.equal((await reviewsApi(admin).moderate(otherGood.id, false)).status, 200);
    await assertSummary(otherShop.products[0]!.id, [0, 1, 0, 0, 2]);
    assert.ok(reviewIdsIn(await walkFeed(fan.client)).includes(otherGood.id), "shown again");
  });
});
