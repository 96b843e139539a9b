import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { spawn } from "node:child_process";
import WebSocket from "ws";
import { ApiClient, type RoomClient } from "../../../test/support/client.ts";
import { pgAdmin } from "../../../test/support/harness.ts";
import { killHard, stopGracefully } from "../../../test/support/child-server.ts";
import { clusterKit } from "../../../test/support/cluster.ts";
import { privateBrokerMissing, startPrivateBroker, testPrefix, type PrivateBroker } from "../../../test/support/brokers.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import { resolveFfmpeg } from "../media/ffmpeg.ts";
import { testPatternArgs } from "../media/test-pattern.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

/**
 * Two Vetrina processes sharing one PostgreSQL schema and one broker behave as one for a show's room
 * (docs/multi-node.md). Real processes, a real RTMP push, and a broker server of the test's own (it is
 * killed and restarted here; the machine's shared Redis/NATS are never touched).
 * Switched on by TEST_DATABASE_URL plus TEST_REDIS_URL (Redis run) and/or TEST_NATS_URL (NATS run).
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const runs: ["redis" | "nats", string | undefined][] = [
  ["redis", process.env.TEST_REDIS_URL],
  ["nats", process.env.TEST_NATS_URL],
];

for (const [kind, switchedOn] of runs) {
  const skip = !pgUrl ? "TEST_DATABASE_URL is not set" : !switchedOn ? `TEST_${kind.toUpperCase()}_URL is not set` : privateBrokerMissing(kind) ?? false;
  describe(`two nodes, one room (${kind})`, { skip }, () => {
    const rooms: RoomClient[] = [];
    const streams: { close(): void }[] = [];
    let broker: PrivateBroker | null = null;
    const schema = `t_mn_${kind}_${process.pid}_${Date.now().toString(36)}`;
    const kit = clusterKit({ pgUrl: pgUrl!, schema, label: `mn-${kind}` });
    const { children, dirs } = kit;
    after(async () => {
      for (const r of rooms) r.close();
      for (const st of streams) st.close();
      for (const c of children) await killHard(c);
      await broker?.stop();
      await pgAdmin(pgUrl!, `drop schema if exists ${schema} cascade`);
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    const node = (brokerUrl: string, prefix: string) => kit.node({ url: brokerUrl, prefix });
    const join = async (c: ApiClient, showId: string, opts: { since?: number; epoch?: string } = {}) => {
      const r = await c.joinRoom(showId, opts);
      rooms.push(r);
      return r;
    };
    const signedIn = (baseUrl: string, email: string) => kit.signedIn(baseUrl, email);
    const newUser = async (baseUrl: string, name: string) => {
      const c = new ApiClient(baseUrl);
      const email = `${name.toLowerCase()}-${kind}-${process.pid}@example.com`;
      const r = await c.auth.signUp(email, "password-123", name);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return { client: c, id: r.body.user.id };
    };
    const healthz = async (baseUrl: string) => {
      const r = await fetch(`${baseUrl}/healthz`);
      return { status: r.status, body: (await r.json()) as { status: string; degraded?: string[]; broker?: { status: string } } };
    };

    test("chat, likes, showcase, stock, order notes, viewer counts and moderation cross nodes; a killed node's viewers move; the broker restarts", async () => {
      await kit.run(scenario);
    });

    async function scenario() {
      await pgAdmin(pgUrl!, `create schema ${schema}`);
      broker = await startPrivateBroker(kind);
      const prefix = testPrefix(`mn_${kind}`);
      // Started one after the other: the first one migrates and seeds the shared database.
      const a = await node(broker.url, prefix);
      let b = await node(broker.url, prefix);

      // The host goes live through node A's RTMP ingest.
      const hostA = await signedIn(a.baseUrl, "host@vetrina.test");
      const show = (await hostA.shows.mine()).body.items[0]!;
      const key = (await hostA.shows.studio(show.id)).body.streamKey;
      const pusher = spawn(resolveFfmpeg(), testPatternArgs({ url: `${a.rtmpUrl}/${key}`, seconds: 240, width: 160, height: 90, fps: 10 }), { stdio: "ignore" });
      children.push(pusher);
      await until("the show is live", async () => (await hostA.shows.get(show.id)).body.status === "live", 30_000);

      // Viewer Sofia on node A; the host and an anonymous viewer on node B.
      const sofiaClient = await signedIn(a.baseUrl, "viewer@vetrina.test");
      const sofia = await join(sofiaClient, show.id);
      const hostB = await signedIn(b.baseUrl, "host@vetrina.test");
      const host = await join(hostB, show.id);
      const anonB = await join(new ApiClient(b.baseUrl), show.id);
      const snapA = sofia.events[0] as Ev<"room.snapshot">;
      const snapB = anonB.events[0] as Ev<"room.snapshot">;
      assert.ok(snapA.epoch && snapB.epoch && snapA.epoch !== snapB.epoch, "each node's hub has its own epoch");

      // Viewer counts are the sum over the nodes: 1 on A + 2 on B, seen on both.
      await sofia.waitFor((e) => e.type === "viewers.updated" && e.count === 3, 15_000);
      await anonB.waitFor((e) => e.type === "viewers.updated" && e.count === 3, 15_000);

      // Chat both ways.
      host.send({ type: "chat.send", text: "Welcome from node B", clientMsgId: "h1" });
      await sofia.waitFor((e) => e.type === "chat.message" && e.message.text === "Welcome from node B");
      sofia.send({ type: "chat.send", text: "Hello from node A", clientMsgId: "s1" });
      const fromSofia = await host.waitFor<Ev<"chat.message">>((e) => e.type === "chat.message" && e.message.text === "Hello from node A");
      await anonB.waitFor((e) => e.type === "chat.message" && e.message.text === "Hello from node A");
      // Delivered once, not twice, on the sender's own node.
      await sofia.waitFor((e) => e.type === "chat.message" && e.clientMsgId === "s1");

      // Likes: the cluster's total on both nodes.
      const start = snapA.likes;
      sofia.send({ type: "like.send", count: 5 });
      anonB.send({ type: "like.send", count: 7 });
      await sofia.waitFor((e) => e.type === "likes.updated" && e.total === start + 12, 15_000);
      await anonB.waitFor((e) => e.type === "likes.updated" && e.total === start + 12, 15_000);

      // Showcase through node B, seen on node A.
      const full = (await hostB.shows.get(show.id)).body;
      const product = full.products.find((p) => p.variants.some((v) => v.stock > 2))!;
      const variant = product.variants.find((v) => v.stock > 2)!;
      assert.equal((await hostB.shows.showcase(show.id, product.id)).status, 200);
      await sofia.waitFor((e) => e.type === "product.showcased" && e.product?.id === product.id && e.at !== undefined);

      // The merchant's live feed (SSE) is open on node A; the order comes through node B.
      const merchantA = await signedIn(a.baseUrl, "merchant@vetrina.test");
      const feed = await sse(`${a.baseUrl}/api/v1/merchant/live`, merchantA.cookie);
      streams.push(feed);

      // An order through node B: the order note and the stock left reach node A; the host's counters count it.
      const buyer = await newUser(b.baseUrl, "Buyer");
      const order = await buyer.client.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
      assert.equal(order.status, 201, JSON.stringify(order.body));
      await sofia.waitFor((e) => e.type === "order.note" && e.note.productTitle === product.title);
      await sofia.waitFor(
        (e) => e.type === "product.showcased" && e.at === undefined && !!e.product?.variants.some((v) => v.id === variant.id && v.stock === variant.stock - 1),
      );
      await host.waitFor((e) => e.type === "order.received");
      await feed.waitFor(`"orderId":"${order.body.id}"`);

      // A follower's notification centre (SSE) is open on node A; the show is scheduled through node B.
      const follower = await newUser(a.baseUrl, "Follower");
      assert.equal((await follower.client.request("POST", `/api/v1/merchants/${show.merchantId}/follow`)).status, 200);
      const inbox = await sse(`${a.baseUrl}/api/v1/me/notifications/stream`, follower.client.cookie);
      streams.push(inbox);
      const merchantB = await signedIn(b.baseUrl, "merchant@vetrina.test");
      const scheduled = await merchantB.shows.create({ title: "Cross-node premiere", scheduledAt: new Date(Date.now() + 86_400_000).toISOString(), hostId: show.hostId });
      assert.equal(scheduled.status, 201, JSON.stringify(scheduled.body));
      await inbox.waitFor("Cross-node premiere");
      // Read on node B: the unread count on node A's stream follows.
      assert.equal((await new ApiClient(b.baseUrl).request("POST", "/api/v1/me/notifications/read", { all: true }, { cookie: follower.client.cookie })).status, 200);
      await inbox.waitFor(`"unread":0`);

      // Search: node A caches a page; a product created through node B makes it stale there too.
      const word = `zanzibarite${kind}`;
      const search = () => fetch(`${a.baseUrl}/api/v1/search?q=${word}`).then((r) => r.json() as Promise<{ items: { title: { text: string } }[] }>);
      assert.equal((await search()).items.length, 0);
      assert.equal((await merchantB.products.create({ title: `${word} scarf`, currency: "EUR", variants: [{ price: 2500, stock: 10 }] })).status, 201);
      await until("node A's search finds the new product", async () => (await search()).items.some((i) => i.title.text.includes(word)), 15_000);

      // The follower's session and follows are kept in memory on each node: an unfollow and a sign-out
      // through node A reach node B's copies (follows.changed, session.ended), not only after they age out.
      const followerCookie = follower.client.cookie;
      const feedOnB = async () => {
        const r = await new ApiClient(b.baseUrl).request<{ items: { kind: string; show?: { id: string }; followed: boolean }[] }>("GET", "/api/v1/feed?limit=30", undefined, { cookie: followerCookie });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.items.find((i) => i.show?.id === scheduled.body.id);
      };
      assert.equal((await feedOnB())?.followed, true, "node B ranks the followed shop's show first");
      assert.equal((await follower.client.request("DELETE", `/api/v1/merchants/${show.merchantId}/follow`)).status, 200);
      await until("node B's feed drops the unfollowed shop", async () => (await feedOnB())?.followed === false, 10_000);
      const meOnB = async () => (await new ApiClient(b.baseUrl).request<{ user: unknown }>("GET", "/api/v1/me", undefined, { cookie: followerCookie })).body.user;
      assert.ok(await meOnB(), "node B knows the session (and now keeps it)");
      assert.equal((await follower.client.auth.signOut()).status, 200);
      await until("node B refuses the signed-out session", async () => (await meOnB()) === null, 10_000);

      // Moderation through node B applies on node A: a deleted message, a ban.
      assert.equal((await hostB.request("DELETE", `/api/v1/shows/${show.id}/chat/${fromSofia.message.id}`)).status, 200);
      await sofia.waitFor((e) => e.type === "chat.deleted" && e.messageId === fromSofia.message.id);
      const troll = await newUser(a.baseUrl, "Troll");
      const trollRoom = await join(troll.client, show.id);
      trollRoom.send({ type: "chat.send", text: "spam spam" });
      await host.waitFor((e) => e.type === "chat.message" && e.message.text === "spam spam");
      assert.equal((await hostB.request("POST", `/api/v1/shows/${show.id}/moderation/sanctions`, { kind: "ban", userId: troll.id })).status, 201);
      await until("the banned user's socket on node A is closed", async () => trollRoom.closed?.code === 4403, 10_000);
      // Node A's own check refuses the banned user from now on.
      assert.equal(await closeCodeOfJoin(a.baseUrl, show.id, troll.client.cookie), 4403);

      // Node B is killed (once it has written the likes it took: a node's last 2 s of likes die with it).
      await until("both nodes wrote their likes", async () => (await hostA.shows.get(show.id)).body.likeCount === start + 12, 15_000);
      // Its viewer reconnects to node A with B's numbering, and gets a full snapshot.
      const lastSeq = Math.max(...anonB.seqs);
      await killHard(b.child);
      const moved = await join(new ApiClient(a.baseUrl), show.id, { since: lastSeq, epoch: snapB.epoch });
      const snap = moved.events[0] as Ev<"room.snapshot">;
      assert.equal(snap.resumed, false, "another hub's numbers are never resumed from");
      assert.equal(snap.epoch, snapA.epoch);
      assert.ok(snap.chat.some((m) => m.text === "Welcome from node B"), "the room's chat is in the snapshot");
      assert.equal(snap.showcased?.id, product.id);
      assert.equal(snap.likes, start + 12);
      // Node A stops counting node B's viewers: Sofia and the viewer who moved.
      await sofia.waitFor((e) => e.type === "viewers.updated" && e.count === 2, 15_000);

      // A second node again, then the broker restarts under both of them.
      b = await node(broker.url, prefix);
      assert.equal((await hostA.shows.get(show.id)).body.status, "live", "a starting node leaves the other node's live show alone");
      const hostB2 = await signedIn(b.baseUrl, "host@vetrina.test");
      const host2 = await join(hostB2, show.id);
      await sofia.waitFor((e) => e.type === "viewers.updated" && e.count === 3, 15_000);
      host2.send({ type: "chat.send", text: "Before the outage" });
      await sofia.waitFor((e) => e.type === "chat.message" && e.message.text === "Before the outage");

      await broker.kill();
      for (const n of [a, b]) {
        await until("healthz reports the broker down", async () => {
          const h = await healthz(n.baseUrl);
          return h.status === 503 && h.body.status === "degraded" && h.body.degraded?.includes("broker");
        }, 20_000);
      }
      // Each node keeps serving its own viewers; the message is committed (and stays in the history).
      host2.send({ type: "chat.send", text: "During the outage" });
      await host2.waitFor((e) => e.type === "chat.message" && e.message.text === "During the outage");
      host2.send({ type: "like.send", count: 4 });
      await host2.waitFor((e) => e.type === "likes.updated" && e.total === start + 16);

      await broker.start();
      for (const n of [a, b]) await until("healthz ok again", async () => (await healthz(n.baseUrl)).status === 200, 30_000);
      // Messages flow again (the subscriptions are made again by the nodes themselves).
      let n = 0;
      await until("chat crosses the nodes again", async () => {
        host2.send({ type: "chat.send", text: `After the outage ${++n}` });
        return sofia.waitFor((e) => e.type === "chat.message" && e.message.text.startsWith("After the outage"), 1500).then(() => true, () => false);
      }, 30_000, 0);
      sofia.send({ type: "chat.send", text: "Back on node A" });
      await host2.waitFor((e) => e.type === "chat.message" && e.message.text === "Back on node A");
      // The likes node A missed are read again from the database once the nodes have written theirs.
      await sofia.waitFor((e) => e.type === "likes.updated" && e.total === start + 16, 15_000);
      // Nothing committed was lost: a newcomer on node A has the whole conversation.
      const late = await join(new ApiClient(a.baseUrl), show.id);
      const texts = (late.events[0] as Ev<"room.snapshot">).chat.map((m) => m.text);
      for (const t of ["Before the outage", "During the outage", "Back on node A"]) assert.ok(texts.includes(t), `"${t}" in the chat history`);

      pusher.kill("SIGKILL");
      for (const r of rooms) r.close();
      for (const st of streams) st.close();
      await stopGracefully(b.child);
      await stopGracefully(a.child);
    }
  });
}

/** A server-sent event stream read as text; `waitFor` resolves once the text contains `needle`. */
async function sse(url: string, cookie: string) {
  const ctl = new AbortController();
  const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal: ctl.signal });
  assert.equal(res.status, 200);
  let text = "";
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => {});
  return {
    waitFor: (needle: string) => until(`"${needle}" on ${url}`, async () => text.includes(needle), 15_000, 50),
    close() {
      ctl.abort();
      void pump;
    },
  };
}

/** Joins a room over a raw WebSocket and resolves with the code the server closes it with. */
function closeCodeOfJoin(baseUrl: string, showId: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/v1/shows/${showId}/room`, { headers: { cookie } });
    const t = setTimeout(() => {
      ws.terminate();
      reject(new Error("the room did not close the connection"));
    }, 10_000);
    ws.on("close", (code) => {
      clearTimeout(t);
      resolve(code);
    });
    ws.on("error", () => {});
  });
}
