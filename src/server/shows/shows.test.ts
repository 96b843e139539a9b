import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";

describe("shows", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("a merchant schedules a show with a host and products; it is listed as upcoming", async () => {
    const m = await server.as("merchant");
    const hosts = await m.request<{ items: { id: string; displayName: string }[] }>("GET", "/api/v1/merchant/hosts");
    const marco = hosts.body.items.find((h) => h.displayName === "Marco Live")!;
    const products = (await m.products.list()).body.items;
    const at = new Date(Date.now() + 3600_000).toISOString();
    const created = await m.shows.create({ title: "Friday night drop", scheduledAt: at, hostId: marco.id, productIds: products.slice(0, 2).map((p) => p.id) });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, "scheduled");
    assert.equal(created.body.products.length, 2);
    assert.equal(created.body.scheduledAt, at);
    assert.equal(created.body.playbackUrl, null);
    const upcoming = await server.client().shows.list("scheduled");
    assert.ok(upcoming.body.items.some((s) => s.id === created.body.id));
    const hostSees = await (await server.as("host")).shows.mine();
    assert.ok(hostSees.body.items.some((s) => s.id === created.body.id));
  });

  test("bad show input: missing time, foreign product, a viewer as host", async () => {
    const m = await server.as("merchant");
    const me = (await m.auth.me()).body.user!;
    const noTime = await m.shows.create({ title: "x", hostId: me.id });
    assert.equal(noTime.problem?.code, "validation_failed");
    const viewerId = (await (await server.as("viewer")).auth.me()).body.user!.id;
    const badHost = await m.shows.create({ title: "x", scheduledAt: new Date().toISOString(), hostId: viewerId });
    assert.equal(badHost.problem?.code, "validation_failed");
    const badProduct = await m.shows.create({ title: "x", scheduledAt: new Date().toISOString(), hostId: me.id, productIds: ["prd_nope"] });
    assert.equal(badProduct.problem?.code, "validation_failed");
  });

  test("the studio gives the host the RTMP URL and a secret key; rotating replaces it; others are kept out", async () => {
    const host = await server.as("host");
    const show = (await host.shows.mine()).body.items[0]!;
    const studio = await host.shows.studio(show.id);
    assert.equal(studio.status, 200);
    assert.equal(studio.body.rtmpUrl, server.config.rtmp.publicUrl);
    assert.ok(studio.body.streamKey.length >= 20);
    const rotated = await host.shows.rotateKey(show.id);
    assert.notEqual(rotated.body.streamKey, studio.body.streamKey);
    assert.equal(await server.app.shows.showForStreamKey(studio.body.streamKey), null, "the old key no longer opens the show");
    assert.deepEqual(await server.app.shows.showForStreamKey(rotated.body.streamKey), { showId: show.id });
    const viewer = await server.as("viewer");
    assert.equal((await viewer.shows.studio(show.id)).status, 403);
    assert.equal((await server.client().shows.studio(show.id)).status, 401);
    assert.equal((await viewer.shows.end(show.id)).problem?.code, "forbidden");
  });

  test("a show that ended stays ended: its key no longer opens it, and it cannot be edited", async () => {
    const m = await server.as("merchant");
    const me = (await m.auth.me()).body.user!;
    const created = (await m.shows.create({ title: "Once", scheduledAt: new Date().toISOString(), hostId: me.id })).body;
    const key = (await m.shows.studio(created.id)).body.streamKey;
    await server.app.shows.markLive(created.id);
    assert.equal((await m.shows.end(created.id)).body.status, "ended");
    assert.equal(await server.app.shows.showForStreamKey(key), null);
    const edit = await m.request("PUT", `/api/v1/merchant/shows/${created.id}`, { title: "Again", scheduledAt: new Date().toISOString(), hostId: me.id });
    assert.equal((edit.problem as any)?.code, "show_already_ended");
  });
});
