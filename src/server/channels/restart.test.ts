import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../../../test/support/harness.ts";
import { killHard, spawnServer } from "../../../test/support/child-server.ts";
import { ApiClient } from "../../../test/support/client.ts";
import { goLive, merchantShow, recordShow, type RecordingTarget } from "../../../test/support/channels.ts";
import { until } from "../../../test/support/until.ts";
import type { Channel, ChannelNow } from "../../shared/contracts/channels.ts";

async function pgAdmin(url: string, statement: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

describe("a channel taken over when the server dies", () => {
  const children: ChildProcess[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-chn-restart-"));
  const pgUrl = process.env.TEST_DATABASE_URL;
  const schema = `t_${path.basename(dataDir).replace(/[^a-z0-9]/gi, "").toLowerCase()}`;
  after(async () => {
    for (const c of children) await killHard(c);
    if (pgUrl) await pgAdmin(pgUrl, `drop schema if exists ${schema} cascade`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("SIGKILL during a takeover: after the restart the channel has handed back, shifted by the takeover, and plays", async () => {
    if (pgUrl) await pgAdmin(pgUrl, `create schema ${schema}`);
    const [port, rtmpPort] = [await freePort(), await freePort()];
    const env = {
      PORT: String(port),
      RTMP_PORT: String(rtmpPort),
      DATA_DIR: dataDir,
      DEMO_DATA: "true",
      HLS_SEGMENT_SECONDS: "1",
      MEDIA_STALL_TIMEOUT_MS: "4000",
      ...(pgUrl ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema } : {}),
    };
    let server = await spawnServer(env);
    children.push(server.child);
    const target: RecordingTarget = {
      rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
      segments: async (showId) => {
        try {
          return fs.readdirSync(path.join(dataDir, "media/replays", showId)).filter((f) => /-s\d+-t/.test(f)).length;
        } catch {
          return 0;
        }
      },
    };
    const merchant = new ApiClient(server.baseUrl);
    await merchant.auth.signIn("merchant@vetrina.test", "vetrina-demo");
    const tee = (await merchant.products.list()).body.items.find((p) => p.title.includes("tee"))!;
    const replay = await recordShow(target, merchant, { title: "Short replay", productId: tee.id, seconds: 3, children });
    const takeover = await merchantShow(merchant, "Live across a crash", []);
    const created = await merchant.request<Channel>("POST", "/api/v1/channels", { name: "Crash-proof", coverUrl: null, items: [{ kind: "replay", refId: replay.id }], takeoverShowIds: [takeover.id] });
    assert.equal(created.status, 201);
    const compiled = await until("compiled", async () => {
      const c = (await merchant.request<Channel>("GET", `/api/v1/channels/${created.body.id}`)).body;
      return c.compile.status === "done" ? c : null;
    });

    const publisher = await goLive(target, merchant, takeover.id, children);
    await until("taken over", async () => (await merchant.request<ChannelNow>("GET", `/api/v1/channels/${compiled.id}/now`)).body.state === "live");
    // The server dies mid-takeover: no show.ended, no hand-back, nothing flushed.
    await killHard(server.child);
    publisher.kill("SIGKILL");

    server = await spawnServer(env);
    children.push(server.child);
    const client = new ApiClient(server.baseUrl);
    const now = await until("handed back after the restart", async () => {
      const n = (await client.request<ChannelNow>("GET", `/api/v1/channels/${compiled.id}/now`)).body;
      return n.state === "playout" ? n : null;
    });
    assert.ok(now.item);
    const show = (await client.shows.get(takeover.id)).body;
    assert.equal(show.status, "ended");
    const after = (await client.request<Channel>("GET", `/api/v1/channels/${compiled.id}`)).body;
    assert.equal(after.epoch - compiled.epoch, Date.parse(show.endedAt!) - Date.parse(show.startedAt!), "paused for the takeover (until the restart ended the show)");
    const playlist = await fetch(`${server.baseUrl}/channels/${compiled.id}/live.m3u8`);
    assert.equal(playlist.status, 200);
    assert.match(await playlist.text(), /#EXTINF/);
  });
});
