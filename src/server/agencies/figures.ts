import { sql, type Kysely } from "kysely";
import type { RosterFigures } from "../../shared/contracts/agencies.ts";
import type { Database } from "../platform/db.ts";
import type { AgenciesTables } from "./schema.ts";

type AgenciesDb = Kysely<Database & AgenciesTables>;

/** Money per currency in integer minor units. */
class Sums {
  private m = new Map<string, number>();
  add(currency: string, amount: number) {
    this.m.set(currency, (this.m.get(currency) ?? 0) + amount);
  }
  get(currency: string) {
    return this.m.get(currency) ?? 0;
  }
  currencies() {
    return [...this.m.keys()];
  }
  list(currencies = this.currencies()): RosterFigures["gmv"] {
    return [...currencies].sort().map((currency) => ({ currency, amount: this.get(currency) }));
  }
}

class Tally {
  ordersPaid = 0;
  ordersRefunded = 0;
  gmv = new Sums();
  refunded = new Sums();
  creatorCommission = new Sums();
  agencyCommission = new Sums();

  figures(): RosterFigures {
    const sales = [...new Set([...this.gmv.currencies(), ...this.refunded.currencies()])];
    return {
      ordersPaid: this.ordersPaid,
      ordersRefunded: this.ordersRefunded,
      gmv: this.gmv.list(sales),
      refunded: this.refunded.list(sales),
      net: [...sales].sort().map((currency) => ({ currency, amount: this.gmv.get(currency) - this.refunded.get(currency) })),
      creatorCommission: this.creatorCommission.list(),
      agencyCommission: this.agencyCommission.list(),
    };
  }
}

/**
 * The roster's figures for [from, to), per creator and in total: a read model over the orders, the
 * shows they were sold in and the commission ledger (read only, never written here), because the
 * dashboard must agree with those to the cent.
 *
 * A sale counts for the agency only if its creator was on the agency's roster when it was made (the
 * order's creation; for a ledger entry without an order, when it was earned): an agency never sees
 * what a creator sold before joining it or after leaving. Money is counted as the analytics
 * dashboards count it: GMV is the items of the orders created in the period in shows the creator
 * hosted; refunds are counted when the order was cancelled (cancelled → refunded follows), so
 * net = gmv − refunded. Commission: ledger entries made in the period (accruals and reversals), as in
 * a statement, the creator's and this agency's.
 */
export async function rosterFigures(db: AgenciesDb, agencyId: string, creatorIds: string[], from: number, to: number) {
  const tallies = new Map<string, Tally>();
  const of = (id: string) => {
    let t = tallies.get(id);
    if (!t) tallies.set(id, (t = new Tally()));
    return t;
  };
  if (creatorIds.length) {
    const onRoster = (at: string) => sql<boolean>`m.agency_id = ${agencyId} and m.joined_at <= ${sql.raw(at)} and (m.left_at is null or m.left_at > ${sql.raw(at)})`;
    const sales = () =>
      db
        .selectFrom("orders as o")
        .innerJoin("shows as s", "s.id", "o.show_id")
        .innerJoin("creators as c", "c.user_id", "s.host_user_id")
        .innerJoin("agency_memberships as m", (j) => j.onRef("m.creator_id", "=", "c.id").on(onRoster("o.created_at")))
        .innerJoin("order_items as i", "i.order_id", "o.id")
        .select((eb) => ["m.creator_id", "o.currency", eb.fn.count<string | number>(sql`distinct o.id`).as("orders"), eb.fn.sum<string | number>(sql`i.unit_price * i.quantity`).as("amount")])
        .where("c.id", "in", creatorIds)
        .groupBy(["m.creator_id", "o.currency"]);
    const [paid, refunded, commission] = await Promise.all([
      sales().where("o.created_at", ">=", from).where("o.created_at", "<", to).execute(),
      // Every cancelled order is refunded after it; cancellation happens once per order.
      sales()
        .innerJoin("order_history as h", (j) => j.onRef("h.order_id", "=", "o.id").on("h.status", "=", "cancelled"))
        .where("h.at", ">=", from)
        .where("h.at", "<", to)
        .execute(),
      db
        .selectFrom("commission_entries as e")
        .leftJoin("orders as o", "o.id", "e.order_id")
        .innerJoin("agency_memberships as m", (j) => j.onRef("m.creator_id", "=", "e.creator_id").on(onRoster("coalesce(o.created_at, e.earned_at)")))
        .select((eb) => ["e.creator_id", "e.beneficiary_type", "e.currency", eb.fn.sum<string | number>("e.amount").as("amount")])
        .where("e.creator_id", "in", creatorIds)
        .where("e.created_at", ">=", from)
        .where("e.created_at", "<", to)
        .where((eb) => eb.or([eb("e.beneficiary_type", "=", "creator"), eb.and([eb("e.beneficiary_type", "=", "agency"), eb("e.beneficiary_id", "=", agencyId)])]))
        .groupBy(["e.creator_id", "e.beneficiary_type", "e.currency"])
        .execute(),
    ]);
    for (const r of paid) {
      const t = of(r.creator_id);
      t.ordersPaid += Number(r.orders);
      t.gmv.add(r.currency, Number(r.amount));
    }
    for (const r of refunded) {
      const t = of(r.creator_id);
      t.ordersRefunded += Number(r.orders);
      t.refunded.add(r.currency, Number(r.amount));
    }
    for (const r of commission) (r.beneficiary_type === "agency" ? of(r.creator_id).agencyCommission : of(r.creator_id).creatorCommission).add(r.currency, Number(r.amount));
  }
  const total = new Tally();
  for (const id of creatorIds) {
    const t = tallies.get(id);
    if (!t) continue;
    total.ordersPaid += t.ordersPaid;
    total.ordersRefunded += t.ordersRefunded;
    for (const k of ["gmv", "refunded", "creatorCommission", "agencyCommission"] as const) for (const c of t[k].currencies()) total[k].add(c, t[k].get(c));
  }
  return {
    of: (creatorId: string) => (tallies.get(creatorId) ?? new Tally()).figures(),
    total: () => total.figures(),
  };
}
