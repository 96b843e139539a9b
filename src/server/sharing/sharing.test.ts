import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { sql } from "kysely";
import type { MyShare, ShareLink } from "../../shared/contracts/sharing.ts";
import type { Show } from "../../shared/contracts/shows.ts";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { ApiClient, RoomClient } from "../../../test/support/client.ts";
import { buyBody, demoShow, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import { bareDocument, escapeHtml, indexHtmlReader, withPreview, type Preview } from "./preview.ts";

const NASTY = `Mamma's "best" <script>alert(1)</script> & co`;

/** A page fetched like a messaging app's crawler does: a plain GET, no cookie, no JavaScript. */
async function crawl(server: TestServer, pagePath: string) {
  const res = await fetch(server.baseUrl + pagePath, { headers: { "user-agent": "WhatsApp/2.23 (crawler)" } });
  return { status: res.status, type: res.headers.get("content-type") ?? "", html: await res.text() };
}
const metaContent = (html: string, key: string) => new RegExp(`<meta (?:property|name)="${key.replace(/[:.]/g, "\\$&")}" content="([^"]*)" />`).exec(html)?.[1] ?? null;

describe("sharing", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function newShow(title: string, opts: { cover?: string | null } = {}): Promise<Show> {
    const { show } = await demoShow(server, { live: false });
    const r = await server.app.shows.create(show.merchantId, {
      title,
      description: "Fresh from the atelier",
      coverUrl: opts.cover === undefined ? "/uploads/cover.png" : opts.cover,
      scheduledAt: new Date(Date.UTC(2030, 4, 17, 18, 30)).toISOString(),
      hostId: show.hostId,
      productIds: show.products.map((p) => p.id),
    });
    assert.ok(r.ok);
    return r.show;
  }
  async function newUser(name: string) {
    const c = new ApiClient(server.baseUrl);
    const r = await c.auth.signUp(`${name.replace(/\W/g, "")}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}@vetrina.test`, "correct-horse-battery", name);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { client: c, user: r.body.user };
  }
  const share = (c: ApiClient, kind: string, id: string) => c.request<ShareLink>("POST", "/api/v1/shares", { kind, id });
  const mine = async (c: ApiClient) => (await c.request<{ items: MyShare[] }>("GET", "/api/v1/me/shares")).body.items;
  function joinRoom(c: ApiClient, showId: string, query: string) {
    const ws = new WebSocket(`${server.baseUrl.replace(/^http/, "ws")}/api/v1/shows/${showId}/room?${query}`, { headers: c.cookie ? { cookie: c.cookie } : {} });
    const room = new RoomClient(ws);
    return room.opened.then(() => room.waitFor((e) => e.type === "room.snapshot")).then(() => room);
  }

  test("a shared show's page carries its preview, escaped: live, scheduled and replay", async () => {
    const show = await newShow(NASTY);
    const featured = show.products[0]!;
    const cheapest = Math.min(...featured.variants.map((v) => v.price));

    let page = await crawl(server, `/shows/${show.id}`);
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.ok(!page.html.includes("<script>alert(1)</script>"), "the title is escaped");
    assert.equal(metaContent(page.html, "og:title"), "Mamma&#39;s &quot;best&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
    assert.match(page.html, /<title>Mamma&#39;s &quot;best&quot; &lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; co · Vetrina<\/title>/);
    assert.equal(page.html.match(/<title>/g)?.length, 1, "one title");
    assert.equal(metaContent(page.html, "og:image"), `${server.config.publicUrl}/uploads/cover.png`);
    assert.equal(metaContent(page.html, "og:url"), `${server.config.publicUrl}/shows/${show.id}`);
    assert.equal(metaContent(page.html, "og:type"), "video.other");
    assert.equal(metaContent(page.html, "twitter:card"), "summary_large_image");
    assert.equal(metaContent(page.html, "product:price:amount"), (cheapest / 100).toFixed(2));
    assert.equal(metaContent(page.html, "product:price:currency"), featured.currency);
    const scheduled = metaContent(page.html, "og:description")!;
    assert.match(scheduled, /^Live on Fri, 17 May 2030 18:30 UTC with /);
    assert.ok(scheduled.includes(featured.title) && scheduled.includes(`€${(cheapest / 100).toFixed(2)}`), scheduled);
    if (fs.existsSync(path.join(server.config.webDir, "index.html"))) assert.match(page.html, /<div id="app"><\/div>/, "still the app");

    // Live, with a product showcased: that one is featured. (Previews are cached a few seconds.)
    await server.app.shows.markLive(show.id);
    const showcased = show.products[1]!;
    assert.equal((await (await server.as("host")).shows.showcase(show.id, showcased.id)).status, 200);
    await new Promise((r) => setTimeout(r, 5100));
    page = await crawl(server, `/shows/${show.id}`);
    const live = metaContent(page.html, "og:description")!;
    assert.match(live, /^Live now with /);
    assert.ok(live.includes(showcased.title), live);

    await server.app.shows.markEnded(show.id, "test");
    await server.app.shows.setRecording(show.id, "ready");
    await new Promise((r) => setTimeout(r, 5100));
    page = await crawl(server, `/shows/${show.id}`);
    assert.match(metaContent(page.html, "og:description")!, /^Replay with /);
  });

  test("a shared product's page carries its preview; unknown ids get the plain app", async () => {
    const { show } = await demoShow(server, { live: false });
    const product = show.products.find((p) => p.images.length)!;
    const page = await crawl(server, `/products/${product.id}`);
    assert.equal(page.status, 200);
    assert.equal(metaContent(page.html, "og:type"), "product");
    assert.equal(metaContent(page.html, "og:title"), product.title.replace(/&/g, "&amp;"));
    assert.match(metaContent(page.html, "og:image")!, /^http:\/\//);
    assert.match(metaContent(page.html, "og:description")!, /^€\d+\.\d\d/);

    const built = fs.existsSync(path.join(server.config.webDir, "index.html"));
    for (const p of ["/shows/shw_nope", "/products/prd_nope", "/shows/bad%20id"]) {
      const r = await crawl(server, p);
      assert.equal(metaContent(r.html, "og:title"), null, p);
      if (built) {
        // The app's own index.html, as any other page path gets it.
        assert.equal(r.status, 200);
        assert.match(r.html, /<title>Vetrina<\/title>[\s\S]*<div id="app"><\/div>/);
        assert.ok(!r.html.includes("og:"), p);
      } else assert.equal(r.status, 404);
    }
    // The API and static files are not pages.
    assert.equal((await fetch(`${server.baseUrl}/api/v1/shows/shw_nope`)).status, 404);
  });

  test("one link per sharer and target, reused; anonymous sharers get the plain page; bad input is refused", async () => {
    const { show, tee } = await demoShow(server, { live: false });
    const { client: sharer } = await newUser("Sharer");
    const a = await share(sharer, "show", show.id);
    assert.equal(a.status, 200);
    assert.match(a.body.path, new RegExp(`^/shows/${show.id}\\?s=[A-Za-z0-9_-]{16}$`));
    assert.equal(a.body.url, `${server.config.publicUrl}${a.body.path}`);
    assert.equal((await share(sharer, "show", show.id)).body.token, a.body.token, "reused");
    const p = await share(sharer, "product", tee.id);
    assert.notEqual(p.body.token, a.body.token);
    assert.match(p.body.path, new RegExp(`^/products/${tee.id}\\?s=`));
    const { client: other } = await newUser("Other");
    assert.notEqual((await share(other, "show", show.id)).body.token, a.body.token, "another sharer's own token");

    const anon = await share(server.client(), "show", show.id);
    assert.equal(anon.status, 200);
    assert.equal(anon.body.token, null);
    assert.equal(anon.body.path, `/shows/${show.id}`);

    assert.equal((await share(sharer, "reel", show.id)).problem?.code, "validation_failed");
    assert.equal((await share(sharer, "show", "shw_nope")).problem?.code, "not_found");
    assert.equal((await share(sharer, "show", "bad id!")).problem?.code, "validation_failed");
    assert.equal((await server.client().request("GET", "/api/v1/me/shares")).problem?.code, "unauthenticated");
    assert.equal((await server.client().request("POST", "/api/v1/shares/visits", { token: "x" })).problem?.code, "validation_failed");
    assert.equal((await server.client().request("POST", "/api/v1/shares/visits", { token: "unknown-token-123" })).status, 204, "unknown tokens are ignored");
    // A preview keeps a link's token in og:url, and nothing of its sharer.
    const page = await crawl(server, a.body.path);
    assert.equal(metaContent(page.html, "og:url"), a.body.url);
    assert.equal(metaContent((await crawl(server, `/shows/${show.id}?s=${p.body.token}`)).html, "og:url"), `${server.config.publicUrl}/shows/${show.id}`, "another target's token is dropped");
  });

  test("a visit, a join and an order through a link count for the sharer; not its own purchase; a refund leaves its GMV; the viewer never learns who shared", async () => {
    const { show, tee, variant } = await demoShow(server);
    const { client: sharer, user: sharerUser } = await newUser("Giulia Sharer");
    const link = (await share(sharer, "show", show.id)).body;
    const token = link.token!;
    const buyer = await server.as("viewer");

    // The buyer opens the page (the web app reports the visit), joins the room, buys.
    assert.equal((await buyer.request("POST", "/api/v1/shares/visits", { token })).status, 204);
    const room = await joinRoom(buyer, show.id, `share=${token}&visitor=browser-one-123`);
    const again = await joinRoom(buyer, show.id, `share=${token}&visitor=browser-one-123`);
    const order = await buyer.request<{ id: string; total: number; currency: string }>("POST", "/api/v1/checkout/buy-now", buyBody(show.id, variant.id), { "idempotency-key": idemKey(), "vetrina-share": token });
    assert.equal(order.status, 201);

    const counted = await until("the order counted for the sharer", async () => {
      const s = (await mine(sharer)).find((x) => x.token === token);
      return s && s.orders === 1 ? s : null;
    }, 5000);
    assert.equal(counted.visits, 1);
    assert.equal(counted.joins, 1, "one join per viewer");
    assert.deepEqual(counted.gmv, [{ currency: order.body.currency, amount: order.body.total }]);
    assert.equal(counted.title, show.title);

    // Nothing the viewer is sent names the sharer.
    const snapshot = JSON.stringify(room.events.find((e) => e.type === "room.snapshot"));
    const payload = JSON.stringify((await buyer.shows.get(show.id)).body);
    const orderJson = JSON.stringify(order.body);
    for (const seen of [snapshot, payload, orderJson, (await crawl(server, link.path)).html])
      for (const secret of [sharerUser.id, sharerUser.displayName]) assert.ok(!seen.includes(secret), `the viewer sees ${secret}`);
    room.close();
    again.close();

    // A second purchase with no header (a flash-sale or API client): still the show's link the buyer joined through.
    const second = await buyer.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(second.status, 201);
    await until("the second order counted", async () => (await mine(sharer)).find((x) => x.token === token)?.orders === 2, 5000);

    // The sharer buying through its own link: not counted.
    await sharer.request("POST", "/api/v1/shares/visits", { token });
    (await joinRoom(sharer, show.id, `share=${token}&visitor=browser-two-456`)).close();
    const own = await sharer.request("POST", "/api/v1/checkout/buy-now", buyBody(show.id, variant.id), { "idempotency-key": idemKey(), "vetrina-share": token });
    assert.equal(own.status, 201);

    // The merchant cancels the first order: refunded, out of the sharer's GMV.
    const merchant = await server.as("merchant");
    assert.equal((await merchant.orders.transition(order.body.id, "cancelled")).body.status, "refunded");
    const net = await until("the refund counted", async () => {
      const s = (await mine(sharer)).find((x) => x.token === token);
      return s && s.ordersRefunded === 1 ? s : null;
    }, 5000);
    assert.equal(net.orders, 2, "its own purchase is not counted");
    assert.equal(net.visits, 1, "nor its own visit");
    assert.equal(net.joins, 1, "nor its own join");
    assert.deepEqual(net.gmv, [{ currency: second.body.currency, amount: second.body.total }]);

    // A product link: an order of that product, in any show, counts for it.
    const productLink = (await share(sharer, "product", tee.id)).body;
    const viaProduct = await buyer.request("POST", "/api/v1/checkout/buy-now", buyBody(show.id, variant.id), { "idempotency-key": idemKey(), "vetrina-share": `not-a-token!,${productLink.token}` });
    assert.equal(viaProduct.status, 201);
    await until("the product link's order", async () => (await mine(sharer)).find((x) => x.token === productLink.token)?.orders === 1, 5000);
  });

  test("a shared short video's page carries its preview; an order of the product it sells counts for its sharer", async () => {
    const { show } = await demoShow(server, { live: true });
    const tee = show.products[0]!;
    const host = await server.as("host");
    const hostUser = (await host.auth.me()).body.user!;
    // A published video tagged with the tee (made as the videos domain stores one; its media are not needed here).
    const videoId = `vid_share_${Date.now().toString(36)}`;
    await sql`insert into short_videos (id, kind, show_id, product_id, owner_user_id, merchant_id, status, media_key, poster_key, duration_ms, width, height, job_id, created_at, published_at, title, caption, tags_set)
      values (${videoId}, 'upload', null, null, ${hostUser.id}, ${show.merchantId}, 'published', null, ${`videos/${videoId}.jpg`}, 8000, 720, 1280, null, ${Date.now()}, ${Date.now()}, ${NASTY}, 'Fits true to size', 1)`.execute(server.app.db.db);
    await sql`insert into short_video_products (video_id, product_id, position) values (${videoId}, ${tee.id}, 0)`.execute(server.app.db.db);

    const page = await crawl(server, `/videos/${videoId}`);
    assert.equal(page.status, 200);
    assert.equal(metaContent(page.html, "og:type"), "video.other");
    assert.equal(metaContent(page.html, "og:title"), "Mamma&#39;s &quot;best&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; co");
    assert.equal(metaContent(page.html, "og:image"), `${server.config.publicUrl}/media/videos/${videoId}.jpg`);
    assert.ok(metaContent(page.html, "og:description")!.includes(escapeHtml(tee.title)), `the product it sells: ${metaContent(page.html, "og:description")}`);
    assert.ok(metaContent(page.html, "product:price:amount"), "and its price");
    assert.equal(metaContent((await crawl(server, "/videos/vid_nope")).html, "og:title"), null);

    const sharer = (await newUser("Video Sharer")).client;
    const link = await share(sharer, "video", videoId);
    assert.equal(link.status, 200);
    assert.match(link.body.path, new RegExp(`^/videos/${videoId}\\?s=[A-Za-z0-9_-]+$`));
    const withToken = await crawl(server, link.body.path);
    assert.equal(metaContent(withToken.html, "og:url"), `${server.config.publicUrl}${link.body.path}`);
    assert.equal((await share(sharer, "video", "vid_nope")).problem?.code, "not_found");

    // The buyer came through the video's link and buys the tee in a show: the video's sharer gets the order.
    const buyer = (await newUser("Video Buyer")).client;
    const variant = tee.variants.find((v) => v.stock > 0)!;
    const bought = await buyer.request("POST", "/api/v1/checkout/buy-now", buyBody(show.id, variant.id), { "idempotency-key": idemKey(), "vetrina-share": link.body.token! });
    assert.equal(bought.status, 201);
    await until("the video link's order", async () => (await mine(sharer)).find((x) => x.token === link.body.token)?.orders === 1, 5000);
    const row = (await mine(sharer)).find((x) => x.token === link.body.token)!;
    assert.equal(row.kind, "video");
    assert.equal(row.title, NASTY);
  });

  test("the preview's tags go into the app's head (its title replaced), or into a bare page while the app is not built", () => {
    const p: Preview = { title: NASTY, description: "d", image: null, url: "http://x/shows/a", type: "video.other", price: { amount: 1250, currency: "EUR" } };
    const html = withPreview('<html><head><meta charset="utf-8" />\n<title>Vetrina</title>\n</head><body><div id="app"></div></body></html>', p);
    assert.equal(html.match(/<title>/g)?.length, 1);
    assert.ok(html.indexOf("og:title") < html.indexOf("</head>"));
    assert.equal(metaContent(html, "twitter:card"), "summary", "no image: the small card");
    assert.equal(metaContent(html, "product:price:amount"), "12.50");
    assert.ok(!html.includes("<script>"));
    assert.match(bareDocument(p), /^<!doctype html>[\s\S]*og:title[\s\S]*<\/head>/);
    assert.equal(indexHtmlReader(path.join(server.config.dataDir, "no-web"))(), null);
  });
});
