import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { spawn } from "node:child_process";
import pg from "pg";
import { ApiClient, type RoomClient } from "../../../test/support/client.ts";
import { killHard, stopGracefully } from "../../../test/support/child-server.ts";
import { clusterKit } from "../../../test/support/cluster.ts";
import { privateBrokerMissing, startPrivateBroker, testPrefix, type PrivateBroker } from "../../../test/support/brokers.ts";
import { flashApi } from "../../../test/support/flash.ts";
import { until } from "../../../test/support/until.ts";
import { resolveFfmpeg } from "../media/ffmpeg.ts";
import { testPatternArgs } from "../media/test-pattern.ts";
import type { FlashAttemptResult } from "../../shared/contracts/flash-sales.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";

type Ev<T extends ServerEvent["type"]> = Extract<ServerEvent, { type: T }>;

/**
 * One flash sale, one stock across two Vetrina processes (docs/multi-node.md#flash-sales-across-nodes):
 * buyers on both nodes over room sockets and HTTP; the owner node SIGKILLed mid-sale; a third node
 * started (which must not settle a live node's purchase in flight); the broker killed and restarted;
 * the owner's lock connection cut (it must stop: fencing).
 * Switched on by TEST_DATABASE_URL plus TEST_REDIS_URL (Redis run) and/or TEST_NATS_URL (NATS run).
 */
const pgUrl = process.env.TEST_DATABASE_URL;
const runs: ["redis" | "nats", string | undefined][] = [
  ["redis", process.env.TEST_REDIS_URL],
  ["nats", process.env.TEST_NATS_URL],
];

const QUANTITY = 200;
const LIMIT = 4;
const BUYERS = 60;
/** the first WS_BUYERS buy over their room socket (half on each node), the others over HTTP */
const WS_BUYERS = 12;

for (const [kind, switchedOn] of runs) {
  const skip = !pgUrl ? "TEST_DATABASE_URL is not set" : !switchedOn ? `TEST_${kind.toUpperCase()}_URL is not set` : (privateBrokerMissing(kind) ?? false);
  describe(`one flash sale across nodes (${kind})`, { skip }, () => {
    const rooms: RoomClient[] = [];
    let broker: PrivateBroker | null = null;
    const schema = `t_fmn_${kind}_${process.pid}_${Date.now().toString(36)}`;
    const kit = clusterKit({ pgUrl: pgUrl!, schema, label: `fmn-${kind}` });
    const { children, dirs } = kit;
    after(async () => {
      for (const r of rooms) r.close();
      for (const c of children) await killHard(c);
      await broker?.stop();
      await sql(`drop schema if exists ${schema} cascade`);
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    const sql = async <R extends pg.QueryResultRow = Record<string, unknown>>(statement: string, params: unknown[] = []) => {
      const client = new pg.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        return (await client.query<R>(statement, params)).rows;
      } finally {
        await client.end();
      }
    };

    const node = (brokerUrl: string, prefix: string) => kit.node({ url: brokerUrl, prefix }, { FLASH_HOLD_SECONDS: "300" });
    const signedIn = (baseUrl: string, email: string, password?: string) => kit.signedIn(baseUrl, email, password);

    test("no oversell, one outcome per attempt, the owner's death loses no acknowledged attempt, the broker restarts", async () => {
      await kit.run(scenario);
    });

    async function scenario() {
      await sql(`create schema ${schema}`);
      broker = await startPrivateBroker(kind);
      const prefix = testPrefix(`fmn_${kind}`);
      const a = await node(broker.url, prefix);
      const b = await node(broker.url, prefix);

      // The host goes live through node A and launches the sale there: node A owns it.
      const hostA = await signedIn(a.baseUrl, "host@vetrina.test");
      const show = (await hostA.shows.mine()).body.items[0]!;
      const streamKey = (await hostA.shows.studio(show.id)).body.streamKey;
      const pusher = spawn(resolveFfmpeg(), testPatternArgs({ url: `${a.rtmpUrl}/${streamKey}`, seconds: 240, width: 160, height: 90, fps: 10 }), { stdio: "ignore" });
      children.push(pusher);
      await until("the show is live", async () => (await hostA.shows.get(show.id)).body.status === "live", 30_000);
      const variant = (await hostA.shows.get(show.id)).body.products.flatMap((p) => p.variants).find((v) => v.stock >= 1)!;
      const merchant = await signedIn(a.baseUrl, "merchant@vetrina.test");
      assert.equal((await merchant.request("PUT", `/api/v1/merchant/variants/${variant.id}/stock`, { stock: QUANTITY + 50 })).status, 200);
      const created = await flashApi(hostA).create(show.id, { variantId: variant.id, salePrice: 500, quantity: QUANTITY, perBuyerLimit: LIMIT, countdownSeconds: 10, durationSeconds: 600 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const sale = created.body;

      // Buyers signed up on both nodes (sessions live in the shared database).
      const buyers = await Promise.all(
        Array.from({ length: BUYERS }, async (_, i) => {
          const c = new ApiClient(i % 2 ? b.baseUrl : a.baseUrl);
          const r = await c.auth.signUp(`fmn-${kind}-${i}-${process.pid}@example.com`, "password-123", `Buyer ${i}`);
          assert.equal(r.status, 201, JSON.stringify(r.body));
          return { client: c, id: r.body.user.id, email: `fmn-${kind}-${i}-${process.pid}@example.com`, room: null as RoomClient | null };
        }),
      );
      const joinOn = async (i: number, baseUrl: string) => {
        const c = new ApiClient(baseUrl);
        c.cookie = buyers[i]!.client.cookie;
        const r = await c.joinRoom(show.id);
        rooms.push(r);
        buyers[i]!.room = r;
        return r;
      };
      for (let i = 0; i < WS_BUYERS; i++) await joinOn(i, i % 2 ? b.baseUrl : a.baseUrl);
      // Node B's rooms know the sale (owned by A) from the start.
      const snapB = buyers[1]!.room!.events[0] as Ev<"room.snapshot">;
      assert.ok(snapB.flashSales.some((s) => s.id === sale.id), "node B's snapshot has node A's sale");

      /** Every answer a buyer got, by key; each key is tried until it gets an outcome. */
      const acknowledged = new Map<string, FlashAttemptResult & { buyer: number }>();
      const attempt = async (i: number, key: string, baseUrl: string): Promise<FlashAttemptResult | null> => {
        const buyer = buyers[i]!;
        if (buyer.room && !buyer.room.closed) {
          buyer.room.send({ type: "flash.buy", saleId: sale.id, key });
          const ev = await buyer.room
            .waitFor<Ev<"flash.result"> | Ev<"error">>((e) => (e.type === "flash.result" && e.result.key === key) || (e.type === "error" && e.ref === key), 20_000)
            .catch(() => null);
          if (ev?.type === "error") assert.equal(ev.code, "flash_sale_unavailable", ev.message);
          if (ev?.type !== "flash.result") return null;
          acknowledged.set(`${i}:${key}`, { ...ev.result, buyer: i });
          return ev.result;
        }
        const c = new ApiClient(baseUrl);
        c.cookie = buyer.client.cookie;
        const r = await flashApi(c)
          .attempt(sale.id, key)
          .catch(() => null);
        // No answer (the node died under the request) or 503 (the sale was changing hands): try again.
        if (!r || r.status === 503) return null;
        assert.equal(r.status, 200, JSON.stringify(r.body));
        acknowledged.set(`${i}:${key}`, { ...r.body, buyer: i });
        return r.body;
      };
      /** Tries one key until it is answered (a buyer tapping again after an error or a dropped node). */
      let reconnected = 0;
      const keepTrying = async (i: number, key: string, nodes: () => string[]) => {
        for (let n = 0; n < 100; n++) {
          const live = nodes();
          if (buyers[i]!.room?.closed) {
            // The node under the socket died: the viewer reconnects through another one and sees the sale.
            const moved = await joinOn(i, live[0]!);
            const seen = (moved.events[0] as Ev<"room.snapshot">).flashSales.find((s) => s.id === sale.id);
            assert.ok(seen, "the reconnected viewer sees the sale");
            assert.equal(seen.sold + seen.held + seen.available, QUANTITY);
            reconnected++;
          }
          const r = await attempt(i, key, live[(i + n) % live.length]!);
          if (r) return r;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`attempt ${key} of buyer ${i} never answered`);
      };

      await until("the sale opens", async () => Date.parse(sale.opensAt) <= Date.now(), 20_000, 200);

      // 1. Concurrent buyers on both nodes: two attempts each.
      let up = [a.baseUrl, b.baseUrl];
      await Promise.all(buyers.flatMap((_, i) => [0, 1].map((j) => keepTrying(i, `attempt-p1-${i}-${j}`, () => up))));
      assert.equal([...acknowledged.values()].filter((r) => r.outcome === "won").length, BUYERS * 2);
      // State published by the owner reaches node B's rooms.
      await buyers[1]!.room!.waitFor((e) => e.type === "flash.state" && e.sale.id === sale.id && e.sale.available === QUANTITY - BUYERS * 2, 10_000);

      // 2. The owner (node A) is SIGKILLed while buyers keep buying; node B takes the sale over.
      const phase2 = buyers.map((_, i) => keepTrying(i, `attempt-p2-${i}`, () => up));
      await until("some phase-2 attempts answered", async () => acknowledged.size >= BUYERS * 2 + 10, 20_000, 5);
      const socketsOnA = buyers.slice(0, WS_BUYERS).filter((_, i) => i % 2 === 0).map((x) => x.room!);
      await killHard(a.child);
      up = [b.baseUrl];
      await Promise.all(phase2);
      await until("node A's sockets are closed", async () => socketsOnA.every((r) => r.closed), 10_000);

      // 3. A third node starts. A purchase in flight on a live node (fresh) is not its to settle; one
      //    left pending long ago by a gone node is.
      const someUser = buyers[0]!.id;
      const now = Date.now();
      for (const [id, age] of [["cat_fresh_" + kind, 0], ["cat_stale_" + kind, 10 * 60_000]] as const)
        await sql(
          `insert into checkout_attempts (id, buyer_user_id, idempotency_key, request_hash, status, show_id, variant_id, quantity, amount, currency, shipping, order_id, error_code, created_at, updated_at)
           values ($1, $2, $1, 'h', 'pending', $3, $4, 1, 100, 'EUR', '{}', null, null, $5, $5)`,
          [id, someUser, show.id, variant.id, now - age],
        );
      const c = await node(broker.url, prefix);
      up = [b.baseUrl, c.baseUrl];
      const attempts = await sql<{ id: string; status: string }>(`select id, status from checkout_attempts where id like 'cat_%_${kind}' order by id`);
      assert.deepEqual(
        attempts.map((r) => [r.id, r.status]),
        [
          [`cat_fresh_${kind}`, "pending"],
          [`cat_stale_${kind}`, "failed"],
        ],
        "only the stale attempt was recovered",
      );

      // A winner pays their hold through node C: the payment goes through the owner (node B).
      const winner = [...acknowledged.values()].find((r) => r.outcome === "won" && r.buyer >= WS_BUYERS)!;
      const payer = await signedIn(c.baseUrl, buyers[winner.buyer]!.email, "password-123");
      const paid = await flashApi(payer).pay(sale.id, winner.holdId!);
      assert.equal(paid.status, 201, JSON.stringify(paid.body));

      // 4. The broker is killed and restarted mid-sale; afterwards the sale goes on to sell out.
      await broker.kill();
      const duringOutage = buyers.slice(0, 10).map((_, i) => keepTrying(i, `attempt-p3-${i}`, () => up));
      await new Promise((r) => setTimeout(r, 1500));
      await broker.start();
      await Promise.all(duringOutage);
      for (let round = 0; round < LIMIT; round++) await Promise.all(buyers.map((_, i) => keepTrying(i, `attempt-p4-${i}-${round}`, () => up)));

      assert.equal(reconnected, WS_BUYERS / 2, "every room socket of node A moved to another node");
      // Invariants, from the database.
      const [totals] = await sql<{ sold: number; held: number }>(
        `select count(*) filter (where status = 'paid')::int as sold, count(*) filter (where status = 'held')::int as held from flash_holds where sale_id = $1`,
        [sale.id],
      );
      assert.equal(totals!.sold, 1);
      assert.equal(totals!.sold + totals!.held, QUANTITY, "sold out exactly: no oversell, no unit lost");
      const stats = (await flashApi(await signedIn(c.baseUrl, "host@vetrina.test")).stats(sale.id)).body;
      assert.equal(stats.sold + stats.held + stats.available, QUANTITY);
      assert.equal(stats.available, 0);
      const perBuyer = await sql<{ n: number }>(`select count(*)::int as n from flash_holds where sale_id = $1 and status <> 'expired' group by buyer_user_id`, [sale.id]);
      assert.ok(perBuyer.every((r) => r.n <= LIMIT), "nobody holds more than the limit");
      const rows = await sql<{ seq: number; buyer_user_id: string; idempotency_key: string; outcome: string; hold_id: string | null }>(
        `select seq, buyer_user_id, idempotency_key, outcome, hold_id from flash_attempts where sale_id = $1 order by seq`,
        [sale.id],
      );
      assert.deepEqual(rows.map((r) => r.seq), Array.from({ length: rows.length }, (_, i) => i + 1), "audit sequence is gap-free");
      const byKey = new Map(rows.map((r) => [`${r.buyer_user_id}:${r.idempotency_key}`, r]));
      assert.equal(byKey.size, rows.length, "one outcome per attempt");
      for (const r of acknowledged.values()) {
        const row = byKey.get(`${buyers[r.buyer]!.id}:${r.key}`);
        assert.ok(row, `acknowledged attempt ${r.key} is in the database`);
        assert.equal(row.outcome, r.outcome);
        assert.equal(row.seq, r.seq);
        assert.equal(row.hold_id, r.holdId);
      }
      assert.equal(rows.filter((r) => r.outcome === "won").length, QUANTITY);

      // 5. Fencing: the owner's lock connection is cut (its locks go with it). It must stop rather than
      //    decide on a book another node may now own; the other live node takes the sale over from the database.
      const holders = await sql<{ pid: number; application_name: string }>(
        `select l.pid, a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.granted and l.objsubid = 2
           and l.classid = (hashtext($1)::bigint & 4294967295)::oid and l.objid = (hashtext($2)::bigint & 4294967295)::oid`,
        [`vetrina-flash:${schema}`, sale.id],
      );
      assert.equal(holders.length, 1, "exactly one node holds the sale's lock");
      // The lock connection is named after its node (broker node id, as /healthz reports it).
      const nodeIdOf = async (baseUrl: string) => ((await (await fetch(`${baseUrl}/healthz`)).json()) as { broker: { node: string } }).broker.node;
      const [idB, idC] = [await nodeIdOf(b.baseUrl), await nodeIdOf(c.baseUrl)];
      const owner = holders[0]!.application_name.endsWith(idB) ? b : holders[0]!.application_name.endsWith(idC) ? c : null;
      assert.ok(owner, `the lock is held by node B or C (${holders[0]!.application_name}; B ${idB}, C ${idC})`);
      const survivor = owner === b ? c : b;
      if (owner !== b) console.error(`flash multi-node (${kind}): the sale moved from node B to node C before the fencing step`);
      await sql("select pg_terminate_backend($1)", [holders[0]!.pid]);
      await until("the owner stopped", async () => owner.child.exitCode !== null, 15_000);
      assert.equal(owner.child.exitCode, 70, "fail-stop");
      assert.equal(survivor.child.exitCode, null, "the other node goes on");
      up = [survivor.baseUrl];
      const after = await keepTrying(0, "attempt-after-fence", () => up);
      assert.equal(after.outcome, "sold_out");
      const [again] = await sql<{ held: number; sold: number }>(
        `select count(*) filter (where status = 'held')::int as held, count(*) filter (where status = 'paid')::int as sold from flash_holds where sale_id = $1`,
        [sale.id],
      );
      assert.equal(again!.held + again!.sold, QUANTITY);

      pusher.kill("SIGKILL");
      for (const r of rooms) r.close();
      await stopGracefully(survivor.child);
    }
  });
}
