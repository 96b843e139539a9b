import type { AnalyticsReport, Figures, LiveAnalytics, LiveMinute } from "../../shared/contracts/analytics.ts";
import { decimal, Tallies, Tally } from "./figures.ts";
import { MINUTE_MS, type Rollup } from "./rollup.ts";
import type { ProductDayRow, SalesDayRow, ShowDayRow } from "./store.ts";

/** The live view of a show holds at most this many minutes (the latest). */
const MAX_LIVE_MINUTES = 24 * 60;

/** One show's rollup (stored plus unflushed) as the live dashboard shows it. */
export function liveView(r: Rollup, o: { showId: string; now: number; currentViewers: number; title(productId: string): string }): LiveAnalytics {
  const total = new Tally();
  total.room = { peakViewers: 0, likes: 0, chatMessages: 0 };
  const minutes = new Tallies<number>();
  const products = new Tallies<string>();
  const room = new Map<number, { viewers: number; viewersMax: number; joins: number }>();

  for (const c of r.shows.values()) {
    const figures = { peakViewers: c.v.viewersMax, likes: c.v.likes, chatMessages: c.v.chatMessages, ordersPaid: c.v.ordersPaid, ordersRefunded: c.v.ordersRefunded };
    total.roomFigures(figures);
    minutes.of(c.minute).roomFigures(figures);
    room.set(c.minute, { viewers: c.v.viewersLast ?? 0, viewersMax: c.v.viewersMax, joins: c.v.joins });
  }
  for (const c of r.products.values()) {
    total.funnel(c.v);
    minutes.of(c.minute).funnel(c.v);
    products.of(c.productId).funnel(c.v);
  }
  for (const c of r.sales.values()) {
    total.sales(c.currency, c.v, false);
    minutes.of(c.minute).sales(c.currency, c.v, false);
    products.of(c.productId).sales(c.currency, c.v, true);
  }

  const series: LiveMinute[] = [];
  const known = [...minutes.m.keys()];
  if (known.length) {
    const current = o.now - (o.now % MINUTE_MS);
    const last = Math.max(...known, o.currentViewers > 0 ? current : -Infinity);
    const first = Math.max(Math.min(...known), last - (MAX_LIVE_MINUTES - 1) * MINUTE_MS);
    for (let m = first; m <= last; m += MINUTE_MS) {
      const t = minutes.m.get(m) ?? new Tally();
      const v = room.get(m) ?? { viewers: 0, viewersMax: 0, joins: 0 };
      series.push({ minute: new Date(m).toISOString(), ...v, likes: t.room?.likes ?? 0, chatMessages: t.room?.chatMessages ?? 0, ...t.salesFigures() });
    }
  }

  return {
    showId: o.showId,
    at: new Date(o.now).toISOString(),
    currentViewers: o.currentViewers,
    totals: { ...total.salesFigures(), peakViewers: total.room!.peakViewers, likes: total.room!.likes, chatMessages: total.room!.chatMessages },
    minutes: series,
    products: [...products.m.entries()].map(([productId, t]) => ({ productId, title: o.title(productId), ...t.salesFigures() })).sort((a, b) => a.title.localeCompare(b.title)),
  };
}

/**
 * A report from rollup rows. Order counts come from the show rows (an order counts once) unless the
 * report is about one product, where they come from that product's sales and room figures are null.
 */
export function reportView(
  rows: { shows: ShowDayRow[]; products: ProductDayRow[]; sales: SalesDayRow[] },
  o: { from: number; to: number; showId: string | null; productId: string | null; creatorId: string | null; campaignId: string | null; showTitle(id: string): string; productTitle(id: string): string },
): AnalyticsReport {
  const byProduct = !!o.productId;
  const make = () => {
    const t = new Tally();
    if (!byProduct) t.room = { peakViewers: 0, likes: 0, chatMessages: 0 };
    return t;
  };
  const total = make();
  const days = new Tallies<number>(make);
  const shows = new Tallies<string>(make);
  const products = new Tallies<string>(() => new Tally());
  const each = (day: number, showId: string, f: (t: Tally) => void) => [total, days.of(day), shows.of(showId)].forEach(f);

  for (const r of rows.shows) each(r.day, r.showId, (t) => t.roomFigures(r));
  for (const r of rows.products) {
    each(r.day, r.showId, (t) => t.funnel(r));
    products.of(r.productId).funnel(r);
  }
  for (const r of rows.sales) {
    each(r.day, r.showId, (t) => t.sales(r.currency, r, byProduct));
    products.of(r.productId).sales(r.currency, r, true);
  }

  return {
    from: new Date(o.from).toISOString(),
    to: new Date(o.to).toISOString(),
    showId: o.showId,
    productId: o.productId,
    creatorId: o.creatorId,
    campaignId: o.campaignId,
    totals: total.figures(),
    days: [...days.m.entries()].sort(([a], [b]) => a - b).map(([day, t]) => ({ day: new Date(day).toISOString().slice(0, 10), ...t.figures() })),
    shows: [...shows.m.entries()].map(([showId, t]) => ({ showId, title: o.showTitle(showId), ...t.figures() })).sort((a, b) => a.title.localeCompare(b.title)),
    products: [...products.m.entries()].map(([productId, t]) => ({ productId, title: o.productTitle(productId), ...t.figures() })).sort((a, b) => a.title.localeCompare(b.title)),
  };
}

/** One breakdown of a report as CSV: counts as integers, money as exact decimals, one column set per currency. */
export function reportCsv(report: AnalyticsReport, by: "day" | "show" | "product"): string {
  const rows: { key: string[]; f: Figures }[] =
    by === "day"
      ? report.days.map((d) => ({ key: [d.day], f: d }))
      : by === "show"
        ? report.shows.map((s) => ({ key: [s.showId, s.title], f: s }))
        : report.products.map((p) => ({ key: [p.productId, p.title], f: p }));
  const currencies = [...new Set(report.totals.gmv.map((m) => m.currency))].sort();
  const keyHeader = by === "day" ? ["day"] : by === "show" ? ["show_id", "show_title"] : ["product_id", "product_title"];
  const header = [
    ...keyHeader,
    "peak_viewers",
    "likes",
    "chat_messages",
    "cards_shown",
    "cards_tapped",
    "checkouts_started",
    "orders_paid",
    "units_paid",
    "orders_refunded",
    ...currencies.flatMap((c) => [`gmv_${c}`, `refunded_${c}`, `net_${c}`]),
  ];
  const amount = (list: { currency: string; amount: number }[], c: string) => decimal(list.find((m) => m.currency === c)?.amount ?? 0, c);
  const lines = rows.map(({ key, f }) => [
    ...key,
    f.peakViewers ?? "",
    f.likes ?? "",
    f.chatMessages ?? "",
    f.cardsShown,
    f.cardsTapped,
    f.checkoutsStarted,
    f.ordersPaid,
    f.unitsPaid,
    f.ordersRefunded,
    ...currencies.flatMap((c) => [amount(f.gmv, c), amount(f.refunded, c), amount(f.net, c)]),
  ]);
  return [header, ...lines].map((cols) => cols.map((v) => csvField(String(v))).join(",")).join("\r\n") + "\r\n";
}

/** RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with a quote. */
function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && !/^-?\d/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
