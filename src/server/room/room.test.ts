import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, demoShow, idemKey } from "../../../test/support/fixtures.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

describe("the room", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("two viewers chat; each sees the other's message in order; the snapshot carries recent chat", async () => {
    const { show } = await demoShow(server);
    const sofia = await server.as("viewer");
    const luca = server.client();
    await luca.auth.signUp("luca@example.com", "password-123", "Luca");
    const a = await sofia.joinRoom(show.id);
    const b = await luca.joinRoom(show.id);
    a.send({ type: "chat.send", text: "Is the red one true to size?", clientMsgId: "a1" });
    a.send({ type: "chat.send", text: "<b>bold?</b>", clientMsgId: "a2" });
    const m1 = await b.waitFor<Ev<"chat.message">>((e) => e.type === "chat.message" && e.message.text.startsWith("Is the red"));
    const m2 = await b.waitFor<Ev<"chat.message">>((e) => e.type === "chat.message" && e.message.text === "<b>bold?</b>");
    assert.equal(m1.message.author.name, "Sofia");
    assert.ok(b.events.indexOf(m1) < b.events.indexOf(m2), "per-sender order kept");
    // the sender gets its own message back with its client id
    await a.waitFor((e) => e.type === "chat.message" && e.clientMsgId === "a2");
    b.send({ type: "chat.send", text: "Ciao!" });
    await a.waitFor((e) => e.type === "chat.message" && e.message.text === "Ciao!");

    const late = await server.client().joinRoom(show.id);
    const snap = late.events[0] as Ev<"room.snapshot">;
    assert.equal(snap.type, "room.snapshot");
    assert.deepEqual(snap.chat.slice(-3).map((m) => m.text), ["Is the red one true to size?", "<b>bold?</b>", "Ciao!"]);
    assert.equal(snap.you, null);
    for (const c of [a, b, late]) c.close();
  });

  test("viewer count follows joins and leaves", async () => {
    const { show } = await demoShow(server);
    const a = await server.client().joinRoom(show.id);
    const b = await server.client().joinRoom(show.id);
    await a.waitFor((e) => e.type === "viewers.updated" && e.count === 2);
    b.close();
    await a.next((e) => e.type === "viewers.updated" && e.count === 1);
    a.close();
  });

  test("anonymous viewers may like but not chat; likes are aggregated", async () => {
    const { show } = await demoShow(server);
    const anon = await server.client().joinRoom(show.id);
    const watcher = await server.client().joinRoom(show.id);
    const startLikes = (watcher.events[0] as Ev<"room.snapshot">).likes;
    anon.send({ type: "chat.send", text: "hi" });
    const err = await anon.waitFor<Ev<"error">>((e) => e.type === "error");
    assert.equal(err.code, "unauthenticated");
    for (let i = 0; i < 10; i++) anon.send({ type: "like.send", count: 3 });
    await watcher.waitFor((e) => e.type === "likes.updated" && e.total === startLikes + 30);
    const likeFrames = watcher.events.filter((e) => e.type === "likes.updated").length;
    assert.ok(likeFrames < 10, `likes were coalesced (${likeFrames} updates for 10 sends)`);
    anon.close();
    watcher.close();
  });

  test("invalid frames get an error frame and the connection stays open", async () => {
    const { show } = await demoShow(server);
    const viewer = await server.as("viewer");
    const room = await viewer.joinRoom(show.id);
    room.send("{not json");
    assert.equal((await room.next<Ev<"error">>((e) => e.type === "error")).code, "malformed_json");
    room.send({ type: "chat.send", text: "x".repeat(301) });
    assert.equal((await room.next<Ev<"error">>((e) => e.type === "error")).code, "validation_failed");
    room.send({ type: "teleport" });
    assert.equal((await room.next<Ev<"error">>((e) => e.type === "error")).code, "validation_failed");
    room.send(JSON.stringify({ type: "chat.send", text: "y".repeat(5000) }));
    assert.equal((await room.next<Ev<"error">>((e) => e.type === "error")).code, "payload_too_large");
    room.send({ type: "chat.send", text: "still here" });
    await room.waitFor((e) => e.type === "chat.message" && e.message.text === "still here");
    assert.equal(room.closed, null);
    room.close();
  });

  test("a client that floods chat is throttled", async () => {
    const { show } = await demoShow(server);
    const viewer = await server.as("viewer");
    const room = await viewer.joinRoom(show.id);
    for (let i = 0; i < 15; i++) room.send({ type: "chat.send", text: `spam ${i}` });
    const err = await room.waitFor<Ev<"error">>((e) => e.type === "error" && e.code === "rate_limited");
    assert.ok(err.retryAfterMs && err.retryAfterMs > 0);
    await new Promise((r) => setTimeout(r, 500));
    const accepted = room.events.filter((e) => e.type === "chat.message" && e.message.text.startsWith("spam")).length;
    assert.ok(accepted < 15 && accepted >= 1, `accepted ${accepted} of 15`);
    room.close();
  });

  test("the host showcases a product and every viewer sees its card; a viewer cannot showcase", async () => {
    const { show, tee } = await demoShow(server);
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const room = await viewer.joinRoom(show.id);
    const denied = await viewer.shows.showcase(show.id, tee.id);
    assert.equal(denied.status, 403);
    assert.equal(denied.problem?.code, "forbidden");
    const ok = await host.shows.showcase(show.id, tee.id);
    assert.equal(ok.status, 200);
    const card = await room.waitFor<Ev<"product.showcased">>((e) => e.type === "product.showcased" && e.product?.id === tee.id);
    assert.equal(card.product!.title, tee.title);
    const other = await server.as("merchant");
    const foreign = await other.products.create({ title: "Elsewhere", currency: "EUR", variants: [{ price: 100, stock: 1 }] });
    assert.equal((await host.shows.showcase(show.id, foreign.body.id)).problem?.code, "product_not_in_show");
    room.close();
  });

  test("a purchase shows an anonymous note to viewers and the order and counters to the host", async () => {
    const { show, tee, variant } = await demoShow(server);
    const host = await server.as("host");
    const hostRoom = await host.joinRoom(show.id);
    const bystander = await server.client().joinRoom(show.id);
    assert.ok((hostRoom.events[0] as Ev<"room.snapshot">).counters, "host gets counters");
    assert.equal((bystander.events[0] as Ev<"room.snapshot">).counters, null);
    const viewer = await server.as("viewer");
    const order = await viewer.checkout.buyNow(buyBody(show.id, variant.id), idemKey());
    assert.equal(order.status, 201);
    const note = await bystander.waitFor<Ev<"order.note">>((e) => e.type === "order.note");
    assert.equal(note.note.productTitle, tee.title);
    assert.ok(!JSON.stringify(note).includes("Sofia"), "the note is anonymous");
    const received = await hostRoom.waitFor<Ev<"order.received">>((e) => e.type === "order.received");
    assert.equal(received.order.orderId, order.body.id);
    const counters = await hostRoom.waitFor<Ev<"counters.updated">>((e) => e.type === "counters.updated" && e.counters.orders >= 1);
    assert.ok(counters.counters.revenue.some((r) => r.currency === "EUR" && r.amount >= variant.price));
    assert.ok(!bystander.events.some((e) => e.type === "order.received" || e.type === "counters.updated"));
    // a host who opens the studio later still sees the order in the snapshot
    const later = await host.joinRoom(show.id);
    const snap = later.events[0] as Ev<"room.snapshot">;
    assert.equal(snap.recentOrders?.[0]?.orderId, order.body.id);
    assert.equal((bystander.events[0] as Ev<"room.snapshot">).recentOrders, null);
    later.close();
    hostRoom.close();
    bystander.close();
  });

  test("questions: a viewer asks about a product, the host answers, every viewer sees the answer", async () => {
    const { show, tee } = await demoShow(server);
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const hostRoom = await host.joinRoom(show.id);
    const asker = await viewer.joinRoom(show.id);
    const other = await server.client().joinRoom(show.id);
    asker.send({ type: "question.ask", text: "Does it shrink in the wash?", productId: tee.id, clientMsgId: "q1" });
    const asked = await hostRoom.waitFor<Ev<"question.updated">>((e) => e.type === "question.updated" && e.question.status === "open");
    assert.equal(asked.question.productId, tee.id);
    await asker.waitFor((e) => e.type === "question.updated" && e.clientMsgId === "q1");
    const queue = await host.shows.questions(show.id, "open");
    assert.ok(queue.body.items.some((q) => q.id === asked.question.id));
    const answered = await host.shows.answer(show.id, asked.question.id, "No, it is pre-washed.");
    assert.equal(answered.body.status, "answered");
    const seen = await other.waitFor<Ev<"question.updated">>((e) => e.type === "question.updated" && e.question.status === "answered");
    assert.equal(seen.question.answer, "No, it is pre-washed.");
    assert.equal(seen.question.text, "Does it shrink in the wash?");
    assert.equal((await viewer.shows.answer(show.id, asked.question.id, "hack")).status, 403);

    asker.send({ type: "question.ask", text: "Free shipping?", productId: null });
    const q2 = await hostRoom.waitFor<Ev<"question.updated">>((e) => e.type === "question.updated" && e.question.text === "Free shipping?");
    assert.equal((await host.shows.dismiss(show.id, q2.question.id)).body.status, "dismissed");
    assert.ok(!other.events.some((e) => e.type === "question.updated" && e.question.text === "Free shipping?"), "open and dismissed questions stay between asker and host");
    for (const c of [hostRoom, asker, other]) c.close();
  });
});
