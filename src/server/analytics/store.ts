import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { Rollup } from "./rollup.ts";
import type { AnalyticsTables } from "./schema.ts";

export type AnalyticsDb = Kysely<AnalyticsTables>;

export interface ShowDimension {
  showId: string;
  merchantId: string;
  hostId: string;
  title: string;
}

/** Whose shows a report may cover: everyone's (admin), or a merchant's and a host's. */
export type Scope = { all: true } | { all: false; merchantId: string | null; hostId: string };

/** Rows a report is built from, one per show (or product) per UTC day. */
export interface ShowDayRow { showId: string; day: number; peakViewers: number; likes: number; chatMessages: number; ordersPaid: number; ordersRefunded: number }
export interface ProductDayRow { showId: string; productId: string; day: number; cardsShown: number; cardsTapped: number; checkoutsStarted: number }
export interface SalesDayRow { showId: string; productId: string; currency: string; day: number; ordersPaid: number; unitsPaid: number; gmv: number; ordersRefunded: number; unitsRefunded: number; refunded: number }

const DAY_MS = 86_400_000;
/** Multi-row upserts per statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 400;

const chunks = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

/** The rollup tables: upserts that add, and the reads of the live view and of reports. */
export function createRollupStore(db: AnalyticsDb, dialect: "sqlite" | "postgres") {
  const plus = (table: string, col: string): RawBuilder<number> => sql<number>`${sql.ref(`${table}.${col}`)} + ${sql.ref(`excluded.${col}`)}`;
  const greatest = (table: string, col: string): RawBuilder<number> =>
    dialect === "postgres" ? sql<number>`greatest(${sql.ref(`${table}.${col}`)}, ${sql.ref(`excluded.${col}`)})` : sql<number>`max(${sql.ref(`${table}.${col}`)}, ${sql.ref(`excluded.${col}`)})`;
  const num = (v: unknown) => Number(v ?? 0);
  // A literal divisor, so the grouped expression and the selected one are the same text on PostgreSQL.
  const dayOf = (col: string) => sql<number>`(${sql.ref(col)} / ${sql.lit(DAY_MS)})`;

  return {
    /** Adds a rollup to the tables (and records who the shows belong to), in one transaction. */
    async write(r: Rollup, dimensions: ShowDimension[], now: number) {
      await db.transaction().execute(async (tx) => {
        for (const part of chunks(dimensions)) {
          await tx
            .insertInto("analytics_shows")
            .values(part.map((d) => ({ show_id: d.showId, merchant_id: d.merchantId, host_user_id: d.hostId, title: d.title, updated_at: now })))
            .onConflict((oc) =>
              oc.column("show_id").doUpdateSet({
                merchant_id: (eb) => eb.ref("excluded.merchant_id"),
                host_user_id: (eb) => eb.ref("excluded.host_user_id"),
                title: (eb) => eb.ref("excluded.title"),
                updated_at: (eb) => eb.ref("excluded.updated_at"),
              }),
            )
            .execute();
        }
        const T = "analytics_show_minutes";
        for (const part of chunks([...r.shows.values()])) {
          await tx
            .insertInto(T)
            .values(
              part.map((c) => ({
                show_id: c.showId,
                minute: c.minute,
                viewers_max: c.v.viewersMax,
                viewers_last: c.v.viewersLast,
                joins: c.v.joins,
                likes: c.v.likes,
                chat_messages: c.v.chatMessages,
                orders_paid: c.v.ordersPaid,
                orders_refunded: c.v.ordersRefunded,
              })),
            )
            .onConflict((oc) =>
              oc.columns(["show_id", "minute"]).doUpdateSet({
                viewers_max: greatest(T, "viewers_max"),
                viewers_last: sql<number | null>`coalesce(${sql.ref("excluded.viewers_last")}, ${sql.ref(`${T}.viewers_last`)})`,
                joins: plus(T, "joins"),
                likes: plus(T, "likes"),
                chat_messages: plus(T, "chat_messages"),
                orders_paid: plus(T, "orders_paid"),
                orders_refunded: plus(T, "orders_refunded"),
              }),
            )
            .execute();
        }
        const P = "analytics_product_minutes";
        for (const part of chunks([...r.products.values()])) {
          await tx
            .insertInto(P)
            .values(
              part.map((c) => ({
                show_id: c.showId,
                product_id: c.productId,
                minute: c.minute,
                cards_shown: c.v.cardsShown,
                cards_tapped: c.v.cardsTapped,
                checkouts_started: c.v.checkoutsStarted,
              })),
            )
            .onConflict((oc) =>
              oc.columns(["show_id", "product_id", "minute"]).doUpdateSet({
                cards_shown: plus(P, "cards_shown"),
                cards_tapped: plus(P, "cards_tapped"),
                checkouts_started: plus(P, "checkouts_started"),
              }),
            )
            .execute();
        }
        const S = "analytics_sales_minutes";
        for (const part of chunks([...r.sales.values()])) {
          await tx
            .insertInto(S)
            .values(
              part.map((c) => ({
                show_id: c.showId,
                product_id: c.productId,
                currency: c.currency,
                minute: c.minute,
                orders_paid: c.v.ordersPaid,
                units_paid: c.v.unitsPaid,
                gmv: c.v.gmv,
                orders_refunded: c.v.ordersRefunded,
                units_refunded: c.v.unitsRefunded,
                refunded: c.v.refunded,
              })),
            )
            .onConflict((oc) =>
              oc.columns(["show_id", "product_id", "currency", "minute"]).doUpdateSet({
                orders_paid: plus(S, "orders_paid"),
                units_paid: plus(S, "units_paid"),
                gmv: plus(S, "gmv"),
                orders_refunded: plus(S, "orders_refunded"),
                units_refunded: plus(S, "units_refunded"),
                refunded: plus(S, "refunded"),
              }),
            )
            .execute();
        }
      });
    },

    /** Everything stored about one show, minute by minute (three indexed range reads). */
    async readShow(showId: string): Promise<Rollup> {
      const [shows, products, sales] = await Promise.all([
        db.selectFrom("analytics_show_minutes").selectAll().where("show_id", "=", showId).execute(),
        db.selectFrom("analytics_product_minutes").selectAll().where("show_id", "=", showId).execute(),
        db.selectFrom("analytics_sales_minutes").selectAll().where("show_id", "=", showId).execute(),
      ]);
      const r = new Rollup();
      for (const row of shows) {
        const s = r.show(showId, num(row.minute));
        s.viewersMax = num(row.viewers_max);
        s.viewersLast = row.viewers_last === null ? null : num(row.viewers_last);
        s.joins = num(row.joins);
        s.likes = num(row.likes);
        s.chatMessages = num(row.chat_messages);
        s.ordersPaid = num(row.orders_paid);
        s.ordersRefunded = num(row.orders_refunded);
      }
      for (const row of products) {
        const p = r.product(showId, row.product_id, num(row.minute));
        p.cardsShown = num(row.cards_shown);
        p.cardsTapped = num(row.cards_tapped);
        p.checkoutsStarted = num(row.checkouts_started);
      }
      for (const row of sales) {
        const s = r.salesOf(showId, row.product_id, row.currency, num(row.minute));
        s.ordersPaid = num(row.orders_paid);
        s.unitsPaid = num(row.units_paid);
        s.gmv = num(row.gmv);
        s.ordersRefunded = num(row.orders_refunded);
        s.unitsRefunded = num(row.units_refunded);
        s.refunded = num(row.refunded);
      }
      return r;
    },

    async dimensions(showIds: string[]): Promise<ShowDimension[]> {
      if (!showIds.length) return [];
      const rows = await db.selectFrom("analytics_shows").selectAll().where("show_id", "in", showIds).execute();
      return rows.map((r) => ({ showId: r.show_id, merchantId: r.merchant_id, hostId: r.host_user_id, title: r.title }));
    },

    /**
     * A report's rows, summed per show (and product) per UTC day over [from, to), within the scope.
     * With `productId`, the room figures are not read (they belong to shows, not products).
     */
    async reportRows(q: { from: number; to: number; scope: Scope; showId?: string; productId?: string }) {
      /** The period, the show or product asked for, and whose shows (`d`: analytics_shows) may be seen. */
      const within = (alias: "m" | "p" | "s"): RawBuilder<SqlBool> => {
        const col = (c: string) => sql.ref(`${alias}.${c}`);
        const parts = [sql`${col("minute")} >= ${q.from}`, sql`${col("minute")} < ${q.to}`];
        if (q.showId) parts.push(sql`${col("show_id")} = ${q.showId}`);
        if (q.productId && alias !== "m") parts.push(sql`${col("product_id")} = ${q.productId}`);
        if (!q.scope.all) {
          const whose = [sql`${sql.ref("d.host_user_id")} = ${q.scope.hostId}`];
          if (q.scope.merchantId) whose.push(sql`${sql.ref("d.merchant_id")} = ${q.scope.merchantId}`);
          parts.push(sql`(${sql.join(whose, sql` or `)})`);
        }
        return sql<SqlBool>`${sql.join(parts, sql` and `)}`;
      };

      const showRows = q.productId
        ? []
        : await db
            .selectFrom("analytics_show_minutes as m")
            .innerJoin("analytics_shows as d", "d.show_id", "m.show_id")
            .select((eb) => [
              "m.show_id",
              dayOf("m.minute").as("day"),
              eb.fn.max("m.viewers_max").as("peak"),
              eb.fn.sum("m.likes").as("likes"),
              eb.fn.sum("m.chat_messages").as("chat"),
              eb.fn.sum("m.orders_paid").as("paid"),
              eb.fn.sum("m.orders_refunded").as("refunded"),
            ])
            .where(within("m"))
            .groupBy(["m.show_id", dayOf("m.minute")])
            .execute();
      const productRows = await db
        .selectFrom("analytics_product_minutes as p")
        .innerJoin("analytics_shows as d", "d.show_id", "p.show_id")
        .select((eb) => [
          "p.show_id",
          "p.product_id",
          dayOf("p.minute").as("day"),
          eb.fn.sum("p.cards_shown").as("shown"),
          eb.fn.sum("p.cards_tapped").as("tapped"),
          eb.fn.sum("p.checkouts_started").as("started"),
        ])
        .where(within("p"))
        .groupBy(["p.show_id", "p.product_id", dayOf("p.minute")])
        .execute();
      const salesRows = await db
        .selectFrom("analytics_sales_minutes as s")
        .innerJoin("analytics_shows as d", "d.show_id", "s.show_id")
        .select((eb) => [
          "s.show_id",
          "s.product_id",
          "s.currency",
          dayOf("s.minute").as("day"),
          eb.fn.sum("s.orders_paid").as("paid"),
          eb.fn.sum("s.units_paid").as("units"),
          eb.fn.sum("s.gmv").as("gmv"),
          eb.fn.sum("s.orders_refunded").as("refunds"),
          eb.fn.sum("s.units_refunded").as("units_refunded"),
          eb.fn.sum("s.refunded").as("refunded"),
        ])
        .where(within("s"))
        .groupBy(["s.show_id", "s.product_id", "s.currency", dayOf("s.minute")])
        .execute();

      return {
        shows: showRows.map(
          (r): ShowDayRow => ({ showId: r.show_id, day: num(r.day) * DAY_MS, peakViewers: num(r.peak), likes: num(r.likes), chatMessages: num(r.chat), ordersPaid: num(r.paid), ordersRefunded: num(r.refunded) }),
        ),
        products: productRows.map(
          (r): ProductDayRow => ({ showId: r.show_id, productId: r.product_id, day: num(r.day) * DAY_MS, cardsShown: num(r.shown), cardsTapped: num(r.tapped), checkoutsStarted: num(r.started) }),
        ),
        sales: salesRows.map(
          (r): SalesDayRow => ({
            showId: r.show_id,
            productId: r.product_id,
            currency: r.currency,
            day: num(r.day) * DAY_MS,
            ordersPaid: num(r.paid),
            unitsPaid: num(r.units),
            gmv: num(r.gmv),
            ordersRefunded: num(r.refunds),
            unitsRefunded: num(r.units_refunded),
            refunded: num(r.refunded),
          }),
        ),
      };
    },
  };
}

export type RollupStore = ReturnType<typeof createRollupStore>;
