import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { Order } from "../../shared/contracts/checkout.ts";
import { FlashAttemptBody, FlashAttemptResult, FlashAuditEntry, FlashHold, FlashHoldCheckoutBody, FlashSale, FlashSaleInput, FlashSaleStats } from "../../shared/contracts/flash-sales.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { FlashSales } from "./service.ts";

const SaleParams = z.object({ saleId: Id });

export function flashSalesRoutes(app: Http, deps: { flashSales: FlashSales }) {
  const { flashSales } = deps;

  app.post(
    "/api/v1/shows/:showId/flash-sales",
    { schema: { tags: ["flash-sales"], params: z.object({ showId: Id }), body: FlashSaleInput, response: { 201: FlashSale } } },
    async (req, reply) => {
      const user = requireUser(req);
      return reply.status(201).send(unwrap(await flashSales.create(user, req.params.showId, req.body)).sale);
    },
  );

  app.get(
    "/api/v1/shows/:showId/flash-sales",
    {
      schema: {
        tags: ["flash-sales"],
        params: z.object({ showId: Id }),
        querystring: z.object({ include: z.enum(["ended"]).optional() }),
        response: { 200: z.object({ items: z.array(FlashSale) }) },
      },
    },
    async (req) => ({ items: await flashSales.listForShow(req.params.showId, req.query.include === "ended") }),
  );

  app.get(
    "/api/v1/flash-sales/:saleId/holds/mine",
    { schema: { tags: ["flash-sales"], params: SaleParams, response: { 200: z.object({ items: z.array(FlashHold) }) } } },
    async (req) => ({ items: await flashSales.myHolds(requireUser(req), req.params.saleId) }),
  );

  app.post(
    "/api/v1/flash-sales/:saleId/attempts",
    { schema: { tags: ["flash-sales"], params: SaleParams, body: FlashAttemptBody, response: { 200: FlashAttemptResult } } },
    async (req) => {
      const user = requireUser(req);
      return unwrap(await flashSales.attempt(user, req.params.saleId, req.body.key)).result;
    },
  );

  app.post(
    "/api/v1/flash-sales/:saleId/holds/:holdId/checkout",
    { schema: { tags: ["flash-sales"], params: SaleParams.extend({ holdId: Id }), body: FlashHoldCheckoutBody, response: { 201: Order, 200: Order } } },
    async (req, reply) => {
      const user = requireUser(req);
      const r = unwrap(await flashSales.payHold(user, req.params.saleId, req.params.holdId, req.body));
      // Paying a hold that is already paid answers 200 with its order.
      return reply.status(r.replayed ? 200 : 201).send(r.order);
    },
  );

  app.get("/api/v1/flash-sales/:saleId/stats", { schema: { tags: ["flash-sales"], params: SaleParams, response: { 200: FlashSaleStats } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await flashSales.stats(user, req.params.saleId)).stats;
  });

  app.get(
    "/api/v1/flash-sales/:saleId/audit",
    {
      schema: {
        tags: ["flash-sales"],
        params: SaleParams,
        querystring: z.object({ afterSeq: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(10_000).default(1000) }),
        response: { 200: z.object({ items: z.array(FlashAuditEntry) }) },
      },
    },
    async (req) => {
      const user = requireUser(req);
      return { items: unwrap(await flashSales.audit(user, req.params.saleId, req.query.afterSeq, req.query.limit)).entries };
    },
  );
}
