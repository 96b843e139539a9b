import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { demoShow } from "../../../test/support/fixtures.ts";
import type { ApiClient, RoomClient } from "../../../test/support/client.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;
const chatTexts = (c: RoomClient) => c.events.filter((e): e is Ev<"chat.message"> => e.type === "chat.message").map((e) => e.message.text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function viewers(server: TestServer, n: number, tag: string): Promise<ApiClient[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = server.client();
      const r = await c.auth.signUp(`${tag}-${i}-${Date.now()}@example.com`, "password-123", `${tag} ${i}`);
      assert.equal(r.status, 201);
      return c;
    }),
  );
}

/** Sequence numbers after the first must each be one more than the last: no gap, no repeat. */
function assertGapFree(seqs: number[]) {
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1]! + 1, `sequence ${seqs.join(",")} has a gap or repeat at ${i}`);
}

// Both ways of holding sockets: in the server process, and in two gateway processes.
for (const gateways of ["0", "2"]) describe(`room protocol (${gateways === "0" ? "sockets in the server process" : `${gateways} gateway processes`}): numbering, catch-up, sampling`, () => {
  let server: TestServer;
  before(async () => {
    // A small chat budget, so a handful of test users can outrun it.
    server = await startServer({ ROOM_CHAT_RATE: "4", ROOM_GATEWAYS: gateways });
  });
  after(() => server.close());

  test("chat arrives in each sender's order in consecutively numbered frames; a reconnect with `since` gets exactly what it missed", async () => {
    const { show } = await demoShow(server);
    const [alice, bob] = await viewers(server, 2, "seq");
    const a = await alice!.joinRoom(show.id);
    const b = await bob!.joinRoom(show.id);
    // Two messages a second stays under the room's budget (4/s) and the sender's limit (2/s, burst 5).
    for (let i = 1; i <= 4; i++) {
      a.send({ type: "chat.send", text: `first ${i}`, clientMsgId: `f${i}` });
      await sleep(300);
    }
    await b.waitFor((e) => e.type === "chat.message" && e.message.text === "first 4");
    assert.deepEqual(chatTexts(b), ["first 1", "first 2", "first 3", "first 4"]);
    assertGapFree(b.seqs);
    const lastSeen = Math.max(...b.seqs);
    b.close();

    for (let i = 1; i <= 4; i++) {
      a.send({ type: "chat.send", text: `missed ${i}`, clientMsgId: `m${i}` });
      await sleep(300);
    }
    await a.waitFor((e) => e.type === "chat.message" && e.message.text === "missed 4");
    const back = await bob!.joinRoom(show.id, { since: lastSeen });
    const snap = back.events[0] as Ev<"room.snapshot">;
    assert.equal(snap.resumed, true);
    assert.equal(snap.seq, lastSeen);
    assert.deepEqual(snap.chat, [], "a resumed snapshot leaves the chat to the frames that follow");
    await back.waitFor((e) => e.type === "chat.message" && e.message.text === "missed 4");
    assert.deepEqual(chatTexts(back), ["missed 1", "missed 2", "missed 3", "missed 4"]);
    assertGapFree(back.seqs);

    // A number the room never reached (a restart, or a stale tab): a full snapshot instead.
    const stale = await bob!.joinRoom(show.id, { since: lastSeen + 10_000 });
    const full = stale.events[0] as Ev<"room.snapshot">;
    assert.equal(full.resumed, false);
    assert.ok(full.chat.some((m) => m.text === "missed 4"));
    for (const c of [a, back, stale]) c.close();
  });

  test("above the room's chat budget viewers see a fair sample and are told; senders always see their own; hosts are never left out", async () => {
    const { show } = await demoShow(server);
    const host = await server.as("host");
    const senders = await viewers(server, 6, "crowd");
    const watcher = await server.client().joinRoom(show.id);
    const rooms = await Promise.all(senders.map((s) => s.joinRoom(show.id)));
    const hostRoom = await host.joinRoom(show.id);
    await sleep(1100); // let the room's budget fill up again after the joins
    // Six senders, five messages each, at once: 30 messages against a budget of 4 a second.
    rooms.forEach((r, i) => {
      for (let k = 1; k <= 5; k++) r.send({ type: "chat.send", text: `s${i} m${k}`, clientMsgId: `s${i}-${k}` });
    });
    hostRoom.send({ type: "chat.send", text: "host here", clientMsgId: "h1" });

    // Every sender gets all five of its own messages back.
    await Promise.all(rooms.map((r, i) => r.waitFor((e) => e.type === "chat.message" && e.message.text === `s${i} m5`)));
    rooms.forEach((r, i) => assert.deepEqual(chatTexts(r).filter((t) => t.startsWith(`s${i} `)), [1, 2, 3, 4, 5].map((k) => `s${i} m${k}`)));
    // The host's message reaches everyone.
    await watcher.waitFor((e) => e.type === "chat.message" && e.message.text === "host here");
    const notice = await watcher.waitFor<Ev<"chat.sampling">>((e) => e.type === "chat.sampling" && e.active, 5000);
    assert.ok(notice.receivedPerSecond > notice.shownPerSecond);

    const seen = chatTexts(watcher).filter((t) => t.startsWith("s"));
    assert.ok(seen.length < 30, `a sample, not everything (${seen.length})`);
    assert.ok(seen.length >= 3, `but not nothing (${seen.length})`);
    // Fair: the sample is spread over the senders. (Nobody is shown twice before everyone whose message
    // has arrived is shown once; on a loaded machine some senders' messages arrive a tick later, so the
    // test allows one more than an even share, which still catches a sampler that favours anyone.)
    const perSender = new Map<string, number>();
    for (const t of seen) perSender.set(t.split(" ")[0]!, (perSender.get(t.split(" ")[0]!) ?? 0) + 1);
    const counts = [...perSender.values()];
    assert.ok(Math.max(...counts) <= Math.ceil(seen.length / 6) + 1, `one sender shown far more than the others: ${[...perSender]}`);
    // Each sender's shown messages keep their order.
    for (const [sender] of perSender) {
      const mine = seen.filter((t) => t.startsWith(`${sender} `)).map((t) => Number(t.split("m")[1]));
      assert.deepEqual(mine, [...mine].sort((x, y) => x - y));
    }
    assertGapFree(watcher.seqs);
    for (const c of [watcher, hostRoom, ...rooms]) c.close();
  });

  test("moderation reaches the room at once: slow mode, banned words, deleted messages, bans", async () => {
    const { show } = await demoShow(server);
    const host = await server.as("host");
    const [eve, tom] = await viewers(server, 2, "mod");
    const put = await host.request("PUT", `/api/v1/shows/${show.id}/moderation`, { slowModeSeconds: 30, bannedWords: ["scam"] });
    assert.equal(put.status, 200);
    const watcher = await server.client().joinRoom(show.id);
    const e = await eve!.joinRoom(show.id);
    const t = await tom!.joinRoom(show.id);

    e.send({ type: "chat.send", text: "hello all", clientMsgId: "e1" });
    const hello = await watcher.waitFor<Ev<"chat.message">>((x) => x.type === "chat.message" && x.message.text === "hello all");
    e.send({ type: "chat.send", text: "again", clientMsgId: "e2" });
    const slow = await e.waitFor<Ev<"error">>((x) => x.type === "error" && x.ref === "e2");
    assert.equal(slow.code, "slow_mode");
    assert.ok((slow.retryAfterMs ?? 0) > 0);
    t.send({ type: "chat.send", text: "this is a SCAM", clientMsgId: "t1" });
    assert.equal((await t.waitFor<Ev<"error">>((x) => x.type === "error" && x.ref === "t1")).code, "message_blocked");

    const del = await host.request("DELETE", `/api/v1/shows/${show.id}/chat/${hello.message.id}`);
    assert.equal(del.status, 200);
    await watcher.waitFor((x) => x.type === "chat.deleted" && x.messageId === hello.message.id);
    const later = await server.client().joinRoom(show.id);
    assert.ok(!(later.events[0] as Ev<"room.snapshot">).chat.some((m) => m.id === hello.message.id), "a deleted message is gone from the snapshot");

    const eveId = (e.events[0] as Ev<"room.snapshot">).you!.id;
    const ban = await host.request("POST", `/api/v1/shows/${show.id}/moderation/sanctions`, { userId: eveId, kind: "ban" });
    assert.equal(ban.status, 201);
    for (let i = 0; i < 100 && !e.closed; i++) await sleep(20);
    assert.equal(e.closed?.code, 4403);
    const url = server.baseUrl.replace(/^http/, "ws") + `/api/v1/shows/${show.id}/room`;
    const { WebSocket } = await import("ws");
    const again = new WebSocket(url, { headers: { cookie: eve!.cookie } });
    const code = await new Promise<number>((resolve) => again.on("close", (c) => resolve(c)));
    assert.equal(code, 4403);
    assert.equal(t.closed, null, "others stay");
    for (const c of [watcher, t, later]) c.close();
  });
});
