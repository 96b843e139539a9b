import { z } from "zod";
import { FlashAttemptResult, FlashHoldCheckoutBody, type FlashSale } from "../../shared/contracts/flash-sales.ts";
import { Order } from "../../shared/contracts/checkout.ts";
import { errorCodes } from "../../shared/contracts/errors.ts";
import { BrokerRequestError, type Broker } from "../platform/broker.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";

export type PayBody = z.output<typeof FlashHoldCheckoutBody>;
type AttemptResult = Result<{ result: FlashAttemptResult }>;
type PayResult = Result<{ order: Order; replayed: boolean }>;

/** What a node asks a sale's owner (`flash.sale.<id>`), validated on receipt. */
const OwnerRequest = z.discriminatedUnion("op", [
  z.object({ op: z.literal("attempt"), saleId: z.string().min(1), buyerId: z.string().min(1), key: z.string().min(1).max(200) }),
  z.object({ op: z.literal("pay"), saleId: z.string().min(1), buyerId: z.string().min(1), holdId: z.string().min(1), body: FlashHoldCheckoutBody }),
]);
type OwnerRequest = z.output<typeof OwnerRequest>;
/** The owner's answer: the Result the local call returned, checked against the wire contracts. */
const Failed = z.object({ ok: z.literal(false), code: z.enum(errorCodes), message: z.string().optional() });
const AttemptReply = z.union([z.object({ ok: z.literal(true), result: FlashAttemptResult }), Failed]);
const PayReply = z.union([z.object({ ok: z.literal(true), order: Order, replayed: z.boolean() }), Failed]);

export const saleSubject = (saleId: string) => `flash.sale.${saleId}`;

/** Request failures after which the sale may have no owner any more: try to become it, else retry. */
const OWNERLESS = new Set(["no_responders", "timeout", "unavailable"]);
const TRIES = 8;

export interface Forwarding {
  attempt(buyerId: string, saleId: string, key: string): Promise<AttemptResult>;
  payHold(buyerId: string, saleId: string, holdId: string, body: PayBody): Promise<PayResult>;
  /** This node owns the sale from now on: answer the other nodes' requests for it. */
  serve(saleId: string): void;
  /** This node no longer owns the sale. */
  unserve(saleId: string): void;
  /** The latest state of sales owned elsewhere, as their owners publish it. */
  viewsOf(showId: string): FlashSale[];
  viewOf(saleId: string): FlashSale | null;
  setView(sale: FlashSale): void;
  dropView(saleId: string): void;
  hasView(saleId: string): boolean;
  viewIds(): string[];
  close(): void;
}

/**
 * The non-owner's side of a flash sale in a cluster: attempts and hold payments go to the sale's owner
 * through `broker.request` (one responder per sale: the node holding its lock), and are answered after
 * the owner's commit. When nobody answers, this node tries to become the owner (`claim`); otherwise it
 * retries with backoff. Retrying is safe: the owner replays a decided (buyer, key) and refuses a second
 * payment of a hold that is being paid.
 */
export function createForwarding(deps: {
  broker: Broker;
  bus: EventBus;
  /** Tries to become the sale's owner (rebuilding its book); true when this node now answers locally. */
  claim(saleId: string): Promise<boolean>;
  /** Whether this node owns the sale now. */
  owns(saleId: string): boolean;
  local: {
    attempt(buyerId: string, saleId: string, key: string): Promise<AttemptResult>;
    pay(buyerId: string, saleId: string, holdId: string, body: PayBody): Promise<PayResult>;
  };
  log: { warn(o: object, m: string): void };
}): Forwarding {
  const { broker } = deps;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const serving = new Map<string, () => void>();
  const views = new Map<string, FlashSale>();

  const runLocal = (r: OwnerRequest): Promise<AttemptResult | PayResult> =>
    r.op === "attempt" ? deps.local.attempt(r.buyerId, r.saleId, r.key) : deps.local.pay(r.buyerId, r.saleId, r.holdId, r.body);

  async function send<T extends AttemptResult | PayResult>(req: OwnerRequest, reply: z.ZodType<T>, timeoutMs: number): Promise<T> {
    const { saleId } = req;
    const bytes = enc.encode(JSON.stringify(req));
    let lastError: unknown;
    for (let i = 0; i < TRIES; i++) {
      if (deps.owns(saleId)) return reply.parse(await runLocal(req));
      try {
        return reply.parse(JSON.parse(dec.decode(await broker.request(saleSubject(saleId), bytes, { timeoutMs }))));
      } catch (err) {
        if (!(err instanceof BrokerRequestError) || !OWNERLESS.has(err.code)) throw err;
        lastError = err;
        // Nobody answers for the sale: its owner may be gone. Whoever takes its lock rebuilds it.
        if (await deps.claim(saleId).catch((e) => (deps.log.warn({ err: e, saleId }, "flash sale not claimed"), false)))
          return reply.parse(await runLocal(req));
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** i) * (0.5 + Math.random())));
      }
    }
    deps.log.warn({ err: lastError, saleId }, "flash sale owner unreachable");
    return reply.parse(fail("flash_sale_unavailable"));
  }

  const offUpdates = deps.bus.subscribe(
    "flash.updated",
    (e, meta) => {
      if (meta?.origin === "remote" && !deps.owns(e.sale.id)) views.set(e.sale.id, e.sale);
    },
    { scope: "cluster" },
  );

  return {
    attempt: (buyerId, saleId, key) => send({ op: "attempt", saleId, buyerId, key }, AttemptReply, 3000),
    // A payment waits for the provider: a longer timeout, and a retry meets `checkout_in_progress` or the order made.
    payHold: (buyerId, saleId, holdId, body) => send({ op: "pay", saleId, buyerId, holdId, body }, PayReply, 15_000),

    serve(saleId) {
      if (serving.has(saleId)) return;
      views.delete(saleId);
      serving.set(
        saleId,
        broker.respond(saleSubject(saleId), async (data) => {
          const parsed = OwnerRequest.safeParse(JSON.parse(dec.decode(data)));
          if (!parsed.success || parsed.data.saleId !== saleId) throw new Error(`invalid flash-sale request on ${saleSubject(saleId)}`);
          return enc.encode(JSON.stringify(await runLocal(parsed.data)));
        }),
      );
    },
    unserve(saleId) {
      serving.get(saleId)?.();
      serving.delete(saleId);
    },
    viewsOf: (showId) => [...views.values()].filter((v) => v.showId === showId && v.phase !== "ended"),
    viewOf: (saleId) => views.get(saleId) ?? null,
    setView: (sale) => void views.set(sale.id, sale),
    dropView: (saleId) => void views.delete(saleId),
    hasView: (saleId) => views.has(saleId),
    viewIds: () => [...views.keys()],
    close() {
      offUpdates();
      for (const off of serving.values()) off();
      serving.clear();
    },
  };
}
