import type { Figures, SalesFigures } from "../../shared/contracts/analytics.ts";

/** Money per currency, added up in integer minor units. */
export class Amounts {
  private m = new Map<string, number>();
  add(currency: string, amount: number) {
    if (amount) this.m.set(currency, (this.m.get(currency) ?? 0) + amount);
    else if (!this.m.has(currency)) this.m.set(currency, 0);
  }
  get(currency: string) {
    return this.m.get(currency) ?? 0;
  }
  currencies() {
    return [...this.m.keys()];
  }
  list() {
    return [...this.m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount }));
  }
}

/** Sums the figures of anything: a minute, a product, a day, a show, a period. */
export class Tally {
  cardsShown = 0;
  cardsTapped = 0;
  checkoutsStarted = 0;
  ordersPaid = 0;
  unitsPaid = 0;
  ordersRefunded = 0;
  gmv = new Amounts();
  refunded = new Amounts();
  /** null: room figures do not apply (a report about a product) */
  room: { peakViewers: number; likes: number; chatMessages: number } | null = null;

  funnel(f: { cardsShown: number; cardsTapped: number; checkoutsStarted: number }) {
    this.cardsShown += f.cardsShown;
    this.cardsTapped += f.cardsTapped;
    this.checkoutsStarted += f.checkoutsStarted;
  }

  /** Money of one product line; `countOrders`: when order counts come from here (not from the show's). */
  sales(currency: string, s: { ordersPaid: number; unitsPaid: number; gmv: number; ordersRefunded: number; refunded: number }, countOrders: boolean) {
    if (countOrders) {
      this.ordersPaid += s.ordersPaid;
      this.ordersRefunded += s.ordersRefunded;
    }
    this.unitsPaid += s.unitsPaid;
    this.gmv.add(currency, s.gmv);
    this.refunded.add(currency, s.refunded);
  }

  roomFigures(r: { peakViewers: number; likes: number; chatMessages: number; ordersPaid: number; ordersRefunded: number }) {
    this.room ??= { peakViewers: 0, likes: 0, chatMessages: 0 };
    this.room.peakViewers = Math.max(this.room.peakViewers, r.peakViewers);
    this.room.likes += r.likes;
    this.room.chatMessages += r.chatMessages;
    this.ordersPaid += r.ordersPaid;
    this.ordersRefunded += r.ordersRefunded;
  }

  salesFigures(): SalesFigures {
    const currencies = [...new Set([...this.gmv.currencies(), ...this.refunded.currencies()])].sort();
    return {
      cardsShown: this.cardsShown,
      cardsTapped: this.cardsTapped,
      checkoutsStarted: this.checkoutsStarted,
      ordersPaid: this.ordersPaid,
      unitsPaid: this.unitsPaid,
      ordersRefunded: this.ordersRefunded,
      gmv: currencies.map((currency) => ({ currency, amount: this.gmv.get(currency) })),
      refunded: currencies.map((currency) => ({ currency, amount: this.refunded.get(currency) })),
      net: currencies.map((currency) => ({ currency, amount: this.gmv.get(currency) - this.refunded.get(currency) })),
    };
  }

  figures(): Figures {
    return {
      ...this.salesFigures(),
      peakViewers: this.room?.peakViewers ?? null,
      likes: this.room?.likes ?? null,
      chatMessages: this.room?.chatMessages ?? null,
    };
  }
}

/** A tally per key, created on first use. */
export class Tallies<K> {
  readonly m = new Map<K, Tally>();
  constructor(private make: () => Tally = () => new Tally()) {}
  of(key: K): Tally {
    let t = this.m.get(key);
    if (!t) this.m.set(key, (t = this.make()));
    return t;
  }
}

/**
 * An exact decimal string of minor units (no floating point): 2900 EUR → "29.00", 500 JPY → "500".
 * The number of decimals is the currency's, as ICU knows it.
 */
export function decimal(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // an unknown code: two decimals
  }
  const sign = amount < 0 ? "-" : "";
  const abs = String(Math.abs(amount));
  if (digits === 0) return sign + abs;
  const padded = abs.padStart(digits + 1, "0");
  return `${sign}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}
