import type { User } from "../../shared/contracts/accounts.ts";
import type { ShippingAddress } from "../../shared/contracts/checkout.ts";
import type { Order } from "../../shared/contracts/checkout.ts";
import type { FlashAttemptResult, FlashOutcome, FlashSale, FlashSaleInput, FlashSaleStats } from "../../shared/contracts/flash-sales.ts";
import type { Db, DbOrTx } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import type { DomainEvent } from "../events.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Orders } from "../checkout/orders.ts";
import type { PaymentProvider } from "../checkout/payments.ts";
import type SQLite from "better-sqlite3";
import { GroupCommit } from "./group-commit.ts";
import { createJournal, type JournalEntry } from "./journal.ts";
import { SaleBook, type Hold, type RestoredSale } from "./engine.ts";
import type { FlashSalesTables } from "./schema.ts";
import type { Broker } from "../platform/broker.ts";
import type { SaleOwnership } from "./ownership.ts";
import { createForwarding, type Forwarding, type PayBody } from "./forwarding.ts";

type SaleRow = FlashSalesTables["flash_sales"];

interface Live {
  row: SaleRow;
  book: SaleBook;
  title: string;
  variantTitle: string;
  image: string | null;
  revenue: number;
  /** when the last unit was taken, while none is left (null: units left, or not known since a restart) */
  soldOutAt: number | null;
}

/**
 * `flash.updated` with `at`: the instant of the sale's latest change a viewer sees happen on the
 * host's camera (see `changedAt`). The room passes it on in `flash.state`. (`at` rides along on the
 * bus event; src/server/events.ts does not declare it.)
 */
export type FlashUpdated = Extract<DomainEvent, { type: "flash.updated" }>;

/**
 * The instant (the engine's clock, which is the stream's PROGRAM-DATE-TIME clock in production) of the
 * sale's latest change that viewers should see on the frame it happened on: its end, else the last
 * unit taken while none is left (sold out), else its opening, else its launch. Stock moving up and down
 * between these is not a change of its own: it keeps the instant it follows.
 */
function changedAt(l: Pick<Live, "row" | "book" | "soldOutAt">, now: number): number {
  const { row, book } = l;
  if (now >= row.ends_at) return row.ends_at;
  const opened = now >= row.opens_at ? row.opens_at : row.created_at;
  return book.available === 0 && l.soldOutAt !== null ? Math.max(opened, l.soldOutAt) : opened;
}

export interface FlashSales {
  create(user: User, showId: string, input: FlashSaleInput): Promise<Result<{ sale: FlashSale }>>;
  forShow(showId: string): FlashSale[];
  get(saleId: string): Promise<FlashSale | null>;
  /** Decides at once in memory; resolves when the decision is durable. */
  attempt(user: User, saleId: string, key: string): Promise<Result<{ result: FlashAttemptResult }>>;
  payHold(user: User, saleId: string, holdId: string, body: { shipping: ShippingAddress; card: { number: string; expMonth: number; expYear: number; cvc: string } }): Promise<Result<{ order: Order; replayed: boolean }>>;
  /** The buyer's own holds in a sale, so a winner who lost the answer can still find and pay theirs. */
  myHolds(user: User, saleId: string): Promise<{ holdId: string; status: "held" | "paid" | "expired"; expiresAt: string; orderId: string | null }[]>;
  /** Active sales, and with `includeEnded` the show's closed ones too (newest first). */
  listForShow(showId: string, includeEnded: boolean): Promise<FlashSale[]>;
  stats(user: User, saleId: string): Promise<Result<{ stats: FlashSaleStats }>>;
  audit(user: User, saleId: string, afterSeq: number, limit: number): Promise<Result<{ entries: { seq: number; at: string; buyerId: string; buyerName: string; outcome: FlashOutcome; holdId: string | null }[] }>>;
  /** Rebuilds every active sale from the database (crash recovery) and starts the timers. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** For tests: runs one expiry/settlement pass now. */
  tick(now?: number): Promise<void>;
}

export function createFlashSales(deps: {
  db: Db;
  /** SQLite's raw connection, when that is the database: the journal writes through it */
  sqlite?: SQLite.Database;
  bus: EventBus;
  catalog: Catalog;
  shows: Shows;
  orders: Orders;
  payments: PaymentProvider;
  holdMs: number;
  /** the engine's clock; tests move it instead of waiting for countdowns */
  clock?: () => number;
  log: { error(o: object, m: string): void; warn(o: object, m: string): void; info(o: object, m: string): void };
  onFatal(err: unknown): void;
  /**
   * Several nodes (PostgreSQL + BROKER_URL): each active sale has one owner node that decides; the
   * others forward to it (docs/multi-node.md#flash-sales-across-nodes). Absent: this process decides all.
   */
  cluster?: { broker: Broker; ownership: SaleOwnership };
}): FlashSales {
  const { db, bus, catalog, shows, orders, payments } = deps;
  const clock = deps.clock ?? Date.now;
  const live = new Map<string, Live>();
  /** attempts whose decision is not yet durable, so a replay of the key waits for it */
  const pendingDurability = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let publishTimer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;

  const store = deps.cluster ? deps.cluster.ownership.journal : createJournal({ db, sqlite: deps.sqlite });
  const journal = new GroupCommit<JournalEntry>((entries) => store.write(entries, clock()), { maxBatch: 5000, onFatal: deps.onFatal });

  function view(l: Live, now = clock()): FlashSale {
    const { row, book } = l;
    return {
      id: row.id,
      showId: row.show_id,
      productId: row.product_id,
      variantId: row.variant_id,
      title: l.title,
      variantTitle: l.variantTitle,
      image: l.image,
      regularPrice: row.regular_price,
      salePrice: row.sale_price,
      currency: row.currency,
      quantity: row.quantity,
      perBuyerLimit: row.per_buyer_limit,
      opensAt: iso(row.opens_at),
      endsAt: iso(row.ends_at),
      holdSeconds: Math.round(row.hold_ms / 1000),
      phase: book.phase(now),
      available: book.available,
      held: book.held,
      sold: book.sold,
      serverTime: iso(now),
    };
  }

  async function load(row: SaleRow, restored?: RestoredSale, register = true): Promise<Live> {
    const product = await catalog.get(row.product_id);
    const variant = product?.variants.find((v) => v.id === row.variant_id);
    const sold = await db
      .selectFrom("flash_holds")
      .innerJoin("orders", "orders.id", "flash_holds.order_id")
      .select((eb) => eb.fn.sum<number>("orders.total").as("revenue"))
      .where("flash_holds.sale_id", "=", row.id)
      .where("flash_holds.status", "=", "paid")
      .executeTakeFirst();
    const l: Live = {
      row,
      book: new SaleBook(
        { id: row.id, quantity: row.quantity, perBuyerLimit: row.per_buyer_limit, opensAt: row.opens_at, endsAt: row.ends_at, holdMs: row.hold_ms },
        () => newId("hld"),
        restored,
      ),
      title: product?.title ?? "",
      variantTitle: variant?.title ?? "",
      image: product?.images[0] ?? null,
      revenue: Number(sold?.revenue ?? 0),
      soldOutAt: null,
    };
    if (register) {
      live.set(row.id, l);
      dirty.add(row.id);
    }
    return l;
  }

  async function canManage(user: User, showId: string): Promise<Result<{}>> {
    const r = await shows.authorizeHost(user, showId);
    return r.ok ? { ok: true } : r;
  }

  async function restore(row: SaleRow): Promise<RestoredSale> {
    const attempts = await db.selectFrom("flash_attempts").selectAll().where("sale_id", "=", row.id).orderBy("seq").execute();
    const holds = await db.selectFrom("flash_holds").selectAll().where("sale_id", "=", row.id).execute();
    const decided: RestoredSale["decided"] = new Map();
    for (const a of attempts) decided.set(`${a.buyer_user_id}\u0000${a.idempotency_key}`, { outcome: a.outcome, seq: a.seq, receivedAt: a.received_at, holdId: a.hold_id });
    const buyerUnits = new Map<string, number>();
    const openHolds: Hold[] = [];
    let sold = 0;
    for (const h of holds) {
      if (h.status === "expired") continue;
      buyerUnits.set(h.buyer_user_id, (buyerUnits.get(h.buyer_user_id) ?? 0) + 1);
      if (h.status === "paid") sold++;
      else openHolds.push({ id: h.id, saleId: h.sale_id, buyerId: h.buyer_user_id, seq: h.seq, createdAt: h.created_at, expiresAt: h.expires_at, state: "held" });
    }
    return { seq: attempts.at(-1)?.seq ?? 0, attempts: attempts.length, sold, openHolds, buyerUnits, decided };
  }

  /** Step "create order" for a paid hold, in one transaction with the hold's new status. */
  async function recordPaid(l: Live, hold: { id: string; buyerId: string }, shipping: ShippingAddress, charge: { paymentId: string; cardLast4: string }) {
    const v = await catalog.variantForSale(db, l.row.variant_id);
    if (!v) throw new Error(`variant ${l.row.variant_id} vanished`);
    const created = await db.transaction().execute(async (tx) => {
      const o = await orders.insertPaid(tx, {
        merchantId: l.row.merchant_id,
        buyerId: hold.buyerId,
        showId: l.row.show_id,
        currency: l.row.currency,
        shipping,
        paymentId: charge.paymentId,
        cardLast4: charge.cardLast4,
        items: [{ productId: v.productId, variantId: v.variantId, title: v.productTitle, variantTitle: v.variantTitle, unitPrice: l.row.sale_price, quantity: 1 }],
      });
      await tx.updateTable("flash_holds").set({ status: "paid", order_id: o.id, updated_at: clock() }).where("id", "=", hold.id).execute();
      return o;
    });
    l.revenue += l.row.sale_price;
    const hostOrder = await orders.hostOrderView(created.id);
    if (hostOrder) bus.publish({ type: "order.paid", orderId: created.id, merchantId: l.row.merchant_id, showId: l.row.show_id, buyerId: hold.buyerId, hostOrder, productIds: [v.productId] });
    return created;
  }

  async function settleEnded(l: Live, now: number) {
    if (l.row.status !== "active" || !l.book.settled(now) || journal.pending) return;
    const unsold = l.row.quantity - l.book.sold;
    await db.transaction().execute(async (tx: DbOrTx) => {
      const res = await tx.updateTable("flash_sales").set({ status: "closed" }).where("id", "=", l.row.id).where("status", "=", "active").executeTakeFirst();
      // Units not sold go back to the variant's ordinary stock, once.
      if (Number(res.numUpdatedRows) === 1 && unsold > 0) await catalog.returnStock(tx, l.row.variant_id, unsold);
    });
    l.row.status = "closed";
    bus.publish({ type: "stock.changed", productId: l.row.product_id });
  }

  async function localAttempt(buyerId: string, saleId: string, key: string): Promise<Result<{ result: FlashAttemptResult }>> {
    const l = live.get(saleId);
    if (!l) {
      const row = await db.selectFrom("flash_sales").select(["id"]).where("id", "=", saleId).executeTakeFirst();
      if (!row) return fail("not_found", "No such flash sale.");
      return { ok: true, result: { saleId, key, outcome: "ended", seq: 0, holdId: null, holdExpiresAt: null } };
    }
    const d = l.book.attempt(buyerId, key, clock());
    if (!d.replay && d.hold && l.book.available === 0) l.soldOutAt = d.receivedAt;
    const k = `${saleId}\u0000${buyerId}\u0000${key}`;
    if (d.replay) {
      await pendingDurability.get(k);
    } else {
      const durable = journal.submit({ kind: "attempt", saleId, seq: d.seq, buyerId: buyerId, key, outcome: d.outcome, holdId: d.hold?.id ?? null, at: d.receivedAt, hold: d.hold });
      pendingDurability.set(k, durable);
      dirty.add(saleId);
      try {
        await durable;
      } finally {
        pendingDurability.delete(k);
      }
    }
    const decided = d.hold ?? null;
    return {
      ok: true,
      result: { saleId, key, outcome: d.outcome, seq: d.seq, holdId: decided?.id ?? null, holdExpiresAt: decided ? iso(decided.expiresAt) : null },
    };
  }

  async function localPay(buyerId: string, saleId: string, holdId: string, body: PayBody): Promise<Result<{ order: Order; replayed: boolean }>> {
    const l = live.get(saleId);
    const started = l ? l.book.beginPayment(holdId, buyerId, clock()) : "not_found";
    if (!l || started === "not_found") {
      // Not open in memory: an expired or already paid hold of this buyer, or a stranger's or made-up one.
      const h = await db.selectFrom("flash_holds").select(["status", "buyer_user_id", "order_id"]).where("id", "=", holdId).where("sale_id", "=", saleId).executeTakeFirst();
      if (h && h.buyer_user_id === buyerId && h.status === "expired") return fail("hold_expired");
      // A retry after a lost answer gets the order it already made.
      if (h && h.buyer_user_id === buyerId && h.status === "paid" && h.order_id) return { ok: true, order: (await orders.get(h.order_id))!, replayed: true };
      return fail("not_found", "No such hold.");
    }
    if (started === "expired") return fail("hold_expired");
    if (started === "busy") return fail("checkout_in_progress");
    let paid = false;
    try {
      // Count the attempt durably first, so recovery knows which provider key to ask about.
      const row = await db
        .updateTable("flash_holds")
        .set((eb) => ({ payment_attempts: eb("payment_attempts", "+", 1), shipping: JSON.stringify(body.shipping) }))
        .where("id", "=", holdId)
        .returning("payment_attempts")
        .executeTakeFirstOrThrow();
      const charge = await payments.charge({ idempotencyKey: `${holdId}:${row.payment_attempts}`, amount: l.row.sale_price, currency: l.row.currency, card: body.card });
      if (charge.status !== "succeeded") return fail(charge.status === "declined" ? "payment_declined" : "payment_failed", charge.status === "declined" ? `Declined: ${charge.declineCode}.` : undefined);
      const created = await recordPaid(l, { id: holdId, buyerId: buyerId }, body.shipping, charge);
      paid = true;
      return { ok: true, order: (await orders.get(created.id))!, replayed: false };
    } finally {
      l.book.endPayment(holdId, paid, clock());
      dirty.add(saleId);
    }
  }

  /** Rebuilds one active sale's book from the database (start-up, or taking a sale over in a cluster). */
  async function recoverSale(row: SaleRow) {
    const restored = await restore(row);
    const l = await load(row, restored);
    // A payment may have been in flight at the crash: ask the provider what it recorded.
    const inFlight = await db.selectFrom("flash_holds").selectAll().where("sale_id", "=", row.id).where("status", "=", "held").where("payment_attempts", ">", 0).execute();
    for (const h of inFlight) {
      const charge = await payments.lookup(`${h.id}:${h.payment_attempts}`);
      if (charge?.status !== "succeeded") continue;
      l.book.beginPayment(h.id, h.buyer_user_id, h.expires_at - 1);
      await recordPaid(l, { id: h.id, buyerId: h.buyer_user_id }, JSON.parse(h.shipping!), charge);
      l.book.endPayment(h.id, true, clock());
    }
    deps.log.info({ saleId: row.id, attempts: restored.attempts, sold: l.book.sold, held: l.book.held }, "flash sale restored");
  }

  const claims = new Map<string, Promise<boolean>>();
  /**
   * Cluster: takes the sale's lock if nobody holds it, rebuilds its book and answers for it from now on.
   * True when this node decides the sale locally now (or it is not active: then nobody needs to own it).
   */
  function claim(saleId: string): Promise<boolean> {
    if (live.has(saleId)) return Promise.resolve(true);
    let p = claims.get(saleId);
    if (!p) {
      p = (async () => {
        const ownership = deps.cluster!.ownership;
        if (!(await ownership.tryOwn(saleId))) return false;
        const row = await db.selectFrom("flash_sales").selectAll().where("id", "=", saleId).executeTakeFirst();
        if (!row || row.status !== "active") {
          await ownership.release(saleId);
          forwarding!.dropView(saleId);
          return true;
        }
        try {
          await recoverSale(row);
        } catch (err) {
          // Not rebuilt: give the sale back, so this node or another can try again.
          live.delete(saleId);
          await ownership.release(saleId).catch(() => {});
          throw err;
        }
        forwarding!.serve(saleId);
        deps.log.info({ saleId, node: deps.cluster!.broker.nodeId }, "flash sale owned by this node");
        return true;
      })().finally(() => claims.delete(saleId));
      claims.set(saleId, p);
    }
    return p;
  }

  /** Cluster: every active sale gets an owner (a dead owner's sales are taken over even with no buyer asking). */
  async function sweep() {
    const rows = await db.selectFrom("flash_sales").selectAll().where("status", "=", "active").execute();
    const now = clock();
    for (const row of rows) {
      if (live.has(row.id) || (await claim(row.id))) continue;
      // Owned elsewhere: until its owner's next update, show what the database says.
      if (!forwarding!.hasView(row.id)) forwarding!.setView(view(await load(row, await restore(row), false), now));
    }
    const active = new Set(rows.map((r) => r.id));
    for (const l of live.values()) active.add(l.row.id);
    for (const id of forwarding!.viewIds()) if (!active.has(id)) forwarding!.dropView(id);
  }

  const forwarding: Forwarding | null = deps.cluster
    ? createForwarding({
        broker: deps.cluster.broker,
        bus,
        claim,
        owns: (saleId) => live.has(saleId),
        local: { attempt: localAttempt, pay: localPay },
        log: deps.log,
      })
    : null;

  const self: FlashSales = {
    async create(user, showId, input) {
      const allowed = await canManage(user, showId);
      if (!allowed.ok) return allowed;
      const v = await catalog.variantForSale(db, input.variantId);
      if (!v) return fail("not_found", "No such product variant.");
      if (v.external) return fail("product_external", "A partner store's product cannot have a flash sale here: its stock is the store's.");
      const ctx = await shows.saleContext(showId, v.productId);
      if (!ctx.ok) return ctx;
      if (input.perBuyerLimit > input.quantity) return fail("validation_failed", "The per-buyer limit cannot exceed the quantity.");
      const now = clock();
      const row: SaleRow = {
        id: newId("fls"),
        show_id: showId,
        merchant_id: v.merchantId,
        product_id: v.productId,
        variant_id: v.variantId,
        regular_price: v.price,
        sale_price: input.salePrice,
        currency: v.currency,
        quantity: input.quantity,
        per_buyer_limit: input.perBuyerLimit,
        opens_at: now + input.countdownSeconds * 1000,
        ends_at: now + (input.countdownSeconds + input.durationSeconds) * 1000,
        hold_ms: deps.holdMs,
        created_by: user.id,
        created_at: now,
        status: "active",
      };
      // The sale's units leave the ordinary stock at once, so buy-now can never sell them too.
      const ok = await db.transaction().execute(async (tx) => {
        if (!(await catalog.takeStock(tx, v.variantId, input.quantity))) return false;
        await tx.insertInto("flash_sales").values(row).execute();
        return true;
      });
      if (!ok) return fail("out_of_stock", `Only ${v.stock} in stock for this variant.`);
      bus.publish({ type: "stock.changed", productId: v.productId });
      if (forwarding) {
        // The launching node owns the new sale (or, should its lock key be taken, whoever holds it).
        await claim(row.id);
        const l = live.get(row.id);
        if (l) return { ok: true, sale: view(l) };
        const v2 = view(await load(row, undefined, false));
        forwarding.setView(v2);
        return { ok: true, sale: v2 };
      }
      const l = await load(row);
      return { ok: true, sale: view(l) };
    },

    forShow(showId) {
      const now = clock();
      const mine = [...live.values()].filter((l) => l.row.show_id === showId && l.row.status === "active").map((l) => view(l, now));
      return forwarding ? [...mine, ...forwarding.viewsOf(showId).filter((v) => !live.has(v.id))] : mine;
    },

    async get(saleId) {
      const l = live.get(saleId);
      return l ? view(l) : (forwarding?.viewOf(saleId) ?? null);
    },

    async listForShow(showId, includeEnded) {
      const active = self.forShow(showId);
      if (!includeEnded) return active;
      const closed = await db.selectFrom("flash_sales").selectAll().where("show_id", "=", showId).where("status", "=", "closed").orderBy("created_at", "desc").limit(50).execute();
      const views: FlashSale[] = [];
      for (const row of closed) {
        const cached = live.get(row.id);
        views.push(view(cached ?? (await load(row, await restore(row), !forwarding))));
      }
      return [...active, ...views.filter((v) => !active.some((a) => a.id === v.id))];
    },

    async myHolds(user, saleId) {
      const rows = await db.selectFrom("flash_holds").select(["id", "status", "expires_at", "order_id"]).where("sale_id", "=", saleId).where("buyer_user_id", "=", user.id).orderBy("seq").execute();
      return rows.map((r) => ({ holdId: r.id, status: r.status, expiresAt: iso(r.expires_at), orderId: r.order_id }));
    },

    async attempt(user, saleId, key) {
      if (forwarding && !live.has(saleId)) return forwarding.attempt(user.id, saleId, key);
      return localAttempt(user.id, saleId, key);
    },

    async payHold(user, saleId, holdId, body) {
      if (forwarding && !live.has(saleId)) return forwarding.payHold(user.id, saleId, holdId, body);
      return localPay(user.id, saleId, holdId, body);
    },

    async stats(user, saleId) {
      const l = live.get(saleId);
      const row = l?.row ?? (await db.selectFrom("flash_sales").selectAll().where("id", "=", saleId).executeTakeFirst());
      if (!row) return fail("not_found", "No such flash sale.");
      const allowed = await canManage(user, row.show_id);
      if (!allowed.ok) return allowed;
      const current = l ?? (await load(row, await restore(row), !forwarding));
      return { ok: true, stats: { ...view(current), attempts: current.book.attempts, revenue: current.revenue, outcomes: { ...current.book.outcomeCounts } } };
    },

    async audit(user, saleId, afterSeq, limit) {
      const row = await db.selectFrom("flash_sales").select(["show_id"]).where("id", "=", saleId).executeTakeFirst();
      if (!row) return fail("not_found", "No such flash sale.");
      const allowed = await canManage(user, row.show_id);
      if (!allowed.ok) return allowed;
      const rows = await db
        .selectFrom("flash_attempts")
        .leftJoin("users", "users.id", "flash_attempts.buyer_user_id")
        .select(["flash_attempts.seq", "flash_attempts.received_at", "flash_attempts.buyer_user_id", "users.display_name", "flash_attempts.outcome", "flash_attempts.hold_id"])
        .where("flash_attempts.sale_id", "=", saleId)
        .where("flash_attempts.seq", ">", afterSeq)
        .orderBy("flash_attempts.seq")
        .limit(limit)
        .execute();
      return {
        ok: true,
        entries: rows.map((r) => ({ seq: r.seq, at: iso(r.received_at), buyerId: r.buyer_user_id, buyerName: r.display_name ?? "", outcome: r.outcome, holdId: r.hold_id })),
      };
    },

    async start() {
      if (forwarding) {
        // In a cluster a starting node rebuilds only the sales nobody owns; the others stay their owners'.
        await sweep();
        sweepTimer = setInterval(() => void sweep().catch((err) => deps.log.error({ err }, "flash-sale ownership sweep failed")), 2000);
        sweepTimer.unref();
      } else {
        const rows = await db.selectFrom("flash_sales").selectAll().where("status", "=", "active").execute();
        for (const row of rows) await recoverSale(row);
      }
      timer = setInterval(() => void self.tick().catch((err) => deps.log.error({ err }, "flash-sale tick failed")), 250);
      timer.unref();
      let beat = 0;
      publishTimer = setInterval(() => {
        const now = clock();
        // In a cluster the owner repeats every sale's state each second, so other nodes' newcomers have it.
        if (forwarding && ++beat % 10 === 0) for (const id of live.keys()) dirty.add(id);
        for (const saleId of dirty) {
          const l = live.get(saleId);
          if (!l) continue;
          const event: FlashUpdated = { type: "flash.updated", showId: l.row.show_id, sale: view(l, now), at: changedAt(l, now) };
          bus.publish(event);
        }
        dirty.clear();
      }, 100);
      publishTimer.unref();
    },

    async tick(now = clock()) {
      for (const l of live.values()) {
        const expired = l.book.expire(now);
        if (expired.length) {
          dirty.add(l.row.id);
          await journal.submit({ kind: "expired", holdIds: expired.map((h) => h.id), at: now });
        }
        const phaseBefore = l.book.phase(now - 250);
        if (phaseBefore !== l.book.phase(now)) dirty.add(l.row.id);
        await settleEnded(l, now);
        if (l.row.status === "closed" && now > l.row.ends_at + 60_000) {
          live.delete(l.row.id);
          if (forwarding) {
            forwarding.unserve(l.row.id);
            await deps.cluster!.ownership.release(l.row.id);
          }
        }
      }
    },

    async close() {
      clearInterval(timer);
      clearInterval(publishTimer);
      clearInterval(sweepTimer);
      forwarding?.close();
      await journal.drain();
    },
  };
  return self;
}
