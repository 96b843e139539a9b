import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { flashApi } from "../../../test/support/flash.ts";
import { LlHlsStream } from "../media/llhls/playlist.ts";
import type { ShowTimeline } from "../../shared/contracts/shows.ts";

describe("a show's timeline and replay", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** A fresh show of the merchant's, hosted by the merchant, with two products, made live. */
  async function liveShow(title: string) {
    const merchant = await server.as("merchant");
    const products = (await merchant.products.list()).body.items.filter((p) => p.variants.some((v) => v.stock > 0)).slice(0, 2);
    const created = await merchant.shows.create({ title, scheduledAt: new Date().toISOString(), hostId: (await merchant.auth.me()).body.user!.id, productIds: products.map((p) => p.id) });
    assert.equal(created.status, 201);
    await server.app.shows.markLive(created.body.id);
    return { merchant, show: created.body, products };
  }

  /** What the ingest does while a show is live: a stream, recorded, fed 0.2 s parts. */
  function recordedStream(showId: string) {
    const stream = new LlHlsStream({ partTarget: 0.23, segmentTarget: 1, windowSegments: 3 });
    server.app.recorder.record(showId, stream);
    stream.setInit(Buffer.from("INIT"));
    let n = 0;
    const t0 = Date.now();
    return {
      stream,
      parts(count: number) {
        for (let i = 0; i < count; i++, n++) stream.addPart({ data: Buffer.from(`part-${n}`), duration: 0.2, independent: n % 5 === 0, wallClock: t0 + n * 200 });
      },
    };
  }

  test("the timeline lists every showcase in order, with its instant; anyone may read it", async () => {
    const { merchant, show, products } = await liveShow("Timeline");
    const [a, b] = products;
    for (const id of [a!.id, b!.id, null, a!.id]) assert.equal((await merchant.shows.showcase(show.id, id)).status, 200);
    const res = await server.client().request<ShowTimeline>("GET", `/api/v1/shows/${show.id}/timeline`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.items.map((e) => e.productId), [a!.id, b!.id, null, a!.id]);
    const ats = res.body.items.map((e) => e.at);
    assert.ok(ats.every((at, i) => Number.isInteger(at) && (i === 0 || at >= ats[i - 1]!)));
    assert.ok(Math.abs(ats[0]! - Date.now()) < 60_000, "epoch ms");

    const none = await server.client().request("GET", "/api/v1/shows/shw_nope/timeline");
    assert.equal(none.status, 404);
    assert.equal(none.problem?.code, "not_found");
    const bad = await server.client().request("GET", "/api/v1/shows/not%20an%20id/timeline");
    assert.equal(bad.problem?.code, "validation_failed");
  });

  test("the replay URL appears once the show has ended and its recording is finalized", async () => {
    const { merchant, show } = await liveShow("Recorded");
    assert.equal(show.replayUrl, null);
    const rec = recordedStream(show.id);
    rec.parts(11);
    await server.app.recorder.close();
    assert.equal((await server.client().shows.get(show.id)).body.replayUrl, null, "still live");

    rec.parts(4);
    rec.stream.end();
    await merchant.shows.end(show.id);
    await server.app.recorder.close();
    const ended = (await server.client().shows.get(show.id)).body;
    assert.equal(ended.status, "ended");
    assert.equal(ended.replayUrl, `/replays/${show.id}/index.m3u8`);
    const playlist = await fetch(server.baseUrl + ended.replayUrl);
    assert.equal(playlist.status, 200);
    const body = await playlist.text();
    assert.match(body, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.equal(body.match(/#EXTINF:/g)!.length, 3);
  });

  test("an ended show that was never recorded has no replay", async () => {
    const { merchant, show } = await liveShow("Not recorded");
    await merchant.shows.end(show.id);
    assert.equal((await server.client().shows.get(show.id)).body.replayUrl, null);
    assert.ok(!(await server.app.shows.unfinishedRecordings()).includes(show.id));
  });

  test("a recording left unfinished (the server stopped mid-show) is listed for finalizing once the show is ended", async () => {
    const { show } = await liveShow("Crashed");
    const rec = recordedStream(show.id);
    rec.parts(11);
    await server.app.recorder.close();
    assert.ok(!(await server.app.shows.unfinishedRecordings()).includes(show.id), "live shows are not finalized");
    await server.app.shows.markEnded(show.id, "server_restart");
    assert.ok((await server.app.shows.unfinishedRecordings()).includes(show.id));
    assert.equal(await server.app.recorder.finalize(show.id), "ready");
    assert.ok(!(await server.app.shows.unfinishedRecordings()).includes(show.id));
    assert.equal((await server.client().shows.get(show.id)).body.replayUrl, `/replays/${show.id}/index.m3u8`);
  });

  test("shoppers buy in the replay as on live; flash sales stay live only", async () => {
    const { merchant, show, products } = await liveShow("Buy in replay");
    const variant = products[0]!.variants.find((v) => v.stock > 0)!;
    const rec = recordedStream(show.id);
    rec.parts(6);
    rec.stream.end();
    await merchant.shows.end(show.id);
    await server.app.recorder.close();
    assert.ok((await server.client().shows.get(show.id)).body.replayUrl);

    const viewer = await server.as("viewer");
    const bought = await viewer.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(bought.status, 201);
    assert.equal(bought.body.status, "paid");
    assert.equal(bought.body.showId, show.id);

    const sale = await flashApi(merchant).create(show.id, { variantId: variant.id, salePrice: 100, quantity: 1, perBuyerLimit: 1, countdownSeconds: 10, durationSeconds: 60 });
    assert.equal(sale.problem?.code, "show_already_ended");
  });
});
