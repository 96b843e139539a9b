import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { creatorApi, newCreator, newMerchant } from "../../../test/support/creators.ts";
import { notifyApi } from "../../../test/support/notifications.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { FeedItem, FeedPage } from "../../shared/contracts/feed.ts";
import { createFeed } from "./service.ts";

const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();
const idOf = (i: FeedItem) => (i.kind === "video" ? i.video.id : i.kind === "review" ? i.review.id : i.show.id);
const feedOf = (c: ApiClient, q = "") => c.request<FeedPage>("GET", `/api/v1/feed${q}`);

describe("feed", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function show(merchantId: string, hostUserId: string, title: string, startsInHours: number, productIds: string[] = []) {
    const r = await server.app.shows.createForCampaign({ merchantId, hostUserId, campaignId: "cmp_feed", input: { title, description: "", coverUrl: null, scheduledAt: inHours(startsInHours), productIds } });
    assert.ok(r.ok);
    return r.show;
  }
  async function replay(merchantId: string, hostUserId: string, title: string) {
    const s = await show(merchantId, hostUserId, title, -2);
    await server.app.shows.markLive(s.id);
    await server.app.shows.markEnded(s.id, "test");
    await server.app.shows.setRecording(s.id, "ready");
    return s;
  }
  /** Every page with `limit`, calling `between` after each; the items in order. */
  async function walk(page: (cursor?: string) => Promise<{ items: FeedItem[]; nextCursor: string | null }>, between: () => void = () => {}) {
    const all: FeedItem[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 200; n++) {
      const p = await page(cursor);
      all.push(...p.items);
      between();
      if (!p.nextCursor) return all;
      cursor = p.nextCursor;
    }
    throw new Error("the feed never ends");
  }

  test("followed creators and shops first (live, upcoming soonest, replays newest), then everyone else; products and reminders included", async () => {
    const host = await newCreator(server, "feedhost");
    const other = await newCreator(server, "feedother");
    const followedShop = await newMerchant(server, "Feed Followed Shop", [{ currency: "EUR", price: 1500 }, { currency: "EUR", price: 900 }, { currency: "EUR", price: 100 }, { currency: "EUR", price: 200 }]);
    const otherShop = await newMerchant(server, "Feed Other Shop");
    const fan = server.client();
    assert.equal((await fan.auth.signUp(`feedfan-${Date.now()}@example.com`, "password-123", "Feed Fan")).status, 201);
    assert.equal((await creatorApi(fan).follow(host.creator.handle)).status, 200);
    assert.equal((await notifyApi(fan).followMerchant(followedShop.merchantId)).status, 200);

    const fLive = await show(otherShop.merchantId, host.userId, "Followed creator live", 0);
    await server.app.shows.markLive(fLive.id);
    const fSoon = await show(followedShop.merchantId, other.userId, "Followed shop soon", 2, followedShop.products.map((p) => p.id));
    const fLater = await show(otherShop.merchantId, host.userId, "Followed creator later", 24 * 20); // beyond 7 days: still listed when followed
    const fReplayOld = await replay(otherShop.merchantId, host.userId, "Followed replay old");
    const fReplayNew = await replay(followedShop.merchantId, other.userId, "Followed replay new");
    const oLive = await show(otherShop.merchantId, other.userId, "Other live", 0, [otherShop.products[0]!.id]);
    await server.app.shows.markLive(oLive.id);
    const oSoon = await show(otherShop.merchantId, other.userId, "Other soon", 3);
    const oFar = await show(otherShop.merchantId, other.userId, "Other far", 24 * 8);
    const oReplay = await replay(otherShop.merchantId, other.userId, "Other replay");
    assert.equal((await notifyApi(fan).remind(fSoon.id)).status, 200);

    const items = await walk(async (cursor) => {
      const r = await feedOf(fan, `?limit=4${cursor ? `&cursor=${cursor}` : ""}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body;
    });
    const ids = items.map(idOf);
    assert.equal(new Set(ids).size, ids.length, "no duplicates");
    assert.deepEqual(ids.slice(0, 5), [fLive.id, fSoon.id, fLater.id, fReplayNew.id, fReplayOld.id], "followed accounts first");
    assert.ok(items.slice(0, 5).every((i) => i.followed));
    assert.ok(items.slice(5).every((i) => !i.followed));
    assert.deepEqual(items.slice(0, 5).map((i) => i.kind), ["live", "upcoming", "upcoming", "replay", "replay"]);
    const rest = ids.slice(5);
    assert.ok(rest.indexOf(oLive.id) < rest.indexOf(oSoon.id) && rest.indexOf(oSoon.id) < rest.indexOf(oReplay.id), "then live, upcoming, replays");
    assert.ok(!ids.includes(oFar.id), "upcoming beyond 7 days is left out unless followed");

    const soon = items[1]!;
    assert.ok(soon.kind === "upcoming");
    assert.equal(soon.reminded, true);
    assert.equal(soon.creatorName, other.creator.displayName);
    assert.equal(soon.show.merchantName, "Feed Followed Shop");
    assert.deepEqual(soon.products.map((p) => p.title), followedShop.products.slice(0, 3).map((p) => p.title), "the first three products");
    assert.deepEqual(soon.products[1]!.price, { amount: 900, currency: "EUR" });
    const replayItem = items[3]!;
    assert.ok(replayItem.kind === "replay");
    assert.match(replayItem.replayUrl, new RegExp(fReplayNew.id));

    // Anonymous: no tier 0, nothing reminded, the same shows.
    const anon = await walk(async (cursor) => (await feedOf(server.client(), `?limit=5${cursor ? `&cursor=${cursor}` : ""}`)).body);
    const anonIds = anon.map(idOf);
    assert.ok(anon.every((i) => !i.followed && (i.kind !== "upcoming" || !i.reminded)));
    assert.ok(anonIds.indexOf(oLive.id) >= 0 && anonIds.indexOf(fLive.id) >= 0);
    assert.ok(anonIds.indexOf(fSoon.id) > anonIds.indexOf(oLive.id), "anonymous: live before upcoming, whoever hosts");
    assert.ok(!anonIds.includes(fLater.id));
  });

  test("pages have no duplicates or gaps while viewer counts change between pages", async () => {
    const host = await newCreator(server, "feedpager");
    const shop = await newMerchant(server, "Feed Pager Shop");
    const counts = new Map<string, number>();
    const live: string[] = [];
    for (let i = 0; i < 9; i++) {
      const s = await show(shop.merchantId, host.userId, `Pager live ${i}`, 0);
      await server.app.shows.markLive(s.id);
      counts.set(s.id, i * 10);
      live.push(s.id);
    }
    const feed = createFeed({ db: server.app.db.db, catalog: server.app.catalog, shows: server.app.shows, viewerCount: (id) => counts.get(id) ?? 0, playbackUrl: () => null, replayUrl: (id) => `/replays/${id}.m3u8` });
    const page = async (cursor?: string) => {
      const r = await feed.page({ cursor, limit: 2 }, null);
      assert.ok(r.ok);
      return r;
    };
    const expected = (await walk(page)).map(idOf);
    // Reverse the viewer ranking after every page: the walk keeps the order it started with.
    let turn = 0;
    const walked = (await walk(page, () => live.forEach((id, i) => counts.set(id, ((turn++ % 2) ? i : 100 - i) * 10)))).map(idOf);
    assert.equal(new Set(walked).size, walked.length, "no duplicates");
    assert.deepEqual([...walked].sort(), [...expected].sort(), "no gaps");
    const liveOrder = walked.filter((id) => live.includes(id));
    assert.deepEqual(liveOrder, [...live].reverse(), "in the ranking of the first page: most viewers first");
  });

  test("pages asked for at the same time share one live ranking snapshot", async () => {
    const host = await newCreator(server, "feedsnap");
    const shop = await newMerchant(server, "Feed Snapshot Shop");
    for (let i = 0; i < 3; i++) await server.app.shows.markLive((await show(shop.merchantId, host.userId, `Snapshot live ${i}`, 0)).id);
    const reads: string[] = [];
    const feed = createFeed({ db: server.app.db.db, catalog: server.app.catalog, shows: server.app.shows, viewerCount: (id) => (reads.push(id), 0), playbackUrl: () => null, replayUrl: (id) => `/replays/${id}.m3u8` });
    // Signed in (made-up users with no follows): no page is served from the signed-out cache.
    const pages = await Promise.all(Array.from({ length: 8 }, (_, i) => feed.page({ limit: 1 }, `usr_snapshot_${i}`)));
    const snapshotsOf = pages.map((p) => {
      assert.ok(p.ok && p.nextCursor);
      return JSON.parse(Buffer.from(p.nextCursor, "base64url").toString()).n as string;
    });
    assert.equal(new Set(snapshotsOf).size, 1, "one snapshot for all eight pages");
    // The snapshot reads every live show's viewers once; a page's own item is read again when the page
    // renders it from a kept summary (its count is the room's, now), never more than once per page.
    const live = (await server.app.db.db.selectFrom("shows").select("id").where("status", "=", "live").execute()).map((r) => r.id);
    const shown = pages.flatMap((p) => (p.ok ? p.items.map(idOf) : []));
    for (const id of live) {
      const n = reads.filter((r) => r === id).length;
      const onPages = shown.filter((x) => x === id).length;
      assert.ok(n >= 1 && n <= 1 + onPages, `${id}: read ${n} times, on ${onPages} pages`);
      if (!onPages) assert.equal(n, 1, "a live show on no page is read once, by the one snapshot");
    }
    assert.ok(live.some((id) => !shown.includes(id)), "some live shows are on no page (limit 1)");
  });

  test("videos come from the injected source; the cursor continues in it", async () => {
    const videos = Array.from({ length: 5 }, (_, i) => ({ id: `vid_${i}`, title: `Clip ${i}`, posterUrl: null, playbackUrl: null, creatorName: "Clipper", creatorHandle: null, merchantName: null, createdAt: new Date().toISOString() }));
    const feed = createFeed({
      db: server.app.db.db,
      catalog: server.app.catalog,
      shows: server.app.shows,
      viewerCount: () => 0,
      playbackUrl: () => null,
      replayUrl: (id) => `/replays/${id}.m3u8`,
      videos: async (cursor, limit) => {
        const from = cursor ? Number(cursor) + 1 : 0;
        return videos.slice(from, from + limit).map((video, i) => ({ cursor: String(from + i), video }));
      },
    });
    const all: FeedItem[] = [];
    let cursor: string | undefined;
    do {
      const r = await feed.page({ cursor, limit: 3 }, null);
      assert.ok(r.ok);
      all.push(...r.items);
      cursor = r.nextCursor ?? undefined;
    } while (cursor);
    const got = all.filter((i) => i.kind === "video").map(idOf);
    assert.deepEqual(got, videos.map((v) => v.id));
  });

  test("short videos of followed creators and shops come with the followed accounts' items, everyone else's after upcoming shows", async () => {
    const maker = await newCreator(server, "feedvidmaker");
    const stranger = await newCreator(server, "feedvidstranger");
    const shop = await newMerchant(server, "Feed Video Shop");
    const fan = (await newCreator(server, "feedvidfan")).client;
    assert.equal((await creatorApi(fan).follow(maker.creator.handle)).status, 200);
    // Published videos as the videos domain stores them (their media are not needed by the feed).
    const publish = async (id: string, owner: string, at: number) => {
      await sql`insert into short_videos (id, kind, show_id, product_id, owner_user_id, merchant_id, status, media_key, poster_key, duration_ms, width, height, job_id, created_at, published_at, title, caption, tags_set)
        values (${id}, 'upload', null, null, ${owner}, ${shop.merchantId}, 'published', null, null, 8000, 720, 1280, null, ${at}, ${at}, ${id}, null, 1)`.execute(server.app.db.db);
      await sql`insert into short_video_products (video_id, product_id, position) values (${id}, ${shop.products[0]!.id}, 0)`.execute(server.app.db.db);
    };
    const t = Date.now();
    await publish("vid_feed_followed_old", maker.userId, t - 2000);
    await publish("vid_feed_stranger", stranger.userId, t - 1000);
    await publish("vid_feed_followed_new", maker.userId, t);
    const fReplay = await replay(shop.merchantId, maker.userId, "Followed maker's replay");

    const items = await walk(async (cursor) => (await feedOf(fan, `?limit=3${cursor ? `&cursor=${cursor}` : ""}`)).body);
    const ids = items.map(idOf);
    assert.equal(new Set(ids).size, ids.length, "no duplicates");
    const at = (id: string) => ids.indexOf(id);
    assert.ok(at("vid_feed_followed_new") >= 0 && at("vid_feed_followed_new") < at("vid_feed_followed_old") && at("vid_feed_followed_old") < at(fReplay.id), "followed videos, newest first, before followed replays");
    assert.ok(at("vid_feed_stranger") > at(fReplay.id), "everyone else's videos after the followed accounts' items");
    const followed = items.find((i) => i.kind === "video" && i.video.id === "vid_feed_followed_new")!;
    assert.ok(followed.kind === "video" && followed.followed);
    assert.deepEqual(followed.products.map((p) => p.id), [shop.products[0]!.id]);
    assert.equal(items.find((i) => i.kind === "video" && i.video.id === "vid_feed_stranger")!.followed, false);

    // Anonymous: every video once, newest first, none followed.
    const anon = (await walk(async (cursor) => (await feedOf(server.client(), `?limit=4${cursor ? `&cursor=${cursor}` : ""}`)).body)).filter((i) => i.kind === "video");
    assert.deepEqual(anon.map(idOf).filter((id) => id.startsWith("vid_feed_")), ["vid_feed_followed_new", "vid_feed_stranger", "vid_feed_followed_old"]);
    assert.ok(anon.every((i) => !i.followed));
  });

  test("validation: limit and cursor", async () => {
    const c = server.client();
    assert.equal((await feedOf(c, "?limit=0")).problem?.code, "validation_failed");
    assert.equal((await feedOf(c, "?limit=31")).problem?.code, "validation_failed");
    assert.equal((await feedOf(c, "?cursor=not-a-cursor")).problem?.code, "validation_failed");
    assert.equal((await feedOf(c, `?cursor=${Buffer.from(JSON.stringify({ s: 99, k: 0, i: "x" })).toString("base64url")}`)).problem?.code, "validation_failed");
    assert.equal((await feedOf(c, `?cursor=${"a".repeat(201)}`)).problem?.code, "validation_failed");
    const ok = await feedOf(c);
    assert.equal(ok.status, 200);
    assert.ok(ok.body.items.length <= 10);
  });

  test("a signed-in page shows a follow, an unfollow, an edited show and an edited product at once (the events drop what the feed keeps)", async () => {
    const host = await newCreator(server, "feedfresh");
    const shop = await newMerchant(server, "Feed Fresh Shop", [{ currency: "EUR", price: 700 }]);
    const product = shop.products[0]!;
    const s = await show(shop.merchantId, host.userId, "Fresh before", 1, [product.id]);
    const fan = server.client();
    assert.equal((await fan.auth.signUp(`feedfresh-${Date.now()}@example.com`, "password-123", "Fresh Fan")).status, 201);
    const item = async () => {
      const r = await feedOf(fan, "?limit=30");
      assert.equal(r.status, 200);
      const i = r.body.items.find((x) => idOf(x) === s.id);
      assert.ok(i && i.kind === "upcoming", "the show is on the first page");
      return i;
    };
    assert.equal((await item()).followed, false);

    assert.equal((await creatorApi(fan).follow(host.creator.handle)).status, 200);
    assert.equal((await item()).followed, true, "followed on the next page");
    assert.equal((await creatorApi(fan).unfollow(host.creator.handle)).status, 200);
    assert.equal((await item()).followed, false, "unfollowed on the next page");
    assert.equal((await notifyApi(fan).followMerchant(shop.merchantId)).status, 200);
    assert.equal((await item()).followed, true, "a followed shop too");

    const edited = await server.app.shows.updateForCampaign(s.id, { title: "Fresh after", description: "", coverUrl: null, scheduledAt: inHours(1), productIds: [product.id] });
    assert.ok(edited.ok);
    assert.equal((await item()).show.title, "Fresh after");

    const variant = product.variants[0]!;
    const changed = await server.app.catalog.update(shop.merchantId, product.id, { title: "Fresh product renamed", description: "", currency: "EUR", images: [], status: "active", variants: [{ id: variant.id, options: {}, price: 650, stock: variant.stock }] });
    assert.ok(changed.ok);
    const strip = (await item()).products;
    assert.equal(strip[0]!.title, "Fresh product renamed");
    assert.deepEqual(strip[0]!.price, { amount: 650, currency: "EUR" });
  });

  test("a signed-out page is kept for two seconds; a signed-in one is always built", async () => {
    const host = await newCreator(server, "feedkept");
    const shop = await newMerchant(server, "Feed Kept Shop");
    let now = Date.now();
    const feed = createFeed({ db: server.app.db.db, catalog: server.app.catalog, shows: server.app.shows, viewerCount: () => 0, playbackUrl: () => null, replayUrl: (id) => `/replays/${id}.m3u8`, clock: () => now });
    const fan = server.client();
    assert.equal((await fan.auth.signUp(`feedkept-${Date.now()}@example.com`, "password-123", "Kept Fan")).status, 201);
    const fanId = (await fan.auth.me()).body.user!.id;
    const ids = async (userId: string | null) => {
      const r = await feed.page({ limit: 50 }, userId);
      assert.ok(r.ok);
      return r.items.map(idOf);
    };
    const before = await ids(null);
    const fresh = await show(shop.merchantId, host.userId, "Kept live", 0);
    await server.app.shows.markLive(fresh.id);
    now += 1_500;
    assert.deepEqual(await ids(null), before, "the same page, 1.5 s later");
    assert.ok((await ids(fanId)).includes(fresh.id), "a signed-in visitor sees the new show at once");
    now += 1_000;
    assert.ok((await ids(null)).includes(fresh.id), "2.5 s later the signed-out page is built again");
  });
});
