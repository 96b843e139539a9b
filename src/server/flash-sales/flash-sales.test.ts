import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { demoShow, idemKey } from "../../../test/support/fixtures.ts";
import { buyers, flashApi, launchSale, TestClock } from "../../../test/support/flash.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";
import type { FlashSaleStats } from "../../shared/contracts/flash-sales.ts";

const assertInvariant = (s: Pick<FlashSaleStats, "sold" | "held" | "available" | "quantity">) => {
  assert.equal(s.sold + s.held + s.available, s.quantity, `sold ${s.sold} + held ${s.held} + available ${s.available} = quantity ${s.quantity}`);
  assert.ok(s.sold >= 0 && s.held >= 0 && s.available >= 0);
};

describe("flash sales", () => {
  let server: TestServer;
  const clock = new TestClock();
  before(async () => {
    server = await startServer({ FLASH_HOLD_SECONDS: "60" }, { clock: clock.now });
  });
  after(() => server.close());

  test("bad launches are refused with their codes and change nothing", async () => {
    const { show, tee } = await demoShow(server);
    const host = await server.as("host");
    const api = flashApi(host);
    const variant = tee.variants[0]!;
    const stockBefore = (await server.app.catalog.variantForSale(server.app.db.db, variant.id))!.stock;
    const base = { variantId: variant.id, salePrice: 500, quantity: 5, perBuyerLimit: 1, countdownSeconds: 10, durationSeconds: 60 };
    assert.equal((await api.create(show.id, { ...base, quantity: 0 })).problem?.code, "validation_failed");
    assert.equal((await api.create(show.id, { ...base, quantity: -3 })).problem?.code, "validation_failed");
    assert.equal((await api.create(show.id, { ...base, countdownSeconds: 5 })).problem?.code, "validation_failed");
    assert.equal((await api.create(show.id, { ...base, durationSeconds: 3600 })).problem?.code, "validation_failed");
    assert.equal((await api.create(show.id, { ...base, perBuyerLimit: 9 })).problem?.code, "validation_failed");
    assert.equal((await api.create(show.id, { ...base, quantity: 100_000 })).problem?.code, "out_of_stock");
    const otherShop = await server.app.accounts.createMerchant("Other shop", "EUR");
    const foreign = await server.app.catalog.create(otherShop.id, { title: "Theirs", description: "", currency: "EUR", status: "active", images: [], variants: [{ options: {}, price: 100, stock: 10 }] });
    assert.equal((await api.create(show.id, { ...base, variantId: foreign.variants[0]!.id })).problem?.code, "product_not_in_show");
    const viewer = await server.as("viewer");
    assert.equal((await flashApi(viewer).create(show.id, base)).problem?.code, "forbidden");
    assert.equal((await api.attempt("fls_unknown", idemKey())).problem?.code, "not_found");
    assert.equal((await server.app.catalog.variantForSale(server.app.db.db, variant.id))!.stock, stockBefore);
    assert.equal((await api.list(show.id)).body.items.length, 0);
  });

  test("countdown, then first come first served, limit per buyer, exactly one outcome per key, invariants hold throughout", async () => {
    const crowd = await buyers(server, 25, "crowd");
    const { sale } = await launchSale(server, { quantity: 30, perBuyerLimit: 2 });
    assert.equal(sale.phase, "countdown");
    assert.equal(sale.available, 30);
    const early = await flashApi(crowd[0]!).attempt(sale.id, idemKey());
    assert.equal(early.body.outcome, "not_open");

    clock.advance(10_000);
    const host = await server.as("host");
    const keys = crowd.map(() => [idemKey(), idemKey(), idemKey()]);
    const observed: FlashSaleStats[] = [];
    const results = await Promise.all([
      ...crowd.flatMap((c, i) => keys[i]!.map((k) => flashApi(c).attempt(sale.id, k))),
      ...Array.from({ length: 5 }, async () => observed.push((await flashApi(host).stats(sale.id)).body)),
    ]);
    const outcomes = results.filter((r): r is Awaited<ReturnType<ReturnType<typeof flashApi>["attempt"]>> => typeof r === "object" && "status" in r).map((r) => r.body);
    assert.equal(outcomes.length, 75);
    const won = outcomes.filter((o) => o.outcome === "won");
    assert.equal(won.length, 30, "every unit went to exactly one attempt");
    assert.ok(outcomes.every((o) => ["won", "sold_out", "limit_reached"].includes(o.outcome)));
    // nobody holds more than the limit
    for (let i = 0; i < crowd.length; i++) {
      const mine = outcomes.filter((o) => keys[i]!.includes(o.key) && o.outcome === "won").length;
      assert.ok(mine <= 2, `buyer ${i} won ${mine}`);
    }
    for (const s of observed) assertInvariant(s);
    const stats = (await flashApi(host).stats(sale.id)).body;
    assertInvariant(stats);
    assert.equal(stats.held, 30);
    assert.equal(stats.available, 0);
    assert.equal(stats.attempts, 76);

    // A retry with the same key gets the same outcome and changes nothing.
    const first = won[0]!;
    const owner = crowd[keys.findIndex((ks) => ks.includes(first.key))]!;
    const again = await flashApi(owner).attempt(sale.id, first.key);
    assert.deepEqual(again.body, first);
    const lost = outcomes.find((o) => o.outcome === "sold_out")!;
    const loser = crowd[keys.findIndex((ks) => ks.includes(lost.key))]!;
    assert.deepEqual((await flashApi(loser).attempt(sale.id, lost.key)).body, lost);
    assert.equal((await flashApi(host).stats(sale.id)).body.attempts, 76);

    // The audit trail lists every attempt in the order of receipt, gap-free.
    const audit = (await flashApi(host).audit(sale.id)).body.items;
    assert.deepEqual(audit.map((a) => a.seq), Array.from({ length: 76 }, (_, i) => i + 1));
    assert.equal(audit.filter((a) => a.outcome === "won").length, 30);
    for (let i = 1; i < audit.length; i++) assert.ok(audit[i]!.at >= audit[i - 1]!.at);
    assert.equal((await flashApi(crowd[0]!).audit(sale.id)).problem?.code, "forbidden");
  });

  test("a winner pays at the sale price; an unpaid hold expires and the unit goes back on sale, visibly", async () => {
    const [ann, ben, cat] = await buyers(server, 3, "holder");
    const { sale, show } = await launchSale(server, { quantity: 2, perBuyerLimit: 1 });
    clock.advance(10_000);
    const watcher = await server.client().joinRoom(show.id);
    const a = (await flashApi(ann!).attempt(sale.id, idemKey())).body;
    const b = (await flashApi(ben!).attempt(sale.id, idemKey())).body;
    assert.equal(a.outcome, "won");
    assert.equal(b.outcome, "won");
    assert.equal((await flashApi(cat!).attempt(sale.id, idemKey())).body.outcome, "sold_out");
    await watcher.waitFor((e) => e.type === "flash.state" && e.sale.id === sale.id && e.sale.available === 0);

    const declined = await flashApi(ann!).pay(sale.id, a.holdId!, { number: "4000000000000002", expMonth: 12, expYear: 2099, cvc: "123" });
    assert.equal(declined.problem?.code, "payment_declined");
    const paid = await flashApi(ann!).pay(sale.id, a.holdId!);
    assert.equal(paid.status, 201);
    assert.equal(paid.body.total, 990);
    const retried = await flashApi(ann!).pay(sale.id, a.holdId!);
    assert.equal(retried.status, 200, "paying a paid hold again answers with its order");
    assert.equal(retried.body.id, paid.body.id);
    const mine = await ann!.request<{ items: { holdId: string; status: string; orderId: string | null }[] }>("GET", `/api/v1/flash-sales/${sale.id}/holds/mine`);
    assert.deepEqual(mine.body.items.map((h) => [h.holdId, h.status, h.orderId]), [[a.holdId, "paid", paid.body.id]]);
    assert.equal((await flashApi(ben!).pay(sale.id, a.holdId!)).problem?.code, "not_found", "a hold is its winner's only");

    clock.advance(61_000);
    await server.app.flashSales.tick();
    const host = await server.as("host");
    const stats = (await flashApi(host).stats(sale.id)).body;
    assertInvariant(stats);
    assert.deepEqual([stats.sold, stats.held, stats.available], [1, 0, 1]);
    assert.equal(stats.revenue, 990);
    await watcher.waitFor((e: ServerEvent) => e.type === "flash.state" && e.sale.id === sale.id && e.sale.available === 1);
    assert.equal((await flashApi(ben!).pay(sale.id, b.holdId!)).problem?.code, "hold_expired");
    assert.equal((await flashApi(cat!).attempt(sale.id, idemKey())).body.outcome, "won", "the released unit sells again");
    watcher.close();
  });

  test("the sale ends on time; unsold units go back to the variant's stock once", async () => {
    const { sale, variant } = await launchSale(server, { quantity: 5, perBuyerLimit: 1, durationSeconds: 60, variantIndex: 2 });
    const stockDuring = (await server.app.catalog.variantForSale(server.app.db.db, variant.id))!.stock;
    clock.advance(10_000);
    const [dana] = await buyers(server, 1, "ender");
    const won = (await flashApi(dana!).attempt(sale.id, idemKey())).body;
    assert.equal((await flashApi(dana!).pay(sale.id, won.holdId!)).status, 201);
    clock.advance(61_000);
    assert.equal((await flashApi(dana!).attempt(sale.id, idemKey())).body.outcome, "ended");
    await server.app.flashSales.tick();
    await server.app.flashSales.tick();
    const stockAfter = (await server.app.catalog.variantForSale(server.app.db.db, variant.id))!.stock;
    assert.equal(stockAfter, stockDuring + 4);
    const host = await server.as("host");
    const listed = await host.request<{ items: { id: string; phase: string; sold: number }[] }>("GET", `/api/v1/shows/${sale.showId}/flash-sales?include=ended`);
    const ended = listed.body.items.find((x) => x.id === sale.id)!;
    assert.deepEqual([ended.phase, ended.sold], ["ended", 1]);
    assert.ok(!(await flashApi(host).list(sale.showId)).body.items.some((x) => x.id === sale.id), "the plain list has active sales only");
    const audit = (await flashApi(host).audit(sale.id)).body.items;
    assert.equal(audit[0]!.buyerName, "ender 0");
  });

  test("flash.state carries the instant of the change viewers see on the video: launch, opening, last unit taken, end", async () => {
    type State = Extract<ServerEvent, { type: "flash.state" }>;
    const { show } = await demoShow(server);
    const watcher = await server.client().joinRoom(show.id);
    const { sale } = await launchSale(server, { quantity: 1, perBuyerLimit: 1, durationSeconds: 120 });
    const of = (pred: (e: State) => boolean) => (e: ServerEvent) => e.type === "flash.state" && e.sale.id === sale.id && pred(e);
    const opensAt = Date.parse(sale.opensAt);
    const endsAt = Date.parse(sale.endsAt);

    const launched = await watcher.waitFor<State>(of(() => true));
    assert.equal(launched.at, opensAt - 10_000, "the launch: the instant the host launched it");

    clock.advance(opensAt - clock.now());
    await server.app.flashSales.tick();
    const opened = await watcher.waitFor<State>(of((e) => e.sale.phase === "open"));
    assert.equal(opened.at, opensAt, "the opening: its instant, not when the tick noticed it");

    const [buyer] = await buyers(server, 1, "instant");
    const before = clock.now();
    assert.equal((await flashApi(buyer!).attempt(sale.id, idemKey())).body.outcome, "won");
    const soldOut = await watcher.waitFor<State>(of((e) => e.sale.available === 0));
    assert.ok(soldOut.at! >= before && soldOut.at! <= clock.now(), "sold out: the instant the last unit was taken");

    // The hold lapses: a unit is back, which is no change of its own; refreshes keep the opening's instant.
    clock.advance(61_000);
    await server.app.flashSales.tick();
    const back = await watcher.waitFor<State>(of((e) => e.sale.available === 1 && Date.parse(e.sale.serverTime) > soldOut.at! + 60_000));
    assert.equal(back.at, opensAt);

    clock.advance(endsAt - clock.now());
    await server.app.flashSales.tick();
    const ended = await watcher.waitFor<State>(of((e) => e.sale.phase === "ended"));
    assert.equal(ended.at, endsAt);
    watcher.close();
  });

  test("a purchase attempt can ride the room connection", async () => {
    const { sale, show } = await launchSale(server, { quantity: 3, perBuyerLimit: 1 });
    clock.advance(10_000);
    const viewer = await server.as("viewer");
    const room = await viewer.joinRoom(show.id);
    const snap = room.events[0] as Extract<ServerEvent, { type: "room.snapshot" }>;
    assert.ok(snap.flashSales.some((s) => s.id === sale.id));
    room.send({ type: "flash.buy", saleId: sale.id, key: "room-key-0001" });
    const r = await room.waitFor<Extract<ServerEvent, { type: "flash.result" }>>((e) => e.type === "flash.result");
    assert.equal(r.result.outcome, "won");
    room.send({ type: "flash.buy", saleId: sale.id, key: "room-key-0002" });
    const r2 = await room.next<Extract<ServerEvent, { type: "flash.result" }>>((e) => e.type === "flash.result");
    assert.equal(r2.result.outcome, "limit_reached");
    const anon = await server.client().joinRoom(show.id);
    anon.send({ type: "flash.buy", saleId: sale.id, key: "room-key-0003" });
    assert.equal((await anon.waitFor<Extract<ServerEvent, { type: "error" }>>((e) => e.type === "error")).code, "unauthenticated");
    room.close();
    anon.close();
  });
});
