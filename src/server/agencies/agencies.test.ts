import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import { until } from "../../../test/support/until.ts";
import { agencyApi, campaignApi, campaignBody, creatorApi, earningsApi, newAgency, newCreator, newMerchant } from "../../../test/support/creators.ts";
import { analyticsApi } from "../../../test/support/analytics.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import { AgencyStatement, RosterDashboard, type RosterFigures } from "../../shared/contracts/agencies.ts";
import { commissionFor } from "../commissions/money.ts";
import type { AgenciesTables } from "./schema.ts";

const HOUR = 3600_000;

describe("agencies", () => {
  let server: TestServer;
  let brand: ApiClient;
  let viewer: ApiClient;
  let tee: Product; // 29.00
  let lipstick: Product; // 19.50
  before(async () => {
    server = await startServer();
    const m = await newMerchant(server, "Agency brand", [
      { currency: "EUR", price: 2900, stock: 500 },
      { currency: "EUR", price: 1950, stock: 500 },
    ]);
    brand = m.client;
    [tee, lipstick] = m.products as [Product, Product];
    viewer = await server.as("viewer");
  });
  after(() => server.close());

  /** A new creator in a new campaign of the brand's (12.5 %), with a live show of both products. */
  async function liveCreator(name: string) {
    const creator = await newCreator(server, name);
    const campaign = (await campaignApi(brand).create(campaignBody([tee.id, lipstick.id], { commissionBps: 1250, invitedHandles: [creator.creator.handle] }))).body;
    assert.equal((await campaignApi(creator.client).accept(campaign.id)).status, 200);
    const show = (await campaignApi(creator.client).scheduleShow({ campaignId: campaign.id, title: `${name} live`, scheduledAt: new Date().toISOString(), productIds: [tee.id, lipstick.id] })).body;
    await server.app.shows.markLive(show.id);
    return { ...creator, campaign, show };
  }

  /** An agency with `creator` on its roster at `shareBps`. */
  async function rosterOf(creator: { client: ApiClient; creator: { handle: string } }, shareBps: number, name = "agency") {
    const a = await newAgency(server, name);
    const inv = await agencyApi(a.client).invite(creator.creator.handle, shareBps);
    assert.equal(inv.status, 201, JSON.stringify(inv.body));
    assert.equal((await agencyApi(creator.client).accept(inv.body.id)).status, 200);
    return a;
  }

  const buy = async (showId: string, p: Product, quantity = 1) => {
    const res = await viewer.checkout.buyNow(buyBody(showId, p.variants[0]!.id, undefined, quantity), idemKey());
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const ledger = (orderId: string) =>
    server.app.db.db.selectFrom("commission_entries").selectAll().where("order_id", "=", orderId).orderBy("kind").orderBy("beneficiary_type", "desc").execute();
  const settled = () => server.app.commissions.idle();
  const eur = (list: { currency: string; amount: number }[]) => list.find((m) => m.currency === "EUR")?.amount ?? 0;

  test("an agency invites, the creator accepts or declines, leaves, is removed; one agency at a time", async () => {
    const stella = await newAgency(server, "stella");
    const api = agencyApi(stella.client);
    assert.equal((await api.mine()).body.role, "owner");
    assert.equal((await api.mine()).body.rosterSize, 0);
    assert.equal((await api.create({ name: "Second", handle: "second_agency" })).problem?.code, "conflict", "one agency per user");
    const rival = await newAgency(server, "rival");
    const taken = await agencyApi((await newCreator(server, "taker")).client).create({ name: "Copy", handle: stella.agency.handle.toUpperCase() });
    assert.equal(taken.problem?.code, "agency_handle_taken");
    assert.equal((await agencyApi(await server.as("viewer")).mine()).problem?.code, "agency_not_found");
    assert.equal((await agencyApi(server.client()).mine()).problem?.code, "unauthenticated");
    assert.equal((await agencyApi(server.client()).create({ name: "x", handle: "anon_agency" })).problem?.code, "unauthenticated");

    const kara = await newCreator(server, "kara");
    for (const share of [5001, -1, 12.5]) assert.equal((await api.invite(kara.creator.handle, share)).problem?.code, "validation_failed", `share ${share}`);
    assert.equal((await api.invite("no_such_creator", 1000)).problem?.code, "not_found");

    const fromStella = (await api.invite(kara.creator.handle.toUpperCase(), 2000)).body;
    assert.deepEqual([fromStella.status, fromStella.shareBps, fromStella.agency.id], ["pending", 2000, stella.agency.id]);
    const again = (await api.invite(kara.creator.handle, 2500)).body;
    assert.deepEqual([again.id, again.shareBps], [fromStella.id, 2500], "inviting again updates the pending invitation");
    const fromRival = (await agencyApi(rival.client).invite(kara.creator.handle, 1000)).body;

    const karaApi = agencyApi(kara.client);
    let view = (await karaApi.creatorView()).body;
    assert.equal(view.membership, null);
    assert.deepEqual(view.invitations.map((i) => [i.agency.name, i.shareBps]).sort(), [
      [rival.agency.name, 1000],
      [stella.agency.name, 2500],
    ].sort());

    view = (await karaApi.decline(fromRival.id)).body;
    assert.deepEqual(view.invitations.map((i) => i.id), [fromStella.id]);
    assert.equal((await karaApi.accept(fromRival.id)).problem?.code, "agency_invitation_not_found", "a declined invitation cannot be accepted");
    view = (await karaApi.accept(fromStella.id)).body;
    assert.equal(view.membership?.agency.id, stella.agency.id);
    assert.equal(view.membership?.shareBps, 2500);
    assert.deepEqual(view.invitations, []);

    // One agency at a time.
    const second = (await agencyApi(rival.client).invite(kara.creator.handle, 1000)).body;
    assert.equal((await karaApi.accept(second.id)).problem?.code, "already_in_agency");
    assert.equal((await api.invite(kara.creator.handle, 1000)).problem?.code, "already_in_agency", "already on the roster");
    assert.deepEqual((await api.roster()).body.creators.map((c) => c.handle), [kara.creator.handle]);
    assert.deepEqual((await agencyApi(rival.client).roster()).body.creators, []);
    assert.equal((await api.mine()).body.rosterSize, 1);

    // The creator leaves; the rival's invitation is still there to accept.
    view = (await karaApi.leave()).body;
    assert.equal(view.membership, null);
    assert.deepEqual((await api.roster()).body.creators, []);
    assert.equal((await karaApi.leave()).problem?.code, "agency_not_found");
    assert.equal((await karaApi.accept(second.id)).body.membership?.agency.id, rival.agency.id);

    // The agency removes the creator.
    assert.equal((await agencyApi(rival.client).remove(kara.creator.id)).status, 200);
    assert.equal((await karaApi.creatorView()).body.membership, null);
    assert.equal((await agencyApi(rival.client).remove(kara.creator.id)).problem?.code, "not_on_roster");

    // A revoked invitation is gone.
    const revoked = (await api.invite(kara.creator.handle, 1500)).body;
    assert.equal((await api.revoke(revoked.id)).body.status, "revoked");
    assert.deepEqual((await karaApi.creatorView()).body.invitations, []);
    assert.equal((await karaApi.accept(revoked.id)).problem?.code, "agency_invitation_not_found");
    assert.equal((await api.revoke(revoked.id)).problem?.code, "agency_invitation_not_found");

    // Only a creator has an agency side.
    assert.equal((await agencyApi(await server.as("viewer")).creatorView()).problem?.code, "creator_profile_required");

    // The history is kept: two stints, each closed with its reason.
    const stints = await server.app.db.db
      .withTables<AgenciesTables>()
      .selectFrom("agency_memberships")
      .select(["agency_id", "left_reason"])
      .where("creator_id", "=", kara.creator.id)
      .orderBy("joined_at")
      .execute();
    assert.deepEqual(stints, [
      { agency_id: stella.agency.id, left_reason: "left" },
      { agency_id: rival.agency.id, left_reason: "removed" },
    ]);
  });

  test("the owner adds staff, who act for the agency; only the owner manages staff", async () => {
    const owner = await newAgency(server, "staffed");
    const helper = await newAgency(server, "elsewhere");
    const colleague = server.client();
    const email = `colleague-${Date.now()}@example.com`;
    await colleague.auth.signUp(email, "password-123", "Colleague");
    assert.equal((await agencyApi(owner.client).addStaff("nobody-at-all@example.com")).problem?.code, "not_found");
    assert.equal((await agencyApi(owner.client).addStaff(helper.email)).problem?.code, "conflict", "already in another agency");
    const withStaff = (await agencyApi(owner.client).addStaff(email)).body;
    assert.deepEqual(withStaff.staff.map((s) => s.role), ["owner", "staff"]);
    const mine = (await agencyApi(colleague).mine()).body;
    assert.deepEqual([mine.id, mine.role], [owner.agency.id, "staff"]);
    assert.equal((await agencyApi(colleague).roster()).status, 200);
    assert.equal((await agencyApi(colleague).addStaff(helper.email)).problem?.code, "forbidden");
    const colleagueId = withStaff.staff.find((s) => s.role === "staff")!.userId;
    assert.equal((await agencyApi(owner.client).removeStaff(owner.userId)).problem?.code, "not_found", "the owner stays");
    assert.deepEqual((await agencyApi(owner.client).removeStaff(colleagueId)).body.staff.length, 1);
    assert.equal((await agencyApi(colleague).roster()).problem?.code, "not_agency_member");
  });

  test("the ledger splits each commission by the floor rule; a share change only affects later sales; leaving stops the split; a reversal reverses both", async () => {
    const kol = await liveCreator("splitter");
    const a = await rosterOf(kol, 2000);

    const first = await buy(kol.show.id, tee, 3); // 87.00 at 12.5 % = 10.875 → 10.87; agency 20 % = 2.174 → 2.17
    const second = await buy(kol.show.id, lipstick); // 19.50 at 12.5 % = 2.4375 → 2.43; agency 20 % = 0.486 → 0.48
    await settled();
    for (const [order, lineTotal] of [
      [first, 8700],
      [second, 1950],
    ] as const) {
      const rows = await ledger(order.id);
      const gross = commissionFor(lineTotal, 1250);
      const cut = commissionFor(gross, 2000);
      assert.deepEqual(
        rows.map((r) => [r.kind, r.beneficiary_type, r.beneficiary_id, r.share_bps, Number(r.amount)]),
        [
          ["accrual", "creator", kol.creator.id, 8000, gross - cut],
          ["accrual", "agency", a.agency.id, 2000, cut],
        ],
      );
      assert.equal(
        rows.reduce((s, r) => s + Number(r.amount), 0),
        gross,
        "the two entries add up to the creator's gross commission",
      );
    }
    assert.deepEqual(
      [(await ledger(first.id)).map((r) => Number(r.amount)), (await ledger(second.id)).map((r) => Number(r.amount))],
      [
        [870, 217],
        [195, 48],
      ],
    );

    // A new share applies to the sales made from now on; earlier entries keep theirs.
    const changed = await agencyApi(a.client).setShare(kol.creator.id, 3333);
    assert.equal(changed.body.shareBps, 3333);
    assert.equal((await agencyApi(kol.client).creatorView()).body.membership?.shareBps, 3333, "the creator sees the share in force");
    const third = await buy(kol.show.id, tee); // 29.00 → 3.625 → 3.62; agency 33.33 % = 1.2065… → 1.20
    await settled();
    assert.deepEqual((await ledger(third.id)).map((r) => [r.beneficiary_type, r.share_bps, Number(r.amount)]), [
      ["creator", 6667, 242],
      ["agency", 3333, 120],
    ]);
    assert.deepEqual((await ledger(first.id)).map((r) => r.share_bps), [8000, 2000]);
    // The commissions' question, answered from the history: the share in force at a past instant.
    assert.deepEqual(await server.app.agencies.shareAt(kol.creator.id, Date.parse(first.createdAt)), { agencyId: a.agency.id, shareBps: 2000 });
    assert.deepEqual(await server.app.agencies.shareAt(kol.creator.id, Date.parse(third.createdAt)), { agencyId: a.agency.id, shareBps: 3333 });

    // After leaving, sales are all the creator's.
    await agencyApi(kol.client).leave();
    const fourth = await buy(kol.show.id, tee);
    await settled();
    assert.deepEqual((await ledger(fourth.id)).map((r) => [r.beneficiary_type, r.share_bps, Number(r.amount)]), [["creator", null, 362]]);
    assert.equal(await server.app.agencies.shareAt(kol.creator.id, Date.now()), null);

    // The brand cancels the first order: both entries are reversed, exactly.
    assert.equal((await brand.orders.transition(first.id, "cancelled")).body.status, "refunded");
    await until("the reversals", async () => (await ledger(first.id)).length === 4);
    await settled();
    const rows = await ledger(first.id);
    assert.deepEqual(
      rows.filter((r) => r.kind === "reversal").map((r) => [r.beneficiary_type, Number(r.amount), r.share_bps]),
      [
        ["creator", -870, 8000],
        ["agency", -217, 2000],
      ],
    );
    assert.equal((await ledger(first.id)).reduce((s, r) => s + Number(r.amount), 0), 0);

    // The agency's earnings and statement are sums of its entries; the creator's are the rest.
    const agencyTotal = 48 + 120; // the first order's 2.17 was reversed
    const earnings = (await agencyApi(a.client).earnings()).body;
    assert.equal(earnings.agencyId, a.agency.id);
    assert.deepEqual(earnings.balances, [{ currency: "EUR", pending: agencyTotal, available: 0, paidOut: 0 }]);
    const from = new Date(Date.now() - HOUR).toISOString();
    const to = new Date(Date.now() + HOUR).toISOString();
    const statement = AgencyStatement.parse((await agencyApi(a.client).statement(from, to)).body);
    assert.deepEqual(statement.totals, [{ currency: "EUR", opening: 0, accruals: 217 + 48 + 120, reversals: -217, net: agencyTotal, closing: agencyTotal }]);
    const csv = (await agencyApi(a.client).statement(from, to, "csv")).body as string;
    const [header, ...lines] = csv.trim().split("\r\n").map((l) => l.split(","));
    assert.equal(lines.reduce((s, l) => s + Number(l[header!.indexOf("amount")]), 0), agencyTotal);
    const creatorEarnings = (await earningsApi(kol.client).balances()).body.balances;
    assert.deepEqual(creatorEarnings, [{ currency: "EUR", pending: 195 + 242 + 362, available: 0, paidOut: 0 }]);
  });

  test("roster figures equal the orders and the ledger to the cent, with a refund, against the previous period", async () => {
    const kol = await liveCreator("figures");
    const quiet = await liveCreator("quiet");
    // Sold before joining: never the agency's business.
    const before = await buy(kol.show.id, tee, 2);
    await settled();
    const a = await rosterOf(kol, 2000);
    await agencyApi(quiet.client).accept((await agencyApi(a.client).invite(quiet.creator.handle, 1000)).body.id);

    // The previous period: two orders.
    const p1 = await buy(kol.show.id, tee, 3);
    const p2 = await buy(kol.show.id, lipstick, 1);
    await settled();
    await new Promise((r) => setTimeout(r, 5));
    const cut = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    // This period: two orders, and p1 cancelled (and refunded) now.
    const c1 = await buy(kol.show.id, lipstick, 2);
    const c2 = await buy(kol.show.id, tee, 1);
    assert.equal((await brand.orders.transition(p1.id, "cancelled")).body.status, "refunded");
    await settled();
    await until("the reversals", async () => (await ledger(p1.id)).length === 4);

    const q = { from: new Date(cut).toISOString(), to: new Date(cut + HOUR).toISOString() };
    const res = await agencyApi(a.client).roster(q);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const dash = RosterDashboard.parse(res.body);
    assert.deepEqual(dash.previousPeriod, { from: new Date(cut - HOUR).toISOString(), to: q.from });
    const row = dash.creators.find((c) => c.creatorId === kol.creator.id)!;
    assert.deepEqual([row.handle, row.shareBps, row.verified], [kol.creator.handle, 2000, false]);
    assert.deepEqual(row.live.map((s) => s.id), [kol.show.id], "live now");

    // The truth, from the orders and the ledger themselves.
    const ledgerSum = async (orderIds: string[], type: "creator" | "agency", range: [number, number]) => {
      const r = await server.app.db.db
        .selectFrom("commission_entries")
        .select(sql<string | number>`coalesce(sum(amount), 0)`.as("s"))
        .where("order_id", "in", orderIds)
        .where("beneficiary_type", "=", type)
        .where("created_at", ">=", range[0])
        .where("created_at", "<", range[1])
        .executeTakeFirstOrThrow();
      return Number(r.s);
    };
    // Only the orders made while on the roster (`before` was not).
    const all = [p1.id, p2.id, c1.id, c2.id];
    const expected = async (paid: typeof p1[], refunded: typeof p1[], range: [number, number]): Promise<RosterFigures> => {
      const gmv = paid.reduce((s, o) => s + o.total, 0);
      const back = refunded.reduce((s, o) => s + o.total, 0);
      const creator = await ledgerSum(all, "creator", range);
      const agency = await ledgerSum(all, "agency", range);
      return {
        ordersPaid: paid.length,
        ordersRefunded: refunded.length,
        gmv: [{ currency: "EUR", amount: gmv }],
        refunded: [{ currency: "EUR", amount: back }],
        net: [{ currency: "EUR", amount: gmv - back }],
        creatorCommission: [{ currency: "EUR", amount: creator }],
        agencyCommission: [{ currency: "EUR", amount: agency }],
      };
    };
    const current = await expected([c1, c2], [p1], [cut, cut + HOUR]);
    const previous = await expected([p1, p2], [], [cut - HOUR, cut]);
    assert.deepEqual(row.current, current);
    assert.deepEqual(row.previous, previous);
    // By hand, for the reader: this period 2 × 19.50 + 29.00 sold, 87.00 refunded.
    assert.deepEqual([eur(row.current.gmv), eur(row.current.refunded), eur(row.current.net)], [6800, 8700, -1900]);
    assert.deepEqual([eur(row.previous.gmv), eur(row.previous.net)], [10650, 10650], "the order made before joining is not counted");
    // Commission this period: c1 (4.87: 3.90 + 0.97), c2 (3.62: 2.90 + 0.72), and p1's reversal (−8.70, −2.17).
    assert.deepEqual([eur(row.current.creatorCommission), eur(row.current.agencyCommission)], [390 + 290 - 870, 97 + 72 - 217]);
    assert.deepEqual([eur(row.previous.creatorCommission), eur(row.previous.agencyCommission)], [870 + 195, 217 + 48]);

    // The quiet creator is on the roster with nothing sold; totals add the rows up.
    const silent = dash.creators.find((c) => c.creatorId === quiet.creator.id)!;
    assert.deepEqual([silent.current.ordersPaid, silent.current.gmv, silent.shareBps], [0, [], 1000]);
    assert.deepEqual(dash.totals.current, current);
    assert.deepEqual(dash.totals.previous, previous);

    // One creator's figures alone: the same.
    const one = (await agencyApi(a.client).rosterCreator(kol.creator.id, q)).body;
    assert.deepEqual([one.current, one.previous], [current, previous]);

    // The analytics dashboard of the show counts the same money over both periods.
    await until("analytics counted the refund", async () => (await analyticsApi(brand).live(kol.show.id)).body.totals?.ordersRefunded === 1, 5000);
    const live = (await analyticsApi(brand).live(kol.show.id)).body;
    assert.equal(eur(live.totals.gmv), eur(row.current.gmv) + eur(row.previous.gmv) + before.total);
    assert.equal(eur(live.totals.refunded), eur(row.current.refunded));

    // Periods are validated.
    assert.equal((await agencyApi(a.client).roster({ from: q.to, to: q.from })).problem?.code, "validation_failed");
    assert.equal((await agencyApi(a.client).roster({ from: "2020-01-01T00:00:00Z", to: "2022-01-01T00:00:00Z" })).problem?.code, "validation_failed");
    assert.equal((await agencyApi(a.client).roster({ from: "yesterday" })).problem?.code, "validation_failed");
  });

  test("authorization: an agency sees only its roster, its figures and its roster's live shows", async () => {
    const kol = await liveCreator("rostered");
    const outsider = await liveCreator("outsider");
    const mine = await rosterOf(kol, 1500, "mine");
    const other = await newAgency(server, "other");
    const api = agencyApi(mine.client);
    const otherApi = agencyApi(other.client);

    // Another creator's figures and live show: refused.
    assert.equal((await api.rosterCreator(outsider.creator.id)).problem?.code, "not_on_roster");
    assert.ok(!(await api.roster()).body.creators.some((c) => c.creatorId === outsider.creator.id));
    assert.equal((await api.live(outsider.show.id)).problem?.code, "forbidden");
    assert.equal((await analyticsApi(mine.client).live(outsider.show.id)).problem?.code, "forbidden");
    const refusedStream = await fetch(`${server.baseUrl}/api/v1/agency/shows/${outsider.show.id}/live/stream`, { headers: { cookie: mine.client.cookie } });
    assert.equal(refusedStream.status, 403);
    await refusedStream.body?.cancel();
    assert.equal((await api.live("shw_nope")).problem?.code, "not_found");
    assert.equal((await api.setShare(outsider.creator.id, 100)).problem?.code, "not_on_roster");
    assert.equal((await api.remove(outsider.creator.id)).problem?.code, "not_on_roster");

    // Its own roster creator's show: the live figures and their stream.
    const live = await api.live(kol.show.id);
    assert.equal(live.status, 200);
    assert.equal(live.body.showId, kol.show.id);
    const ctl = new AbortController();
    const stream = await fetch(`${server.baseUrl}/api/v1/agency/shows/${kol.show.id}/live/stream`, { headers: { cookie: mine.client.cookie }, signal: ctl.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    assert.match(text, /^event: analytics\.live\ndata: \{.*"showId":"/);
    ctl.abort();

    // Another agency sees nothing of it.
    assert.equal((await otherApi.rosterCreator(kol.creator.id)).problem?.code, "not_on_roster");
    assert.deepEqual((await otherApi.roster()).body.creators, []);
    assert.equal((await otherApi.live(kol.show.id)).problem?.code, "forbidden");
    assert.equal((await otherApi.setShare(kol.creator.id, 100)).problem?.code, "not_on_roster");
    assert.equal((await otherApi.remove(kol.creator.id)).problem?.code, "not_on_roster");
    await buy(kol.show.id, tee);
    await settled();
    assert.deepEqual((await otherApi.earnings()).body.balances, []);
    assert.ok((await api.earnings()).body.balances.length === 1);

    // A creator is not an agency: it cannot see its agency's dashboard, nor another agency's.
    for (const c of [kol.client, await server.as("viewer")]) {
      assert.equal((await agencyApi(c).roster()).problem?.code, "not_agency_member");
      assert.equal((await agencyApi(c).earnings()).problem?.code, "not_agency_member");
      assert.equal((await agencyApi(c).statement(new Date(0).toISOString(), new Date().toISOString())).problem?.code, "not_agency_member");
      assert.equal((await agencyApi(c).live(kol.show.id)).problem?.code, "not_agency_member");
      assert.equal((await agencyApi(c).invite(outsider.creator.handle, 100)).problem?.code, "not_agency_member");
      assert.equal((await agencyApi(c).mine()).problem?.code, "agency_not_found");
    }
    // A creator answers only its own invitations.
    const forOutsider = (await otherApi.invite(outsider.creator.handle, 500)).body;
    assert.equal((await agencyApi(kol.client).accept(forOutsider.id)).problem?.code, "agency_invitation_not_found");
    assert.equal((await agencyApi(kol.client).decline(forOutsider.id)).problem?.code, "agency_invitation_not_found");
    assert.equal((await otherApi.revoke(forOutsider.id)).status, 200);
    assert.equal((await api.revoke(forOutsider.id)).problem?.code, "agency_invitation_not_found", "another agency's invitation");

    // Signed out: nothing.
    assert.equal((await agencyApi(server.client()).roster()).problem?.code, "unauthenticated");
    assert.equal((await agencyApi(server.client()).live(kol.show.id)).problem?.code, "unauthenticated");

    // Once the creator has left, the agency no longer follows its shows.
    await agencyApi(kol.client).leave();
    assert.equal((await api.live(kol.show.id)).problem?.code, "forbidden");
    assert.equal((await api.rosterCreator(kol.creator.id)).problem?.code, "not_on_roster");
  });

  test("the demo agency Stella Talent has @marcolive on its roster at 20 %", async () => {
    const c = server.client();
    assert.equal((await c.auth.signIn("agency@vetrina.test", "vetrina-demo")).status, 200);
    const mine = (await agencyApi(c).mine()).body;
    assert.deepEqual([mine.name, mine.role, mine.rosterSize], ["Stella Talent", "owner", 1]);
    const dash = (await agencyApi(c).roster()).body;
    assert.deepEqual(
      dash.creators.map((r) => [r.handle, r.shareBps]),
      [["marcolive", 2000]],
    );
    assert.ok(dash.creators[0]!.upcoming.some((s) => s.title.startsWith("Autumn drop")));
    assert.equal((await agencyApi(await server.as("host")).creatorView()).body.membership?.agency.name, "Stella Talent");
    assert.equal((await creatorApi(c).page("marcolive")).status, 200);
  });
});
