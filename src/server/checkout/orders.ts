import type { Order, OrderStatus, ShippingAddress } from "../../shared/contracts/checkout.ts";
import type { HostOrder } from "../../shared/contracts/room.ts";
import type { Db, DbOrTx } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";
import { decodeCursor, encodeCursor, type Catalog } from "../catalog/service.ts";
import type { PaymentProvider } from "./payments.ts";

export interface Orders {
  get(orderId: string): Promise<Order | null>;
  listForBuyer(buyerId: string, cursor: string | undefined, limit: number): Promise<{ items: Order[]; nextCursor: string | null }>;
  listForMerchant(merchantId: string, opts: { status?: OrderStatus; cursor?: string; limit: number }): Promise<{ items: Order[]; nextCursor: string | null }>;
  transition(merchantId: string, actorId: string, orderId: string, to: "shipped" | "delivered" | "cancelled"): Promise<Result<{ order: Order }>>;
  showSales(showId: string): Promise<{ orders: number; revenue: { currency: string; amount: number }[] }>;
  /** Checkout's step "create order": inside the caller's transaction. */
  insertPaid(tx: DbOrTx, o: NewOrder): Promise<{ id: string; number: string }>;
  hostOrderView(orderId: string): Promise<HostOrder | null>;
  /** The show's latest orders as the studio lists them, newest first. */
  recentForShow(showId: string, limit: number): Promise<HostOrder[]>;
  /**
   * What a buyer has bought and still owns (orders paid, shipped or delivered; never cancelled or
   * refunded), newest order first, one row per product (its latest order); only `productIds` when given.
   * Reads in `tx` when given, so a caller can decide inside its own transaction.
   */
  purchasesOf(buyerId: string, opts?: { productIds?: string[]; limit?: number; tx?: DbOrTx }): Promise<Purchase[]>;
}

export interface Purchase {
  productId: string;
  orderId: string;
  /** when the order was placed (epoch ms) */
  at: number;
}

/** Order statuses in which the buyer has paid and keeps the goods. */
export const OWNED_STATUSES: OrderStatus[] = ["paid", "shipped", "delivered"];

export interface NewOrder {
  merchantId: string;
  buyerId: string;
  showId: string | null;
  currency: string;
  shipping: ShippingAddress;
  paymentId: string;
  cardLast4: string;
  items: { productId: string; variantId: string; title: string; variantTitle: string; unitPrice: number; quantity: number }[];
}

const NEXT: Record<OrderStatus, OrderStatus[]> = {
  paid: ["shipped", "cancelled"],
  shipped: ["delivered"],
  delivered: [],
  cancelled: ["refunded"],
  refunded: [],
};

const ORDER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
function orderNumber(): string {
  let s = "";
  for (let i = 0; i < 8; i++) s += ORDER_ALPHABET[Math.floor(Math.random() * ORDER_ALPHABET.length)];
  return `V-${s}`;
}

export function createOrders(deps: { db: Db; bus: EventBus; catalog: Catalog; payments: PaymentProvider; log: { error(obj: object, msg: string): void } }): Orders {
  const { db, bus } = deps;

  async function load(ids: string[]): Promise<Order[]> {
    if (!ids.length) return [];
    const [rows, items, history] = await Promise.all([
      db
        .selectFrom("orders")
        .innerJoin("merchants", "merchants.id", "orders.merchant_id")
        .innerJoin("users", "users.id", "orders.buyer_user_id")
        .leftJoin("shows", "shows.id", "orders.show_id")
        .select([
          "orders.id",
          "orders.number",
          "orders.merchant_id",
          "merchants.name as merchant_name",
          "orders.buyer_user_id",
          "users.display_name as buyer_name",
          "orders.show_id",
          "shows.title as show_title",
          "orders.status",
          "orders.currency",
          "orders.total",
          "orders.shipping",
          "orders.card_last4",
          "orders.created_at",
        ])
        .where("orders.id", "in", ids)
        .execute(),
      db.selectFrom("order_items").selectAll().where("order_id", "in", ids).execute(),
      db.selectFrom("order_history").selectAll().where("order_id", "in", ids).orderBy("at").orderBy("id").execute(),
    ]);
    const byId = new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          number: r.number,
          merchantId: r.merchant_id,
          merchantName: r.merchant_name,
          buyerId: r.buyer_user_id,
          buyerName: r.buyer_name,
          showId: r.show_id,
          showTitle: r.show_title ?? null,
          status: r.status,
          currency: r.currency,
          total: r.total,
          items: items
            .filter((i) => i.order_id === r.id)
            .map((i) => ({ productId: i.product_id, variantId: i.variant_id, title: i.title, variantTitle: i.variant_title, unitPrice: i.unit_price, quantity: i.quantity })),
          shipping: JSON.parse(r.shipping),
          cardLast4: r.card_last4,
          history: history.filter((h) => h.order_id === r.id).map((h) => ({ status: h.status, at: iso(h.at) })),
          createdAt: iso(r.created_at),
        } satisfies Order,
      ]),
    );
    return ids.map((id) => byId.get(id)).filter((o): o is Order => !!o);
  }

  async function page(where: { buyerId?: string; merchantId?: string; status?: OrderStatus }, cursor: string | undefined, limit: number) {
    let q = db.selectFrom("orders").select(["id", "created_at"]);
    if (where.buyerId) q = q.where("buyer_user_id", "=", where.buyerId);
    if (where.merchantId) q = q.where("merchant_id", "=", where.merchantId);
    if (where.status) q = q.where("status", "=", where.status);
    if (cursor) {
      const [at, id] = decodeCursor(cursor);
      q = q.where((eb) => eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]));
    }
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1).execute();
    const pageRows = rows.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return { items: await load(pageRows.map((r) => r.id)), nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null };
  }

  async function setStatus(orderId: string, from: OrderStatus, to: OrderStatus, actorId: string | null, extra?: (tx: DbOrTx) => Promise<void>): Promise<boolean> {
    return db.transaction().execute(async (tx) => {
      const now = Date.now();
      const res = await tx.updateTable("orders").set({ status: to, updated_at: now }).where("id", "=", orderId).where("status", "=", from).executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) return false;
      await tx.insertInto("order_history").values({ id: newId("ohs"), order_id: orderId, status: to, actor_user_id: actorId, at: now }).execute();
      if (extra) await extra(tx);
      return true;
    });
  }

  const self: Orders = {
    async get(orderId) {
      return (await load([orderId]))[0] ?? null;
    },
    listForBuyer: (buyerId, cursor, limit) => page({ buyerId }, cursor, limit),
    listForMerchant: (merchantId, { status, cursor, limit }) => page({ merchantId, status }, cursor, limit),

    async transition(merchantId, actorId, orderId, to) {
      const row = await db.selectFrom("orders").select(["merchant_id", "status", "payment_id", "total", "show_id"]).where("id", "=", orderId).executeTakeFirst();
      if (!row || row.merchant_id !== merchantId) return fail("not_found", "No such order.");
      if (!NEXT[row.status].includes(to)) return fail("invalid_transition", `An order that is ${row.status} cannot become ${to}.`);
      const items = await db.selectFrom("order_items").select(["variant_id", "quantity"]).where("order_id", "=", orderId).execute();
      const moved = await setStatus(orderId, row.status, to, actorId, async (tx) => {
        // Cancelling puts the units back on sale in the same transaction.
        if (to === "cancelled") for (const i of items) await deps.catalog.returnStock(tx, i.variant_id, i.quantity);
      });
      if (!moved) return fail("conflict", "The order changed meanwhile; reload it.");
      const publish = (status: OrderStatus) => bus.publish({ type: "order.status_changed", orderId, merchantId, showId: row.show_id, status, at: Date.now() });
      publish(to);
      if (to === "cancelled") {
        const refund = await deps.payments.refund(row.payment_id, row.total);
        if (refund.ok) {
          await setStatus(orderId, "cancelled", "refunded", actorId);
          publish("refunded");
        } else {
          deps.log.error({ orderId, message: refund.message }, "refund failed; order stays cancelled");
        }
        const itemProducts = await db.selectFrom("order_items").select("product_id").where("order_id", "=", orderId).execute();
        for (const p of new Set(itemProducts.map((i) => i.product_id))) bus.publish({ type: "stock.changed", productId: p });
      }
      return { ok: true, order: (await self.get(orderId))! };
    },

    async showSales(showId) {
      const rows = await db
        .selectFrom("orders")
        .select((eb) => ["currency", eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("total").as("amount")])
        .where("show_id", "=", showId)
        .where("status", "not in", ["cancelled", "refunded"])
        .groupBy("currency")
        .execute();
      return {
        orders: rows.reduce((s, r) => s + Number(r.n), 0),
        revenue: rows.map((r) => ({ currency: r.currency, amount: Number(r.amount) })),
      };
    },

    async insertPaid(tx, o) {
      const id = newId("ord");
      const number = orderNumber();
      const now = Date.now();
      const total = o.items.reduce((s, i) => s + i.unitPrice * i.quantity, 0);
      await tx
        .insertInto("orders")
        .values({
          id,
          number,
          merchant_id: o.merchantId,
          buyer_user_id: o.buyerId,
          show_id: o.showId,
          status: "paid",
          currency: o.currency,
          total,
          shipping: JSON.stringify(o.shipping),
          payment_id: o.paymentId,
          card_last4: o.cardLast4,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await tx
        .insertInto("order_items")
        .values(
          o.items.map((i) => ({
            id: newId("oit"),
            order_id: id,
            product_id: i.productId,
            variant_id: i.variantId,
            title: i.title,
            variant_title: i.variantTitle,
            unit_price: i.unitPrice,
            quantity: i.quantity,
          })),
        )
        .execute();
      await tx.insertInto("order_history").values({ id: newId("ohs"), order_id: id, status: "paid", actor_user_id: o.buyerId, at: now }).execute();
      return { id, number };
    },

    async recentForShow(showId, limit) {
      const rows = await db.selectFrom("orders").select("id").where("show_id", "=", showId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
      return (await load(rows.map((r) => r.id))).map(toHostOrder).filter((o): o is HostOrder => !!o);
    },

    async hostOrderView(orderId) {
      return toHostOrder(await self.get(orderId));
    },

    async purchasesOf(buyerId, opts = {}) {
      if (opts.productIds && !opts.productIds.length) return [];
      let q = (opts.tx ?? db)
        .selectFrom("order_items")
        .innerJoin("orders", "orders.id", "order_items.order_id")
        .select(["order_items.product_id", "orders.id", "orders.created_at"])
        .where("orders.buyer_user_id", "=", buyerId)
        .where("orders.status", "in", OWNED_STATUSES);
      if (opts.productIds) q = q.where("order_items.product_id", "in", opts.productIds);
      const rows = await q.orderBy("orders.created_at", "desc").orderBy("orders.id", "desc").limit(opts.limit ?? 1000).execute();
      const seen = new Map<string, Purchase>();
      for (const r of rows) if (!seen.has(r.product_id)) seen.set(r.product_id, { productId: r.product_id, orderId: r.id, at: Number(r.created_at) });
      return [...seen.values()];
    },
  };
  return self;
}

function toHostOrder(o: Order | null): HostOrder | null {
  const first = o?.items[0];
  if (!o || !first) return null;
  return {
    orderId: o.id,
    number: o.number,
    buyerName: o.buyerName,
    productTitle: first.title,
    variantTitle: first.variantTitle,
    quantity: first.quantity,
    total: o.total,
    currency: o.currency,
    at: o.createdAt,
  };
}
