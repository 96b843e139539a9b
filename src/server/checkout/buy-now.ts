import { createHash } from "node:crypto";
import { z } from "zod";
import type { User } from "../../shared/contracts/accounts.ts";
import { BuyNowBody, type Order } from "../../shared/contracts/checkout.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Orders } from "./orders.ts";
import type { ChargeResult, PaymentProvider } from "./payments.ts";

type Body = z.output<typeof BuyNowBody>;
export type BuyNowResult = Result<{ order: Order; replayed: boolean }>;

export interface Checkout {
  /**
   * Buy now, as steps with compensation: reserve stock (with the attempt record) → charge →
   * create the order, or give the stock back. The Idempotency-Key makes a double tap one order.
   */
  buyNow(user: User, idempotencyKey: string, body: Body): Promise<BuyNowResult>;
  /**
   * At start-up: settle attempts that a crash left between reserve and order. With several nodes
   * (`olderThanMs`), only attempts untouched for that long, whose node is surely gone or stuck: a live
   * node's purchase in flight is never settled under it. Each is claimed with a conditional UPDATE, so
   * two nodes recovering at once settle it once.
   */
  recoverPending(opts?: { olderThanMs?: number }): Promise<number>;
}

class StockTaken extends Error {}
/** Another node's recovery settled this attempt first (docs/multi-node.md): its outcome stands. */
class AlreadySettled extends Error {}
class DuplicateKey extends Error {}

export function createCheckout(deps: {
  db: Db;
  bus: EventBus;
  catalog: Catalog;
  shows: Shows;
  orders: Orders;
  payments: PaymentProvider;
  onOutcome?: (outcome: string) => void;
}): Checkout {
  const { db, bus, catalog, orders, payments } = deps;
  /** Attempts being processed by this process, so a concurrent duplicate can await the first. */
  const inFlight = new Map<string, Promise<BuyNowResult>>();

  const hashRequest = (b: Body) =>
    createHash("sha256")
      .update(JSON.stringify([b.showId, b.variantId, b.quantity, b.shipping, b.card.number, b.card.expMonth, b.card.expYear]))
      .digest("hex");

  async function replay(userId: string, key: string, requestHash: string): Promise<BuyNowResult | null> {
    const a = await db.selectFrom("checkout_attempts").selectAll().where("buyer_user_id", "=", userId).where("idempotency_key", "=", key).executeTakeFirst();
    if (!a) return null;
    if (a.request_hash !== requestHash) return fail("idempotency_key_reused");
    if (a.status === "pending") return fail("checkout_in_progress");
    if (a.status === "succeeded" && a.order_id) return { ok: true, order: (await orders.get(a.order_id))!, replayed: true };
    return fail((a.error_code as ErrorCode) ?? "payment_failed");
  }

  /** Final step: turn the provider's answer into an order, or give the stock back. */
  async function settle(attemptId: string, charge: ChargeResult | null): Promise<BuyNowResult> {
    try {
      return await settleOnce(attemptId, charge);
    } catch (err) {
      if (!(err instanceof AlreadySettled)) throw err;
      const a = await db.selectFrom("checkout_attempts").selectAll().where("id", "=", attemptId).executeTakeFirstOrThrow();
      return (await replay(a.buyer_user_id, a.idempotency_key, a.request_hash))!;
    }
  }

  /** Every settling write is guarded by `status = 'pending'`: an attempt is settled once, whoever gets there first. */
  async function settleOnce(attemptId: string, charge: ChargeResult | null): Promise<BuyNowResult> {
    const a = await db.selectFrom("checkout_attempts").selectAll().where("id", "=", attemptId).executeTakeFirstOrThrow();
    if (a.status !== "pending") throw new AlreadySettled();
    if (charge?.status === "succeeded") {
      // Variants are retired, never deleted, so the one we reserved is still there.
      const v = await catalog.variantForSale(db, a.variant_id);
      if (!v) throw new Error(`variant ${a.variant_id} of attempt ${attemptId} vanished`);
      const created = await db.transaction().execute(async (tx) => {
        const o = await orders.insertPaid(tx, {
          merchantId: v.merchantId,
          buyerId: a.buyer_user_id,
          showId: a.show_id,
          currency: a.currency,
          shipping: JSON.parse(a.shipping),
          paymentId: charge.paymentId,
          cardLast4: charge.cardLast4,
          items: [{ productId: v.productId, variantId: v.variantId, title: v.productTitle, variantTitle: v.variantTitle, unitPrice: a.amount / a.quantity, quantity: a.quantity }],
        });
        const r = await tx.updateTable("checkout_attempts").set({ status: "succeeded", order_id: o.id, updated_at: Date.now() }).where("id", "=", attemptId).where("status", "=", "pending").executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new AlreadySettled();
        return o;
      });
      // Published only now that the order is committed.
      const hostOrder = await orders.hostOrderView(created.id);
      if (hostOrder)
        bus.publish({ type: "order.paid", orderId: created.id, merchantId: v.merchantId, showId: a.show_id, buyerId: a.buyer_user_id, hostOrder, productIds: [v.productId] });
      bus.publish({ type: "stock.changed", productId: v.productId });
      deps.onOutcome?.("succeeded");
      return { ok: true, order: (await orders.get(created.id))!, replayed: false };
    }
    const code: ErrorCode = charge?.status === "declined" ? "payment_declined" : "payment_failed";
    await db.transaction().execute(async (tx) => {
      const r = await tx
        .updateTable("checkout_attempts")
        .set({ status: charge?.status === "declined" ? "declined" : "failed", error_code: code, updated_at: Date.now() })
        .where("id", "=", attemptId)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new AlreadySettled();
      await catalog.returnStock(tx, a.variant_id, a.quantity);
    });
    deps.onOutcome?.(code);
    const detail = charge?.status === "declined" ? `Declined: ${charge.declineCode}.` : undefined;
    return fail(code, detail);
  }

  async function run(user: User, key: string, body: Body, requestHash: string): Promise<BuyNowResult> {
    const previous = await replay(user.id, key, requestHash);
    if (previous) return previous;

    const v = await catalog.variantForSale(db, body.variantId);
    if (!v) return fail("not_found", "No such product variant.");
    if (!v.available) return fail("product_unavailable");
    // A partner store's product is bought on that store (through /go/:showId/:productId), never here.
    if (v.external) return fail("product_external");
    const ctx = await deps.shows.saleContext(body.showId, v.productId);
    if (!ctx.ok) return ctx;

    // Step 1: reserve the units and record the attempt, atomically.
    const attemptId = newId("chk");
    const amount = v.price * body.quantity;
    try {
      await db.transaction().execute(async (tx) => {
        if (!(await catalog.takeStock(tx, v.variantId, body.quantity))) throw new StockTaken();
        const now = Date.now();
        try {
          await tx
            .insertInto("checkout_attempts")
            .values({
              id: attemptId,
              buyer_user_id: user.id,
              idempotency_key: key,
              request_hash: requestHash,
              status: "pending",
              show_id: body.showId,
              variant_id: v.variantId,
              quantity: body.quantity,
              amount,
              currency: v.currency,
              shipping: JSON.stringify(body.shipping),
              order_id: null,
              error_code: null,
              created_at: now,
              updated_at: now,
            })
            .execute();
        } catch (err) {
          if (String(err).toLowerCase().includes("unique")) throw new DuplicateKey();
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof StockTaken) {
        deps.onOutcome?.("out_of_stock");
        return fail("out_of_stock", v.stock > 0 ? `Only ${v.stock} left.` : undefined);
      }
      if (err instanceof DuplicateKey) return (await replay(user.id, key, requestHash)) ?? fail("checkout_in_progress");
      throw err;
    }
    bus.publish({ type: "stock.changed", productId: v.productId });

    // Step 2: take the payment. Step 3 (settle) creates the order or compensates.
    let charge: ChargeResult | null;
    try {
      charge = await payments.charge({ idempotencyKey: attemptId, amount, currency: v.currency, card: body.card });
    } catch {
      // Outcome unknown: ask the provider what it recorded under our key.
      charge = await payments.lookup(attemptId).catch(() => null);
      if (!charge) return fail("checkout_in_progress", "The payment is being confirmed; check your orders in a moment.");
    }
    return settle(attemptId, charge);
  }

  return {
    async buyNow(user, key, body) {
      const requestHash = hashRequest(body);
      const slot = `${user.id}\u0000${key}`;
      const running = inFlight.get(slot);
      if (running) {
        const r = await running;
        return r.ok ? { ...r, replayed: true } : r;
      }
      const p = run(user, key, body, requestHash).finally(() => inFlight.delete(slot));
      inFlight.set(slot, p);
      return p;
    },

    async recoverPending(opts = {}) {
      const { olderThanMs } = opts;
      const now = Date.now();
      let q = db.selectFrom("checkout_attempts").select(["id", "updated_at"]).where("status", "=", "pending");
      if (olderThanMs !== undefined) q = q.where("updated_at", "<", now - olderThanMs);
      let settled = 0;
      for (const a of await q.execute()) {
        if (olderThanMs !== undefined) {
          // Claim it: only the node whose UPDATE matched settles it (another recovering node sees a new updated_at).
          const claimed = await db.updateTable("checkout_attempts").set({ updated_at: now }).where("id", "=", a.id).where("status", "=", "pending").where("updated_at", "=", a.updated_at).executeTakeFirst();
          if (Number(claimed.numUpdatedRows) !== 1) continue;
        }
        const charge = await payments.lookup(a.id);
        await settle(a.id, charge);
        settled++;
      }
      return settled;
    },
  };
}

