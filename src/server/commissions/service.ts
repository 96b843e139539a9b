import { sql } from "kysely";
import type { Earnings, Statement } from "../../shared/contracts/commissions.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";
import type { Orders } from "../checkout/orders.ts";
import type { Shows } from "../shows/service.ts";
import type { Campaigns } from "../campaigns/service.ts";
import type { Creators } from "../creators/service.ts";
import type { CommissionsTables } from "./schema.ts";
import { commissionFor, lineKeys } from "./money.ts";

type Entry = CommissionsTables["commission_entries"];

export interface Commissions {
  /** Enters the accruals of a paid order attributed to a creator's campaign show; 0 when not attributed or already entered. */
  recordPaid(orderId: string): Promise<number>;
  /** Enters a reversal for every accrual of a cancelled or refunded order (each at most once). */
  recordReversal(orderId: string): Promise<number>;
  earnings(userId: string): Promise<Result<{ earnings: Earnings }>>;
  /** Entries made in [from, to) with totals per currency that add up from the ledger. */
  statement(userId: string, from: number, to: number): Promise<Result<{ statement: Statement }>>;
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

  const offs = [
    bus.subscribe("order.paid", (e) => track("accrual", e.orderId, () => self.recordPaid(e.orderId))),
    bus.subscribe("order.status_changed", (e) => (REVERSIBLE.has(e.status) ? track("reversal", e.orderId, () => self.recordReversal(e.orderId)) : undefined)),
  ];

  const self: Commissions = {
    async recordPaid(orderId) {
      const order = await orders.get(orderId);
      if (!order?.showId) return 0;
      const link = await deps.shows.campaignOf(order.showId);
      if (!link) return 0;
      const attribution = await deps.campaigns.attribution(link.campaignId, link.hostUserId, Date.parse(order.createdAt));
      if (!attribution) return 0;
      if (attribution.merchantId !== order.merchantId || attribution.currency !== order.currency) {
        deps.log.warn({ orderId, campaignId: attribution.campaignId }, "order does not match its show's campaign (merchant or currency); no commission");
        return 0;
      }
      const at = now();
      const rows: Entry[] = lineKeys(order.items).flatMap((l) => {
        const rate = attribution.rateFor(l.productId);
        const amount = rate === null ? 0 : commissionFor(l.lineTotal, rate);
        // Lines outside the campaign, and lines whose commission rounds down to nothing, move no money.
        if (rate === null || amount === 0) return [];
        return [
          {
            id: newId("cme"),
            idempotency_key: `accrual:${order.id}:${l.lineKey}`,
            kind: "accrual" as const,
            beneficiary_type: "creator" as const,
            beneficiary_id: attribution.creatorId,
            creator_id: attribution.creatorId,
            campaign_id: attribution.campaignId,
            merchant_id: order.merchantId,
            show_id: order.showId!,
            order_id: order.id,
            order_number: order.number,
            line_key: l.lineKey,
            product_id: l.productId,
            currency: order.currency,
            line_total: l.lineTotal,
            rate_bps: rate,
            amount,
            earned_at: at,
            reverses_id: null,
            created_at: at,
          },
        ];
      });
      let written = await append(rows);
      // A cancellation that committed before these accruals found nothing to reverse: reverse them now.
      const after = await orders.get(orderId);
      if (after && REVERSIBLE.has(after.status)) written += await self.recordReversal(orderId);
      return written;
    },

    async recordReversal(orderId) {
      const order = await orders.get(orderId);
      if (!order || !REVERSIBLE.has(order.status)) return 0;
      const accruals = await db.selectFrom("commission_entries").selectAll().where("order_id", "=", orderId).where("kind", "=", "accrual").execute();
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
      const cutoff = now() - deps.holdMs;
      const rows = await db
        .selectFrom("commission_entries")
        .select((eb) => ["currency", eb.fn.sum<string | number>("amount").as("total"), sql<string | number>`sum(case when earned_at <= ${cutoff} then amount else 0 end)`.as("available")])
        .where("beneficiary_type", "=", "creator")
        .where("beneficiary_id", "=", creator.id)
        .groupBy("currency")
        .orderBy("currency")
        .execute();
      return {
        ok: true,
        earnings: {
          creatorId: creator.id,
          holdDays: Math.round(deps.holdMs / 86_400_000),
          balances: rows.map((r) => ({ currency: r.currency, pending: Number(r.total) - Number(r.available), available: Number(r.available) })),
        },
      };
    },

    async statement(userId, from, to) {
      const creator = await deps.creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const mine = () => db.selectFrom("commission_entries").where("beneficiary_type", "=", "creator").where("beneficiary_id", "=", creator.id);
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
        ok: true,
        statement: {
          creatorId: creator.id,
          from: iso(from),
          to: iso(to),
          holdDays: Math.round(deps.holdMs / 86_400_000),
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
            amount: Number(e.amount),
            availableAt: iso(Number(e.earned_at) + deps.holdMs),
          })),
        },
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
