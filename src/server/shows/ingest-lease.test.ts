import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { ApiClient, type RoomClient } from "../../../test/support/client.ts";
import { pgAdmin, startServer, type TestServer } from "../../../test/support/harness.ts";
import { killHard, stopGracefully } from "../../../test/support/child-server.ts";
import { clusterKit } from "../../../test/support/cluster.ts";
import { privateBrokerMissing, startPrivateBroker, testPrefix, type PrivateBroker } from "../../../test/support/brokers.ts";
import { until } from "../../../test/support/until.ts";
import { resolveFfmpeg } from "../media/ffmpeg.ts";
import { testPatternArgs } from "../media/test-pattern.ts";
import { INGEST_LOST } from "./ingest-lease.ts";

/** The lease's rules in the shows domain, on one app (SQLite by default, PostgreSQL with TEST_DATABASE_URL). */
describe("the ingest lease's rules", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  async function liveShow(title: string, node: string) {
    const merchant = await server.as("merchant");
    const created = await merchant.shows.create({ title, scheduledAt: new Date().toISOString(), hostId: (await merchant.auth.me()).body.user!.id });
    assert.equal(created.status, 201);
    await server.app.shows.markLive(created.body.id, node);
    return created.body.id;
  }

  test("a renewed lease keeps a show; a stale one is ended once, by one caller, through show.ended", async () => {
    const { shows, bus } = server.app;
    const t0 = Date.now();
    const kept = await liveShow("Kept", "node_a");
    const orphan = await liveShow("Orphan", "node_b");
    const ended: { showId: string; reason: string }[] = [];
    const off = bus.subscribe("show.ended", (e) => void ended.push({ showId: e.showId, reason: e.reason }));
    try {
      // node_a renews; node_b is gone. Ten seconds later, with a 5 s lease, only node_b's show is stale.
      assert.deepEqual(await shows.renewIngestLease("node_a", [kept], t0 + 10_000), []);
      const staleBefore = t0 + 5_000;
      const results = await Promise.all([shows.endOrphaned(staleBefore, INGEST_LOST), shows.endOrphaned(staleBefore, INGEST_LOST), shows.endOrphaned(staleBefore, INGEST_LOST)]);
      assert.deepEqual(results.flat(), [orphan], "exactly one caller ends it");
      await until("show.ended is published", async () => ended.length > 0, 5_000);
      assert.deepEqual(ended, [{ showId: orphan, reason: INGEST_LOST }], "one show.ended");
      assert.equal(await shows.status(orphan), "ended");
      assert.equal(await shows.status(kept), "live");
      // A node renewing a show that was ended elsewhere learns it (and stops streaming it).
      assert.deepEqual(await shows.renewIngestLease("node_b", [orphan, kept], t0 + 11_000), [orphan]);
      // Once node_a stops renewing too, its show goes the same way; the ended one is not ended again.
      assert.deepEqual(await shows.endOrphaned(t0 + 60_000, INGEST_LOST), [kept]);
      await until("the second show.ended", async () => ended.length === 2, 5_000);
      assert.deepEqual(ended.map((e) => e.showId), [orphan, kept]);
    } finally {
      off();
    }
  });

  test("on one process (no broker) no lease is written", async () => {
    const merchant = await server.as("merchant");
    const created = await merchant.shows.create({ title: "Single", scheduledAt: new Date().toISOString(), hostId: (await merchant.auth.me()).body.user!.id });
    await server.app.shows.markLive(created.body.id);
    const row = await server.app.db.db.selectFrom("shows").select(["ingest_node", "ingest_heartbeat_at"]).where("id", "=", created.body.id).executeTakeFirstOrThrow();
    assert.deepEqual(row, { ingest_node: null, ingest_heartbeat_at: null });
    await server.app.shows.markEnded(created.body.id, "stopped_by_host");
  });
});

/**
 * The ingest lease across nodes (shows/ingest-lease.ts): two real server processes sharing one
 * PostgreSQL schema and a broker of the test's own. A live show whose ingesting node is SIGKILLed is
 * ended by the other node, and that node's viewers see it end; a show ended through the other node
 * stops being streamed by its ingesting node.
 * Switched on by TEST_DATABASE_URL plus TEST_REDIS_URL (a private redis-server is started on a free port).
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const skip = !pgUrl ? "TEST_DATABASE_URL is not set" : !process.env.TEST_REDIS_URL ? "TEST_REDIS_URL is not set" : privateBrokerMissing("redis") ?? false;
const LEASE_SECONDS = 3;

describe("the ingest lease across two nodes", { skip }, () => {
  const rooms: RoomClient[] = [];
  let broker: PrivateBroker | null = null;
  const schema = `t_lease_${process.pid}_${Date.now().toString(36)}`;
  const kit = clusterKit({ pgUrl: pgUrl!, schema, label: "lease" });
  const { children, dirs } = kit;
  after(async () => {
    for (const r of rooms) r.close();
    for (const c of children) await killHard(c);
    await broker?.stop();
    await pgAdmin(pgUrl!, `drop schema if exists ${schema} cascade`);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  // One data directory for both nodes (as on one machine, docs/deployment.md): local storage is shared,
  // so the node that ends a show can make the replay of what the other recorded.
  let dataDir: string | null = null;
  const node = async (brokerUrl: string, prefix: string) => {
    if (!dataDir) dirs.push((dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-lease-"))));
    return kit.node({ url: brokerUrl, prefix }, { INGEST_LEASE_SECONDS: String(LEASE_SECONDS) }, dataDir);
  };
  const signedIn = (baseUrl: string, email: string) => kit.signedIn(baseUrl, email);
  const push = (url: string) => {
    const p = spawn(resolveFfmpeg(), testPatternArgs({ url, seconds: 240, width: 160, height: 90, fps: 10 }), { stdio: "ignore" });
    children.push(p);
    return p;
  };
  const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

  test("a show whose ingesting node is killed is ended by the other node; a show ended elsewhere stops streaming", async () => {
    await kit.run(scenario);
  });

  async function scenario() {
    await pgAdmin(pgUrl!, `create schema ${schema}`);
    broker = await startPrivateBroker("redis");
    const prefix = testPrefix("lease");
    // One after the other: the first one migrates and seeds the shared database.
    const a = await node(broker.url, prefix);
    const b = await node(broker.url, prefix);
    const hostA = await signedIn(a.baseUrl, "host@vetrina.test");
    const hostB = await signedIn(b.baseUrl, "host@vetrina.test");
    const merchantB = await signedIn(b.baseUrl, "merchant@vetrina.test");
    const first = (await hostA.shows.mine()).body.items[0]!;
    const second = await merchantB.shows.create({ title: "Lease test, second show", scheduledAt: new Date(Date.now() + 60_000).toISOString(), hostId: first.hostId });
    assert.equal(second.status, 201, JSON.stringify(second.body));

    // 1. The host streams the first show through node A and presses End show on node B: node A, which
    //    holds the stream, stops it (its encoder is dropped) at its next renewal.
    const pusher1 = push(`${a.rtmpUrl}/${(await hostA.shows.studio(first.id)).body.streamKey}`);
    await until("the first show is live", async () => (await hostA.shows.get(first.id)).body.status === "live", 30_000);
    assert.equal((await hostB.request("POST", `/api/v1/shows/${first.id}/end`)).status, 200);
    await until("node A stops streaming the show ended through node B", async () => exited(pusher1), 20_000);
    await until("node A reports no live stream", async () => ((await (await fetch(`${a.baseUrl}/healthz`)).json()) as { liveShows: number }).liveShows === 0, 10_000);

    // 2. The second show goes live through node A, with a viewer on each node.
    const pusher2 = push(`${a.rtmpUrl}/${(await hostA.shows.studio(second.body.id)).body.streamKey}`);
    const showId = second.body.id;
    await until("the second show is live", async () => (await hostB.shows.get(showId)).body.status === "live", 30_000);
    const viewerB = await new ApiClient(b.baseUrl).joinRoom(showId);
    rooms.push(viewerB);
    const viewerA = await new ApiClient(a.baseUrl).joinRoom(showId);
    rooms.push(viewerA);
    // Node A renews its lease: the show outlives several lease periods while it streams.
    await new Promise((r) => setTimeout(r, LEASE_SECONDS * 2_500));
    assert.equal((await hostB.shows.get(showId)).body.status, "live", "a renewed lease keeps the show live");
    assert.ok(!viewerB.events.some((e) => e.type === "show.status" && e.status === "ended"));

    // 3. Node A is killed (its encoder with it): node B ends the show once the lease has run out, its
    //    viewers are told, and it makes the replay of what node A recorded.
    await killHard(a.child);
    pusher2.kill("SIGKILL");
    await viewerB.waitFor((e) => e.type === "show.status" && e.status === "ended", 30_000);
    const ended = (await hostB.shows.get(showId)).body;
    assert.equal(ended.status, "ended");
    assert.ok(ended.endedAt, "the show has its end time");
    assert.equal(viewerB.events.filter((e) => e.type === "show.status" && e.status === "ended").length, 1, "ended once");
    await until("node B finalized the recording into a replay", async () => !!(await hostB.shows.get(showId)).body.replayUrl, 20_000);

    for (const r of rooms) r.close();
    await stopGracefully(b.child);
  }
});
