import type { FlashOutcome } from "../../shared/contracts/flash-sales.ts";

/**
 * The reservation engine's decision core for one flash sale: pure, synchronous, in memory.
 * Attempts are decided in the order they are received (one JS thread, so no locks), and the
 * caller makes each decision durable (group commit) before telling the buyer.
 *
 * Invariant at every instant: sold + held + available = quantity, all ≥ 0, where `held` counts
 * holds that are waiting for payment or being paid.
 */
export interface SaleTerms {
  id: string;
  quantity: number;
  perBuyerLimit: number;
  opensAt: number;
  endsAt: number;
  holdMs: number;
}

export type HoldState = "held" | "paying" | "paid" | "expired";

export interface Hold {
  id: string;
  saleId: string;
  buyerId: string;
  seq: number;
  createdAt: number;
  expiresAt: number;
  state: HoldState;
}

export interface Decision {
  outcome: FlashOutcome;
  seq: number;
  receivedAt: number;
  hold: Hold | null;
  /** true when this key was decided before: the same outcome is returned, nothing changes */
  replay: boolean;
}

export interface RestoredSale {
  seq: number;
  attempts: number;
  sold: number;
  /** holds still open (held or paying) */
  openHolds: Hold[];
  /** units held or bought per buyer (open and paid holds) */
  buyerUnits: Map<string, number>;
  decided: Map<string, { outcome: FlashOutcome; seq: number; receivedAt: number; holdId: string | null }>;
}

export class SaleBook {
  private seq = 0;
  attempts = 0;
  sold = 0;
  private holds = new Map<string, Hold>();
  /** Holds in creation order; with one hold duration per sale that is also expiry order. */
  private expiryQueue: Hold[] = [];
  private buyerUnits = new Map<string, number>();
  private decided = new Map<string, { outcome: FlashOutcome; seq: number; receivedAt: number; holdId: string | null }>();
  readonly outcomeCounts: Record<FlashOutcome, number> = { won: 0, sold_out: 0, limit_reached: 0, not_open: 0, ended: 0 };

  constructor(
    readonly terms: SaleTerms,
    private newHoldId: () => string,
    restored?: RestoredSale,
  ) {
    if (restored) {
      this.seq = restored.seq;
      this.attempts = restored.attempts;
      this.sold = restored.sold;
      this.buyerUnits = new Map(restored.buyerUnits);
      this.decided = new Map(restored.decided);
      for (const d of this.decided.values()) this.outcomeCounts[d.outcome]++;
      for (const h of [...restored.openHolds].sort((a, b) => a.expiresAt - b.expiresAt)) {
        this.holds.set(h.id, h);
        this.expiryQueue.push(h);
      }
    }
  }

  get held(): number {
    return this.holds.size;
  }
  get available(): number {
    return this.terms.quantity - this.sold - this.holds.size;
  }
  get lastSeq(): number {
    return this.seq;
  }

  phase(now: number): "countdown" | "open" | "ended" {
    if (now < this.terms.opensAt) return "countdown";
    if (now >= this.terms.endsAt) return "ended";
    return "open";
  }

  /** Decides one attempt. Exactly one outcome per (buyer, key); a repeated key replays it. */
  attempt(buyerId: string, key: string, now: number): Decision {
    const k = `${buyerId}\u0000${key}`;
    const previous = this.decided.get(k);
    if (previous) {
      return { outcome: previous.outcome, seq: previous.seq, receivedAt: previous.receivedAt, hold: previous.holdId ? (this.holds.get(previous.holdId) ?? null) : null, replay: true };
    }
    const seq = ++this.seq;
    this.attempts++;
    let outcome: FlashOutcome;
    let hold: Hold | null = null;
    const phase = this.phase(now);
    if (phase === "countdown") outcome = "not_open";
    else if (phase === "ended") outcome = "ended";
    else if (this.available <= 0) outcome = "sold_out";
    else if ((this.buyerUnits.get(buyerId) ?? 0) >= this.terms.perBuyerLimit) outcome = "limit_reached";
    else {
      outcome = "won";
      hold = { id: this.newHoldId(), saleId: this.terms.id, buyerId, seq, createdAt: now, expiresAt: now + this.terms.holdMs, state: "held" };
      this.holds.set(hold.id, hold);
      this.expiryQueue.push(hold);
      this.buyerUnits.set(buyerId, (this.buyerUnits.get(buyerId) ?? 0) + 1);
    }
    this.outcomeCounts[outcome]++;
    this.decided.set(k, { outcome, seq, receivedAt: now, holdId: hold?.id ?? null });
    return { outcome, seq, receivedAt: now, hold, replay: false };
  }

  hold(holdId: string): Hold | undefined {
    return this.holds.get(holdId);
  }

  /** The buyer starts paying: the hold cannot expire while the payment is in flight. */
  beginPayment(holdId: string, buyerId: string, now: number): "ok" | "not_found" | "expired" | "busy" {
    const h = this.holds.get(holdId);
    if (!h || h.buyerId !== buyerId) return "not_found";
    if (h.state === "paying") return "busy";
    if (now >= h.expiresAt) return "expired";
    h.state = "paying";
    return "ok";
  }

  /** Payment answered: paid moves the unit to sold; otherwise the hold resumes (or expires if late). */
  endPayment(holdId: string, paid: boolean, now: number): Hold | undefined {
    const h = this.holds.get(holdId);
    if (!h || h.state !== "paying") return undefined;
    if (paid) {
      h.state = "paid";
      this.holds.delete(holdId);
      this.sold++;
      return h;
    }
    h.state = "held";
    return h;
  }

  /** Releases every hold whose time is up (not those being paid); returns them. */
  expire(now: number): Hold[] {
    const out: Hold[] = [];
    const keep: Hold[] = [];
    while (this.expiryQueue.length) {
      const h = this.expiryQueue[0]!;
      if (h.state === "paid" || !this.holds.has(h.id)) {
        this.expiryQueue.shift();
        continue;
      }
      if (h.expiresAt > now) break;
      this.expiryQueue.shift();
      if (h.state === "paying") {
        keep.push(h); // re-examined when the payment answers
        continue;
      }
      h.state = "expired";
      this.holds.delete(h.id);
      this.buyerUnits.set(h.buyerId, Math.max(0, (this.buyerUnits.get(h.buyerId) ?? 1) - 1));
      out.push(h);
    }
    if (keep.length) this.expiryQueue.unshift(...keep);
    return out;
  }

  /** Nothing more can happen: the sale is over and no hold is open. */
  settled(now: number): boolean {
    return this.phase(now) === "ended" && this.holds.size === 0;
  }
}
