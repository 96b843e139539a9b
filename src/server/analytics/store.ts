import { sql, type Kysely, type RawBuilder, type SqlBool } from "kysely";
import { Rollup } from "./rollup.ts";
import type { AnalyticsTables } from "./schema.ts";

export type AnalyticsDb = Kysely<AnalyticsTables>;

export interface ShowDimension {
  showId: string;
  merchantId: string;
  hostId: string;
  title: string;
  /** the campaign a creator's show sells for; null (or left out) for a merchant's own show */
  campaignId?: string | null;
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

  /**
   * Multi-row upserts that add: every counter column adds the stored value and the new one, except
   * `viewers_max` (the larger one) and `viewers_last` (the newer sample, when there is one).
   */
  async function upsertAdding(tx: Kysely<any>, table: string, keys: string[], rows: Record<string, number | string | null>[]) {
    if (!rows.length) return;
    const counters = Object.keys(rows[0]!).filter((c) => !keys.includes(c));
    const merge = Object.fromEntries(
      counters.map((c) => [
        c,
        c === "viewers_max" ? greatest(table, c) : c === "viewers_last" ? sql`coalesce(${sql.ref(`excluded.${c}`)}, ${sql.ref(`${table}.${c}`)})` : plus(table, c),
      ]),
    );
    for (const part of chunks(rows)) await tx.insertInto(table).values(part).onConflict((oc) => oc.columns(keys).doUpdateSet(merge)).execute();
  }

  return {
    /** Adds a rollup to the tables (and records who the shows belong to), in one transaction. */
    async write(r: Rollup, dimensions: ShowDimension[], now: number) {
      await db.transaction().execute(async (typed) => {
        const tx = typed as unknown as Kysely<any>;
        for (const part of chunks(dimensions)) {
          await typed
            .insertInto("analytics_shows")
            .values(part.map((d) => ({ show_id: d.showId, merchant_id: d.merchantId, host_user_id: d.hostId, title: d.title, campaign_id: d.campaignId ?? null, updated_at: now })))
            .onConflict((oc) =>
              oc.column("show_id").doUpdateSet({
                merchant_id: (eb) => eb.ref("excluded.merchant_id"),
                host_user_id: (eb) => eb.ref("excluded.host_user_id"),
                title: (eb) => eb.ref("excluded.title"),
                campaign_id: (eb) => eb.ref("excluded.campaign_id"),
                updated_at: (eb) => eb.ref("excluded.updated_at"),
              }),
            )
            .execute();
        }
        const minuteRows = rowsOf(r);
        await upsertAdding(tx, "analytics_show_minutes", ["show_id", "minute"], minuteRows.shows);
        await upsertAdding(tx, "analytics_product_minutes", ["show_id", "product_id", "minute"], minuteRows.products);
        await upsertAdding(tx, "analytics_sales_minutes", ["show_id", "product_id", "currency", "minute"], minuteRows.sales);
        const days = dayRows(minuteRows);
        await upsertAdding(tx, "analytics_show_days", ["show_id", "day"], days.shows);
        await upsertAdding(tx, "analytics_product_days", ["show_id", "product_id", "day"], days.products);
        await upsertAdding(tx, "analytics_sales_days", ["show_id", "product_id", "currency", "day"], days.sales);
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
      return rows.map((r) => ({ showId: r.show_id, merchantId: r.merchant_id, hostId: r.host_user_id, title: r.title, campaignId: r.campaign_id }));
    },

    /**
     * A report's rows, summed per show (and product) per UTC day over [from, to), within the scope.
     * With `productId`, the room figures are not read (they belong to shows, not products).
     * `hostUserId` (a creator's shows) and `campaignId` narrow the shows further, within the scope.
     */
    async reportRows(q: { from: number; to: number; scope: Scope; showId?: string; productId?: string; hostUserId?: string; campaignId?: string }) {
      // Whole UTC days come from the day tables; the partial days at either edge from the minutes.
      const firstDay = Math.ceil(q.from / DAY_MS) * DAY_MS;
      const lastDay = Math.floor(q.to / DAY_MS) * DAY_MS;
      const spans: { grain: "minute" | "day"; from: number; to: number }[] =
        firstDay < lastDay
          ? [
              ...(q.from < firstDay ? [{ grain: "minute" as const, from: q.from, to: firstDay }] : []),
              { grain: "day", from: firstDay, to: lastDay },
              ...(lastDay < q.to ? [{ grain: "minute" as const, from: lastDay, to: q.to }] : []),
            ]
          : [{ grain: "minute", from: q.from, to: q.to }];
      const parts = [];
      for (const span of spans) parts.push(await readSpan(span.grain, span.from, span.to));
      return { shows: parts.flatMap((p) => p.shows), products: parts.flatMap((p) => p.products), sales: parts.flatMap((p) => p.sales) };

      /** One span's rows from the minute or the day tables (the same columns, keyed by `minute` or `day`). */
      async function readSpan(grain: "minute" | "day", from: number, to: number) {
        const anyDb = db as Kysely<any>;
        /** The period, the show or product asked for, and whose shows (`d`: analytics_shows) may be seen. */
        const within = (alias: "m" | "p" | "s"): RawBuilder<SqlBool> => {
          const col = (c: string) => sql.ref(`${alias}.${c}`);
          const parts = [sql`${col(grain)} >= ${from}`, sql`${col(grain)} < ${to}`];
          if (q.showId) parts.push(sql`${col("show_id")} = ${q.showId}`);
          if (q.productId && alias !== "m") parts.push(sql`${col("product_id")} = ${q.productId}`);
          if (q.hostUserId) parts.push(sql`${sql.ref("d.host_user_id")} = ${q.hostUserId}`);
          if (q.campaignId) parts.push(sql`${sql.ref("d.campaign_id")} = ${q.campaignId}`);
          if (!q.scope.all) {
            const whose = [sql`${sql.ref("d.host_user_id")} = ${q.scope.hostId}`];
            if (q.scope.merchantId) whose.push(sql`${sql.ref("d.merchant_id")} = ${q.scope.merchantId}`);
            parts.push(sql`(${sql.join(whose, sql` or `)})`);
          }
          return sql<SqlBool>`${sql.join(parts, sql` and `)}`;
        };

        // A day row is already one show (and product) on one day: only minutes need summing.
        const sum = (col: string) => (grain === "day" ? sql.ref(col) : sql`sum(${sql.ref(col)})`);
        const max = (col: string) => (grain === "day" ? sql.ref(col) : sql`max(${sql.ref(col)})`);
        const showRows = q.productId
          ? []
          : await anyDb
              .selectFrom(`analytics_show_${grain}s as m`)
              .innerJoin("analytics_shows as d", "d.show_id", "m.show_id")
              .select([
                "m.show_id",
                dayOf(`m.${grain}`).as("day"),
                max("m.viewers_max").as("peak"),
                sum("m.likes").as("likes"),
                sum("m.chat_messages").as("chat"),
                sum("m.orders_paid").as("paid"),
                sum("m.orders_refunded").as("refunded"),
              ])
              .where(within("m"))
              .$if(grain === "minute", (qb) => qb.groupBy(["m.show_id", dayOf(`m.${grain}`)]))
              .execute();
        const productRows = await anyDb
          .selectFrom(`analytics_product_${grain}s as p`)
          .innerJoin("analytics_shows as d", "d.show_id", "p.show_id")
          .select([
            "p.show_id",
            "p.product_id",
            dayOf(`p.${grain}`).as("day"),
            sum("p.cards_shown").as("shown"),
            sum("p.cards_tapped").as("tapped"),
            sum("p.checkouts_started").as("started"),
          ])
          .where(within("p"))
          .$if(grain === "minute", (qb) => qb.groupBy(["p.show_id", "p.product_id", dayOf(`p.${grain}`)]))
          .execute();
        const salesRows = await anyDb
          .selectFrom(`analytics_sales_${grain}s as s`)
          .innerJoin("analytics_shows as d", "d.show_id", "s.show_id")
          .select([
            "s.show_id",
            "s.product_id",
            "s.currency",
            dayOf(`s.${grain}`).as("day"),
            sum("s.orders_paid").as("paid"),
            sum("s.units_paid").as("units"),
            sum("s.gmv").as("gmv"),
            sum("s.orders_refunded").as("refunds"),
            sum("s.units_refunded").as("units_refunded"),
            sum("s.refunded").as("refunded"),
          ])
          .where(within("s"))
          .$if(grain === "minute", (qb) => qb.groupBy(["s.show_id", "s.product_id", "s.currency", dayOf(`s.${grain}`)]))
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
      }
    },
  };
}

type Row = Record<string, number | string | null>;

/** A rollup's cells as rows of the minute tables. */
function rowsOf(r: Rollup) {
  return {
    shows: [...r.shows.values()].map((c) => ({
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
    products: [...r.products.values()].map((c) => ({
      show_id: c.showId,
      product_id: c.productId,
      minute: c.minute,
      cards_shown: c.v.cardsShown,
      cards_tapped: c.v.cardsTapped,
      checkouts_started: c.v.checkoutsStarted,
    })),
    sales: [...r.sales.values()].map((c) => ({
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
  };
}

/**
 * The same rows summed per UTC day (what the day tables add): counters add up, `viewers_max` is the
 * day's largest, and `viewers_last` (a minute's own sample) has no day value.
 */
function dayRows(minutes: ReturnType<typeof rowsOf>) {
  const sum = (rows: Row[], keys: string[]): Row[] => {
    const out = new Map<string, Row>();
    for (const { minute, viewers_last: _last, ...row } of rows) {
      const day = Number(minute) - (Number(minute) % DAY_MS);
      const key = [...keys.map((k) => row[k]), day].join("\u0000");
      const acc = out.get(key);
      if (!acc) {
        out.set(key, { ...row, day });
        continue;
      }
      for (const [c, v] of Object.entries(row)) {
        if (keys.includes(c)) continue;
        acc[c] = c === "viewers_max" ? Math.max(Number(acc[c]), Number(v)) : Number(acc[c]) + Number(v);
      }
    }
    return [...out.values()];
  };
  return {
    shows: sum(minutes.shows, ["show_id"]),
    products: sum(minutes.products, ["show_id", "product_id"]),
    sales: sum(minutes.sales, ["show_id", "product_id", "currency"]),
  };
}

export type RollupStore = ReturnType<typeof createRollupStore>;
