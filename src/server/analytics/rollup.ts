import type { AnalyticsEvent } from "./event-log.ts";

/** Room figures of one show in one minute. */
export interface ShowMinute {
  viewersMax: number;
  /** null: no sample taken in this minute */
  viewersLast: number | null;
  joins: number;
  likes: number;
  chatMessages: number;
  ordersPaid: number;
  ordersRefunded: number;
}
/** The funnel of one product in one show in one minute. */
export interface ProductMinute {
  cardsShown: number;
  cardsTapped: number;
  checkoutsStarted: number;
}
/** The money of one product in one show in one currency in one minute (minor units). */
export interface SalesMinute {
  ordersPaid: number;
  unitsPaid: number;
  gmv: number;
  ordersRefunded: number;
  unitsRefunded: number;
  refunded: number;
}

export const MINUTE_MS = 60_000;
export const minuteOf = (at: number) => at - (at % MINUTE_MS);

const emptyShow = (): ShowMinute => ({ viewersMax: 0, viewersLast: null, joins: 0, likes: 0, chatMessages: 0, ordersPaid: 0, ordersRefunded: 0 });
const emptyProduct = (): ProductMinute => ({ cardsShown: 0, cardsTapped: 0, checkoutsStarted: 0 });
const emptySales = (): SalesMinute => ({ ordersPaid: 0, unitsPaid: 0, gmv: 0, ordersRefunded: 0, unitsRefunded: 0, refunded: 0 });

export interface ShowCell { showId: string; minute: number; v: ShowMinute }
export interface ProductCell { showId: string; productId: string; minute: number; v: ProductMinute }
export interface SalesCell { showId: string; productId: string; currency: string; minute: number; v: SalesMinute }

/**
 * Counters per minute, in memory: what happened since the last flush (or, read back, what the
 * rollup tables hold). Adding an event is a few map operations; nothing here touches storage.
 */
export class Rollup {
  readonly shows = new Map<string, ShowCell>();
  readonly products = new Map<string, ProductCell>();
  readonly sales = new Map<string, SalesCell>();

  get empty() {
    return this.shows.size === 0 && this.products.size === 0 && this.sales.size === 0;
  }

  show(showId: string, minute: number): ShowMinute {
    const key = `${showId}\u0000${minute}`;
    let c = this.shows.get(key);
    if (!c) this.shows.set(key, (c = { showId, minute, v: emptyShow() }));
    return c.v;
  }

  product(showId: string, productId: string, minute: number): ProductMinute {
    const key = `${showId}\u0000${productId}\u0000${minute}`;
    let c = this.products.get(key);
    if (!c) this.products.set(key, (c = { showId, productId, minute, v: emptyProduct() }));
    return c.v;
  }

  salesOf(showId: string, productId: string, currency: string, minute: number): SalesMinute {
    const key = `${showId}\u0000${productId}\u0000${currency}\u0000${minute}`;
    let c = this.sales.get(key);
    if (!c) this.sales.set(key, (c = { showId, productId, currency, minute, v: emptySales() }));
    return c.v;
  }

  /** A sample of the room's size. */
  viewers(showId: string, minute: number, viewers: number) {
    const s = this.show(showId, minute);
    s.viewersMax = Math.max(s.viewersMax, viewers);
    s.viewersLast = viewers;
  }

  add(e: AnalyticsEvent) {
    const minute = minuteOf(e.at);
    switch (e.kind) {
      case "viewer.joined":
      case "viewer.left":
        this.viewers(e.showId, minute, e.viewers);
        if (e.kind === "viewer.joined") this.show(e.showId, minute).joins++;
        return;
      case "like":
        this.show(e.showId, minute).likes += e.count;
        return;
      case "chat.message":
        this.show(e.showId, minute).chatMessages++;
        return;
      case "card.shown":
        this.product(e.showId, e.productId, minute).cardsShown += e.count;
        return;
      case "card.tapped":
        this.product(e.showId, e.productId, minute).cardsTapped++;
        return;
      case "checkout.started":
        this.product(e.showId, e.productId, minute).checkoutsStarted++;
        return;
      case "order.paid":
      case "order.refunded": {
        const paid = e.kind === "order.paid";
        const show = this.show(e.showId, minute);
        if (paid) show.ordersPaid++;
        else show.ordersRefunded++;
        // An order counts once per product it holds, whatever the number of lines of that product.
        const byProduct = new Map<string, { units: number; amount: number }>();
        for (const l of e.lines) {
          const p = byProduct.get(l.productId) ?? { units: 0, amount: 0 };
          p.units += l.units;
          p.amount += l.amount;
          byProduct.set(l.productId, p);
        }
        for (const [productId, l] of byProduct) {
          const s = this.salesOf(e.showId, productId, e.currency, minute);
          if (paid) {
            s.ordersPaid++;
            s.unitsPaid += l.units;
            s.gmv += l.amount;
          } else {
            s.ordersRefunded++;
            s.unitsRefunded += l.units;
            s.refunded += l.amount;
          }
        }
        return;
      }
    }
  }

  /** Adds another rollup's counts to this one; `newer` says whose latest viewer sample wins. */
  absorb(other: Rollup, newer: "other" | "this") {
    for (const c of other.shows.values()) {
      const s = this.show(c.showId, c.minute);
      s.viewersMax = Math.max(s.viewersMax, c.v.viewersMax);
      s.viewersLast = newer === "other" ? (c.v.viewersLast ?? s.viewersLast) : (s.viewersLast ?? c.v.viewersLast);
      s.joins += c.v.joins;
      s.likes += c.v.likes;
      s.chatMessages += c.v.chatMessages;
      s.ordersPaid += c.v.ordersPaid;
      s.ordersRefunded += c.v.ordersRefunded;
    }
    for (const c of other.products.values()) {
      const p = this.product(c.showId, c.productId, c.minute);
      p.cardsShown += c.v.cardsShown;
      p.cardsTapped += c.v.cardsTapped;
      p.checkoutsStarted += c.v.checkoutsStarted;
    }
    for (const c of other.sales.values()) {
      const s = this.salesOf(c.showId, c.productId, c.currency, c.minute);
      s.ordersPaid += c.v.ordersPaid;
      s.unitsPaid += c.v.unitsPaid;
      s.gmv += c.v.gmv;
      s.ordersRefunded += c.v.ordersRefunded;
      s.unitsRefunded += c.v.unitsRefunded;
      s.refunded += c.v.refunded;
    }
  }

  /** A copy holding only one show's cells. */
  only(showId: string): Rollup {
    const r = new Rollup();
    for (const [k, c] of this.shows) if (c.showId === showId) r.shows.set(k, { ...c, v: { ...c.v } });
    for (const [k, c] of this.products) if (c.showId === showId) r.products.set(k, { ...c, v: { ...c.v } });
    for (const [k, c] of this.sales) if (c.showId === showId) r.sales.set(k, { ...c, v: { ...c.v } });
    return r;
  }

  showIds(): Set<string> {
    const ids = new Set<string>();
    for (const c of this.shows.values()) ids.add(c.showId);
    for (const c of this.products.values()) ids.add(c.showId);
    for (const c of this.sales.values()) ids.add(c.showId);
    return ids;
  }
}
