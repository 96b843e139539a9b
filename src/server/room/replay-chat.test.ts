import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import type { ReplayChatPage } from "../../shared/contracts/replays.ts";
import type { ShowTimeline } from "../../shared/contracts/shows.ts";

const T0 = Date.UTC(2026, 4, 1, 18, 0, 0, 394);

describe("a replay's chat", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /**
   * An ended show with a replay of two publishes: 5 s from T0, a 3 s pause, 3 s from T0 + 8 s
   * (offsets 0–5 s and 5–8 s), and chat messages at the given instants (ms after T0), in that order.
   */
  let shows = 0;
  async function replayedShow(title: string, chatAt: number[]) {
    const n = ++shows;
    const merchant = await server.as("merchant");
    const me = (await merchant.auth.me()).body.user!;
    const created = await merchant.shows.create({ title, scheduledAt: new Date().toISOString(), hostId: me.id, productIds: [] });
    const showId = created.body.id;
    await server.app.shows.markLive(showId);
    const ids: string[] = [];
    for (const [i, dt] of chatAt.entries()) {
      // Ids are made in creation order, as the room makes them.
      const id = `msg_${n}_${String(i).padStart(6, "0")}`;
      ids.push(id);
      await server.app.db.db
        .insertInto("chat_messages")
        .values({ id, show_id: showId, user_id: me.id, author_name: me.displayName, author_role: "viewer", text: `m${i}`, created_at: T0 + dt, deleted_at: null, deleted_by: null })
        .execute();
    }
    const storage = server.app.mediaStorage;
    const dir = `replays/${showId}/`;
    await storage.write(dir + "aaa-init.mp4", Buffer.from("INIT"));
    for (let i = 0; i < 5; i++) await storage.write(dir + `aaa-s${i}-t${T0 + i * 1000}-d1000000.mp4`, Buffer.from("x"));
    await storage.write(dir + "bbb-init.mp4", Buffer.from("INIT"));
    for (let i = 0; i < 3; i++) await storage.write(dir + `bbb-s${i}-t${T0 + 8000 + i * 1000}-d1000000.mp4`, Buffer.from("x"));
    assert.equal((await merchant.shows.end(showId)).status, 200);
    assert.equal(await server.app.recorder.finalize(showId), "ready");
    return { merchant, me, showId, ids };
  }

  const chat = (showId: string, query = "") => server.client().request<ReplayChatPage>("GET", `/api/v1/shows/${showId}/replay/chat${query}`);

  test("messages in order, each with its offset on the replay's clock; deleted messages never come back", async () => {
    const { me, showId, ids } = await replayedShow("Chat replay", [-500, 1500, 1500, 2200, 4999, 6000, 9000, 9001, 12_000]);
    // A moderator deletes m3; a banned user's message deleted with the ban stays deleted too.
    assert.equal((await server.app.moderation.deleteMessage(me, showId, ids[3]!)).ok, true);
    await server.app.db.db.updateTable("chat_messages").set({ deleted_at: Date.now(), deleted_by: me.id }).where("id", "=", ids[7]!).execute();

    const res = await chat(showId);
    assert.equal(res.status, 200);
    const page = res.body;
    assert.deepEqual(
      page.items.map((m) => [m.text, m.offsetMs]),
      [
        ["m0", 0], // before the first frame: the start
        ["m1", 1500],
        ["m2", 1500], // same instant: creation order
        ["m4", 4999],
        ["m5", 5000], // posted in the pause between publishes: where the video resumes
        ["m6", 6000],
        ["m8", 8000], // after the last frame: the end
      ],
    );
    assert.equal(page.items[1]!.at, new Date(T0 + 1500).toISOString());
    assert.deepEqual(page.items[0]!.author, { id: me.id, name: me.displayName, role: "viewer" });
    assert.equal(page.durationMs, 8000);
    assert.equal(page.older, null);
    assert.equal(page.newer, null);
    assert.ok(!page.items.some((m) => m.id === ids[3] || m.id === ids[7]));
  });

  test("paging forward and backward by time, with cursors that split messages of the same instant", async () => {
    const at = [100, 100, 100, 2000, 2000, 3000, 4500, 8500, 8600, 10_000];
    const { showId } = await replayedShow("Paged", at);
    const offsets = [100, 100, 100, 2000, 2000, 3000, 4500, 5500, 5600, 7000];

    // Forward from the start, 2 at a time: every message once, in order.
    const seen: string[] = [];
    let page = (await chat(showId, "?limit=2")).body;
    assert.equal(page.older, null);
    for (;;) {
      seen.push(...page.items.map((m) => m.text));
      if (!page.newer) break;
      page = (await chat(showId, `?limit=2&cursor=${page.newer}`)).body;
      assert.ok(page.older, "a later page has older messages");
    }
    assert.deepEqual(seen, at.map((_, i) => `m${i}`));

    // From an offset: the messages at or after it.
    const from = (await chat(showId, "?from=2000&limit=3")).body;
    assert.deepEqual(from.items.map((m) => m.offsetMs), [2000, 2000, 3000]);
    assert.ok(from.older && from.newer);
    const from55 = (await chat(showId, "?from=5001&limit=50")).body;
    assert.deepEqual(from55.items.map((m) => m.offsetMs), offsets.filter((o) => o >= 5001));
    assert.equal(from55.newer, null);

    // Before an offset: the latest messages before it, oldest first; then backwards to the start.
    const back = (await chat(showId, "?before=5500&limit=3")).body;
    assert.deepEqual(back.items.map((m) => m.text), ["m4", "m5", "m6"]);
    assert.ok(back.newer, "m7 is at 5500");
    const back2 = (await chat(showId, `?limit=4&cursor=${back.older}`)).body;
    assert.deepEqual(back2.items.map((m) => m.text), ["m0", "m1", "m2", "m3"]);
    assert.equal(back2.older, null);
    const back3 = (await chat(showId, `?limit=2&cursor=${back.older}`)).body;
    assert.deepEqual(back3.items.map((m) => m.text), ["m2", "m3"], "a cursor between messages of the same instant");

    // Past the end and before the start.
    assert.deepEqual((await chat(showId, "?from=9000")).body.items, []);
    assert.deepEqual((await chat(showId, "?before=0")).body.items, []);
    assert.equal((await chat(showId, "?before=99999")).body.items.length, 10);
    assert.equal((await chat(showId, "?from=8000")).body.items.length, 0, "nothing after the last frame");
  });

  test("the timeline gives each showcase's offset in the replay", async () => {
    const { showId } = await replayedShow("Chapters", []);
    await server.app.db.db
      .insertInto("show_showcases")
      .values([
        { id: `shc_${showId}_1`, show_id: showId, product_id: null, at: T0 + 2500 },
        { id: `shc_${showId}_2`, show_id: showId, product_id: null, at: T0 + 9000 },
      ])
      .execute();
    const timeline = (await server.client().request<ShowTimeline>("GET", `/api/v1/shows/${showId}/timeline`)).body.items;
    assert.deepEqual(timeline.map((e) => e.offsetMs), [2500, 6000]);
  });

  test("validation, an unknown show, a show without a replay", async () => {
    const { showId } = await replayedShow("Validation", [1000]);
    for (const q of ["?limit=0", "?limit=201", "?from=-1", "?from=abc", "?before=1.5", "?cursor=zzz", "?cursor=a12_bad%20id", "?from=1&before=2", "?from=1&cursor=a1_msg_x"]) {
      const res = await chat(showId, q);
      assert.equal(res.status, 400, q);
      assert.equal(res.problem?.code, "validation_failed", q);
    }
    const unknown = await chat("shw_nope");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.problem?.code, "not_found");
    assert.equal((await chat("not%20an%20id")).problem?.code, "validation_failed");

    const merchant = await server.as("merchant");
    const me = (await merchant.auth.me()).body.user!;
    const live = (await merchant.shows.create({ title: "No replay", scheduledAt: new Date().toISOString(), hostId: me.id, productIds: [] })).body;
    const none = await chat(live.id);
    assert.equal(none.status, 404);
    assert.equal(none.problem?.code, "not_found");
  });
});
