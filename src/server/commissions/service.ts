import { sql } from "kysely";
import type { Earnings, Payout, PayoutDue, PayoutInput, Statement } from "../../shared/contracts/commissions.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";
import type { Orders } from "../checkout/orders.ts";
import type { Shows } from "../shows/service.ts";
import type { Campaigns } from "../campaigns/service.ts";
import type { Creators } from "../creators/service.ts";
import type { BeneficiaryType, CommissionsTables } from "./schema.ts";
import { commissionFor, lineKeys } from "./money.ts";

type Entry = CommissionsTables["commission_entries"];
type Payouts = CommissionsTables["commission_payouts"];

/** A sale attributed to a creator's campaign: an own order, or a partner store's conversion. */
export interface AttributedSale {
  /** the order id, or the partner conversion's id: the ledger's order_id and the idempotency keys' middle */
  saleId: string;
  /** what the buyer or the partner calls it (order number, partner order reference) */
  saleNumber: string;
  showId: string;
  merchantId: string;
  currency: string;
  /** lines with stable keys (see lineKeys) */
  lines: { lineKey: string; productId: string; lineTotal: number }[];
  /** when the sale was made: the campaign must have been running then */
  at: number;
}

/** An agency's cut of a creator's commission, in basis points of that commission. */
export interface AgencyShare {
  agencyId: string;
  shareBps: number;
}

export interface Commissions {
  /** Enters the accruals of a paid order attributed to a creator's campaign show; 0 when not attributed or already entered. */
  recordPaid(orderId: string): Promise<number>;
  /** Enters a reversal for every accrual of a cancelled or refunded order (each at most once). */
  recordReversal(orderId: string): Promise<number>;
  /**
   * Enters the accruals of a sale for the campaign its show belongs to (creator, and the creator's
   * agency's share when it has one); 0 when not attributed or already entered.
   */
  accrue(sale: AttributedSale): Promise<number>;
  /** Enters a reversal for every accrual of a sale (each at most once), whatever its source. */
  reverseSale(saleId: string): Promise<number>;
  earnings(userId: string): Promise<Result<{ earnings: Earnings }>>;
  /** Entries made in [from, to) with totals per currency that add up from the ledger. */
  statement(userId: string, from: number, to: number): Promise<Result<{ statement: Statement }>>;
  /** Balances of any beneficiary (a creator, an agency) per currency, pending and available. */
  balancesOf(type: BeneficiaryType, id: string): Promise<Earnings["balances"]>;
  /** Any beneficiary's statement for [from, to), as `statement` gives a creator its own. */
  statementOf(type: BeneficiaryType, id: string, from: number, to: number): Promise<Omit<Statement, "creatorId">>;
  /**
   * Records money paid out to a beneficiary: at most its available balance. A repeated Idempotency-Key
   * answers the payout it made (`replayed`) and pays nothing again.
   */
  payout(input: PayoutInput, byUserId: string, idempotencyKey: string): Promise<Result<{ payout: Payout; replayed: boolean }>>;
  payouts(type: BeneficiaryType, id: string): Promise<Payout[]>;
  /** The signed-in creator's own payouts. */
  myPayouts(userId: string): Promise<Result<{ payouts: Payout[] }>>;
  /** Every beneficiary with an available balance to pay out, largest first. */
  payoutsDue(currency?: string): Promise<PayoutDue[]>;
  /** Resolves once the ledger writes started by events so far have finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface CommissionsDeps {
  db: Db;
  bus: EventBus;
  orders: Pick<Orders, "get">;
  shows: Pick<Shows, "campaignOf">;
  campaigns: Pick<Campaigns, "attribution">;
  creators: Pick<Creators, "byUser">;
  /** the agency a creator belonged to at a given time, and its share; none when the creator had no agency */
  agencyShare?: (creatorId: string, at: number) => Promise<AgencyShare | null>;
  /** how long an entry stays pending before it is available */
  holdMs: number;
  clock?: () => number;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** attempts per event before giving up (a retry can never enter anything twice) */
  attempts?: number;
}

const REVERSIBLE = new Set(["cancelled", "refunded"]);

export function createCommissions(deps: CommissionsDeps): Commissions {
  const { db, bus, orders } = deps;
  const now = deps.clock ?? Date.now;
  const attempts = deps.attempts ?? 3;
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  const holdDays = () => Math.round(deps.holdMs / 86_400_000);

  /** Insert-or-ignore on the idempotency key (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike). */
  async function append(rows: Entry[]): Promise<number> {
    if (!rows.length) return 0;
    const r = await db
      .insertInto("commission_entries")
      .values(rows)
      .onConflict((oc) => oc.column("idempotency_key").doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0);
  }

  /** Runs an event's ledger work, retrying on failure, and remembers it until it is done (see idle()). */
  function track(what: string, orderId: string, work: () => Promise<number>): Promise<void> {
    const run = async (): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await work();
          return;
        } catch (err) {
          if (closed || attempt >= attempts) throw err;
          deps.log.warn({ err, orderId, attempt }, `commission ${what} failed; retrying`);
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    };
    const p = run();
    inFlight.add(p);
    const done = () => inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  async function paidOut(type: BeneficiaryType, id: string): Promise<Map<string, number>> {
    const rows = await db
      .selectFrom("commission_payouts")
      .select((eb) => ["currency", eb.fn.sum<string | number>("amount").as("paid")])
      .where("beneficiary_type", "=", type)
      .where("beneficiary_id", "=", id)
      .groupBy("currency")
      .execute();
    return new Map(rows.map((r) => [r.currency, Number(r.paid)]));
  }

  const payoutOf = (r: Payouts): Payout => ({
    id: r.id,
    beneficiaryType: r.beneficiary_type,
    beneficiaryId: r.beneficiary_id,
    currency: r.currency,
    amount: Number(r.amount),
    reference: r.reference,
    at: iso(Number(r.created_at)),
  });

  const offs = [
    bus.subscribe("order.paid", (e) => track("accrual", e.orderId, () => self.recordPaid(e.orderId))),
    bus.subscribe("order.status_changed", (e) => (REVERSIBLE.has(e.status) ? track("reversal", e.orderId, () => self.recordReversal(e.orderId)) : undefined)),
  ];

  const self: Commissions = {
    async recordPaid(orderId) {
      const order = await orders.get(orderId);
      if (!order?.showId) return 0;
      let written = await self.accrue({
        saleId: order.id,
        saleNumber: order.number,
        showId: order.showId,
        merchantId: order.merchantId,
        currency: order.currency,
        lines: lineKeys(order.items),
        at: Date.parse(order.createdAt),
      });
      // A cancellation that committed before these accruals found nothing to reverse: reverse them now.
      const after = await orders.get(orderId);
      if (after && REVERSIBLE.has(after.status)) written += await self.recordReversal(orderId);
      return written;
    },

    async recordReversal(orderId) {
      const order = await orders.get(orderId);
      if (!order || !REVERSIBLE.has(order.status)) return 0;
      return self.reverseSale(orderId);
    },

    async accrue(sale) {
      const link = await deps.shows.campaignOf(sale.showId);
      if (!link) return 0;
      const attribution = await deps.campaigns.attribution(link.campaignId, link.hostUserId, sale.at);
      if (!attribution) return 0;
      if (attribution.merchantId !== sale.merchantId || attribution.currency !== sale.currency) {
        deps.log.warn({ saleId: sale.saleId, campaignId: attribution.campaignId }, "sale does not match its show's campaign (merchant or currency); no commission");
        return 0;
      }
      const agency = (await deps.agencyShare?.(attribution.creatorId, sale.at)) ?? null;
      const at = now();
      const rows: Entry[] = sale.lines.flatMap((l) => {
        const rate = attribution.rateFor(l.productId);
        const gross = rate === null ? 0 : commissionFor(l.lineTotal, rate);
        // Lines outside the campaign, and lines whose commission rounds down to nothing, move no money.
        if (rate === null || gross === 0) return [];
        const entry = (key: string, type: BeneficiaryType, id: string, amount: number, shareBps: number | null): Entry => ({
          id: newId("cme"),
          idempotency_key: key,
          kind: "accrual",
          beneficiary_type: type,
          beneficiary_id: id,
          creator_id: attribution.creatorId,
          campaign_id: attribution.campaignId,
          merchant_id: sale.merchantId,
          show_id: sale.showId,
          order_id: sale.saleId,
          order_number: sale.saleNumber,
          line_key: l.lineKey,
          product_id: l.productId,
          currency: sale.currency,
          line_total: l.lineTotal,
          rate_bps: rate,
          share_bps: shareBps,
          amount,
          earned_at: at,
          reverses_id: null,
          created_at: at,
        });
        const key = `accrual:${sale.saleId}:${l.lineKey}`;
        if (!agency) return [entry(key, "creator", attribution.creatorId, gross, null)];
        // The agency's cut is taken from the creator's commission, rounded down; the creator keeps the rest.
        const cut = commissionFor(gross, agency.shareBps);
        return [entry(key, "creator", attribution.creatorId, gross - cut, 10_000 - agency.shareBps), ...(cut > 0 ? [entry(`${key}:agency`, "agency", agency.agencyId, cut, agency.shareBps)] : [])];
      });
      return append(rows);
    },

    async reverseSale(saleId) {
      const accruals = await db.selectFrom("commission_entries").selectAll().where("order_id", "=", saleId).where("kind", "=", "accrual").execute();
      const at = now();
      // Exactly the accrued amount, once per accrual (its key): never more than was accrued.
      return append(
        accruals.map((a) => ({
          ...a,
          id: newId("cme"),
          idempotency_key: a.idempotency_key.replace(/^accrual:/, "reversal:"),
          kind: "reversal" as const,
          amount: -Number(a.amount),
          line_total: Number(a.line_total),
          earned_at: Number(a.earned_at),
          reverses_id: a.id,
          created_at: at,
        })),
      );
    },

    async earnings(userId) {
      const creator = await deps.creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      return { ok: true, earnings: { creatorId: creator.id, holdDays: holdDays(), balances: await self.balancesOf("creator", creator.id) } };
    },

    async balancesOf(type, id) {
      const cutoff = now() - deps.holdMs;
      const [rows, paid] = await Promise.all([
        db
          .selectFrom("commission_entries")
          .select((eb) => ["currency", eb.fn.sum<string | number>("amount").as("total"), sql<string | number>`sum(case when earned_at <= ${cutoff} then amount else 0 end)`.as("available")])
          .where("beneficiary_type", "=", type)
          .where("beneficiary_id", "=", id)
          .groupBy("currency")
          .execute(),
        paidOut(type, id),
      ]);
      const ledger = new Map(rows.map((r) => [r.currency, { total: Number(r.total), available: Number(r.available) }]));
      const currencies = [...new Set([...ledger.keys(), ...paid.keys()])].sort();
      return currencies.map((currency) => {
        const l = ledger.get(currency) ?? { total: 0, available: 0 };
        const out = paid.get(currency) ?? 0;
        return { currency, pending: l.total - l.available, available: l.available - out, paidOut: out };
      });
    },

    async payout(input, by, idempotencyKey) {
      for (let attempt = 0; ; attempt++) {
        const prior = await db.selectFrom("commission_payouts").selectAll().where("idempotency_key", "=", idempotencyKey).executeTakeFirst();
        if (prior) {
          const same = prior.beneficiary_type === input.beneficiaryType && prior.beneficiary_id === input.beneficiaryId && prior.currency === input.currency && Number(prior.amount) === input.amount;
          if (!same) return fail("idempotency_key_reused", "This Idempotency-Key was used for another payout.");
          return { ok: true, payout: payoutOf(prior), replayed: true };
        }
        // The payout count first, then the balance: a payout written in between either shows in the
        // balance or takes our number (and the insert below writes nothing).
        const last = await db
          .selectFrom("commission_payouts")
          .select((eb) => eb.fn.max<number | string>("seq").as("seq"))
          .where("beneficiary_type", "=", input.beneficiaryType)
          .where("beneficiary_id", "=", input.beneficiaryId)
          .where("currency", "=", input.currency)
          .executeTakeFirst();
        const balance = (await self.balancesOf(input.beneficiaryType, input.beneficiaryId)).find((b) => b.currency === input.currency);
        if (!balance || input.amount > balance.available)
          return fail("payout_exceeds_available", `At most ${Math.max(0, balance?.available ?? 0)} (minor units) of ${input.currency} is available to pay out.`);
        const row = {
          id: newId("pay"),
          idempotency_key: idempotencyKey,
          beneficiary_type: input.beneficiaryType,
          beneficiary_id: input.beneficiaryId,
          currency: input.currency,
          seq: Number(last?.seq ?? 0) + 1,
          amount: input.amount,
          reference: input.reference,
          created_by: by,
          created_at: now(),
        };
        // The balance was read for payout number `seq`: if another payout took that number meanwhile
        // (or the same key arrived twice), nothing is written and the decision is made again.
        const written = await db.insertInto("commission_payouts").values(row).onConflict((oc) => oc.doNothing()).executeTakeFirst();
        if (Number(written.numInsertedOrUpdatedRows ?? 0) === 1) return { ok: true, payout: payoutOf(row), replayed: false };
        if (attempt >= 5) return fail("conflict", "Other payouts to this beneficiary are being made; try again.");
      }
    },

    async payouts(type, id) {
      const rows = await db.selectFrom("commission_payouts").selectAll().where("beneficiary_type", "=", type).where("beneficiary_id", "=", id).orderBy("created_at", "desc").orderBy("seq", "desc").execute();
      return rows.map(payoutOf);
    },

    async myPayouts(userId) {
      const creator = await deps.creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      return { ok: true, payouts: await self.payouts("creator", creator.id) };
    },

    async payoutsDue(currency) {
      const cutoff = now() - deps.holdMs;
      let earned = db
        .selectFrom("commission_entries")
        .select((eb) => ["beneficiary_type", "beneficiary_id", "currency", eb.fn.sum<string | number>("amount").as("available")])
        .where("earned_at", "<=", cutoff)
        .groupBy(["beneficiary_type", "beneficiary_id", "currency"]);
      let paid = db
        .selectFrom("commission_payouts")
        .select((eb) => ["beneficiary_type", "beneficiary_id", "currency", eb.fn.sum<string | number>("amount").as("paid")])
        .groupBy(["beneficiary_type", "beneficiary_id", "currency"]);
      if (currency) {
        earned = earned.where("currency", "=", currency);
        paid = paid.where("currency", "=", currency);
      }
      const [e, p] = await Promise.all([earned.execute(), paid.execute()]);
      const key = (r: { beneficiary_type: string; beneficiary_id: string; currency: string }) => `${r.beneficiary_type}\u0000${r.beneficiary_id}\u0000${r.currency}`;
      const paidBy = new Map(p.map((r) => [key(r), Number(r.paid)]));
      return e
        .map((r) => ({ beneficiaryType: r.beneficiary_type, beneficiaryId: r.beneficiary_id, currency: r.currency, available: Number(r.available) - (paidBy.get(key(r)) ?? 0) }))
        .filter((d) => d.available > 0)
        .sort((a, b) => b.available - a.available || (a.beneficiaryId < b.beneficiaryId ? -1 : 1));
    },

    async statement(userId, from, to) {
      const creator = await deps.creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      return { ok: true, statement: { creatorId: creator.id, ...(await self.statementOf("creator", creator.id, from, to)) } };
    },

    async statementOf(type, id, from, to) {
      const mine = () => db.selectFrom("commission_entries").where("beneficiary_type", "=", type).where("beneficiary_id", "=", id);
      const [entries, opening] = await Promise.all([
        mine().selectAll().where("created_at", ">=", from).where("created_at", "<", to).orderBy("created_at").orderBy("id").execute(),
        mine()
          .select((eb) => ["currency", eb.fn.sum<string | number>("amount").as("total")])
          .where("created_at", "<", from)
          .groupBy("currency")
          .execute(),
      ]);
      const totals = new Map<string, { opening: number; accruals: number; reversals: number }>();
      const totalsOf = (currency: string) => {
        let t = totals.get(currency);
        if (!t) totals.set(currency, (t = { opening: 0, accruals: 0, reversals: 0 }));
        return t;
      };
      for (const o of opening) totalsOf(o.currency).opening = Number(o.total);
      for (const e of entries) {
        const t = totalsOf(e.currency);
        if (e.kind === "accrual") t.accruals += Number(e.amount);
        else t.reversals += Number(e.amount);
      }
      return {
        from: iso(from),
        to: iso(to),
        holdDays: holdDays(),
        totals: [...totals.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([currency, t]) => ({ currency, ...t, net: t.accruals + t.reversals, closing: t.opening + t.accruals + t.reversals })),
          entries: entries.map((e) => ({
            id: e.id,
            at: iso(Number(e.created_at)),
            kind: e.kind,
            orderId: e.order_id,
            orderNumber: e.order_number,
            campaignId: e.campaign_id,
            showId: e.show_id,
            productId: e.product_id,
            lineKey: e.line_key,
            currency: e.currency,
            lineTotal: Number(e.line_total),
            rateBps: e.rate_bps,
            shareBps: e.share_bps,
            amount: Number(e.amount),
            availableAt: iso(Number(e.earned_at) + deps.holdMs),
          })),
      };
    },

    async idle() {
      // The bus dispatches on microtasks: let events already published reach their handlers first.
      do {
        await new Promise((r) => setImmediate(r));
        await Promise.allSettled([...inFlight]);
      } while (inFlight.size);
    },

    async close() {
      offs.forEach((off) => off());
      await self.idle();
      closed = true;
    },
  };
  return self;
}
