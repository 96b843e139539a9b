import { z } from "zod";
import { Id, IdempotencyKey, page } from "../../shared/contracts/common.ts";
import { BuyNowBody, Order, OrderStatus, OrderTransitionBody } from "../../shared/contracts/checkout.ts";
import { MerchantFeedEvent } from "../../shared/contracts/room.ts";
import type { Http } from "../platform/http.ts";
import type { EventBus } from "../platform/bus.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireMerchant, requireUser } from "../accounts/guard.ts";
import type { Checkout } from "./buy-now.ts";
import type { Orders } from "./orders.ts";

const PageQuery = z.object({ cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(100).default(25) });

export function checkoutRoutes(app: Http, deps: { checkout: Checkout; orders: Orders; bus: EventBus }) {
  const { checkout, orders } = deps;

  app.post(
    "/api/v1/checkout/buy-now",
    { schema: { tags: ["checkout"], headers: z.object({ "idempotency-key": z.string().optional() }), body: BuyNowBody, response: { 201: Order, 200: Order } } },
    async (req, reply) => {
      const user = requireUser(req);
      const key = IdempotencyKey.safeParse(req.headers["idempotency-key"]);
      if (!key.success) throw new AppError("idempotency_key_required", "Send an Idempotency-Key header (8–100 characters: letters, digits, _ . : -).");
      const r = unwrap(await checkout.buyNow(user, key.data, req.body));
      // A replayed request answers 200 with the same order; the first one 201.
      return reply.status(r.replayed ? 200 : 201).header("idempotent-replayed", String(r.replayed)).send(r.order);
    },
  );

  app.get("/api/v1/me/orders", { schema: { tags: ["orders"], querystring: PageQuery, response: { 200: page(Order) } } }, async (req) => {
    const user = requireUser(req);
    return orders.listForBuyer(user.id, req.query.cursor, req.query.limit);
  });

  app.get("/api/v1/orders/:orderId", { schema: { tags: ["orders"], params: z.object({ orderId: Id }), response: { 200: Order } } }, async (req) => {
    const user = requireUser(req);
    const order = await orders.get(req.params.orderId);
    // Someone else's order is answered exactly like a missing one.
    if (!order || !(order.buyerId === user.id || (user.merchantId && user.merchantId === order.merchantId) || user.role === "admin"))
      throw new AppError("not_found", "No such order.");
    return order;
  });

  app.get(
    "/api/v1/merchant/orders",
    { schema: { tags: ["orders"], querystring: PageQuery.extend({ status: OrderStatus.optional() }), response: { 200: page(Order) } } },
    async (req) => {
      const m = requireMerchant(req);
      return orders.listForMerchant(m.merchantId, req.query);
    },
  );

  app.post(
    "/api/v1/merchant/orders/:orderId/status",
    { schema: { tags: ["orders"], params: z.object({ orderId: Id }), body: OrderTransitionBody, response: { 200: Order } } },
    async (req) => {
      const m = requireMerchant(req);
      return unwrap(await orders.transition(m.merchantId, m.id, req.params.orderId, req.body.status)).order;
    },
  );

  /** Server-sent events: the merchant's orders as they are paid and change status. */
  app.get("/api/v1/merchant/live", { schema: { tags: ["orders"], description: "text/event-stream of MerchantFeedEvent" } }, async (req, reply) => {
    const m = requireMerchant(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
    res.write(": connected\n\n");
    const send = (e: MerchantFeedEvent) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    // The order may be paid through any node of a cluster; this stream is on this one.
    const cluster = { scope: "cluster" } as const;
    const offs = [
      deps.bus.subscribe("order.paid", (e) => {
        if (e.merchantId === m.merchantId)
          send({ type: "order.created", orderId: e.orderId, number: e.hostOrder.number, total: e.hostOrder.total, currency: e.hostOrder.currency, at: e.hostOrder.at });
      }, cluster),
      deps.bus.subscribe("order.status_changed", (e) => {
        if (e.merchantId === m.merchantId) send({ type: "order.updated", orderId: e.orderId, status: e.status, at: new Date(e.at).toISOString() });
      }, cluster),
    ];
    const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15000);
    req.raw.on("close", () => {
      clearInterval(keepAlive);
      offs.forEach((off) => off());
    });
  });
}
