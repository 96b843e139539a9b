import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { demoShow } from "../../../test/support/fixtures.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

describe("room frame numbers belong to the hub that gave them (epoch)", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("a resume with this hub's epoch catches up; with another hub's epoch it gets a full snapshot", async () => {
    const { show } = await demoShow(server);
    const sofia = await server.as("viewer");
    const talker = await sofia.joinRoom(show.id);
    const first = talker.events[0] as Ev<"room.snapshot">;
    assert.ok(first.epoch, "the snapshot says which hub numbers the frames");
    talker.send({ type: "chat.send", text: "numbered", clientMsgId: "n1" });
    await talker.waitFor((e) => e.type === "chat.message" && e.clientMsgId === "n1");
    const since = Math.max(...talker.seqs);

    const same = await server.client().joinRoom(show.id, { since, epoch: first.epoch });
    assert.equal((same.events[0] as Ev<"room.snapshot">).resumed, true, "same hub: resumed from its own numbers");

    // The numbers of another node's hub (or of this server before a restart) are not this hub's.
    const other = await server.client().joinRoom(show.id, { since, epoch: "another-hub" });
    const snap = other.events[0] as Ev<"room.snapshot">;
    assert.equal(snap.resumed, false);
    assert.equal(snap.epoch, first.epoch);
    assert.ok(snap.chat.some((m) => m.text === "numbered"), "the full snapshot carries the room's chat");
    for (const c of [talker, same, other]) c.close();
  });
});
