import { z } from "zod";
import { BeneficiaryType, Earnings, Payout, PayoutDue, PayoutInput, Statement, StatementQuery } from "../../shared/contracts/commissions.ts";
import { Currency, Id, IdempotencyKey } from "../../shared/contracts/common.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireRole, requireUser } from "../accounts/guard.ts";
import type { Commissions } from "./service.ts";
import { statementCsv } from "./statement-csv.ts";

export function commissionsRoutes(app: Http, deps: { commissions: Commissions }) {
  const { commissions } = deps;

  // Only ever the signed-in creator's own earnings: there is no creator id to ask for.
  app.get("/api/v1/me/earnings", { schema: { tags: ["commissions"], summary: "Your commission balances per currency: pending (in the hold period) and available", response: { 200: Earnings } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await commissions.earnings(user.id)).earnings;
  });

  app.get(
    "/api/v1/me/earnings/statement",
    {
      schema: {
        tags: ["commissions"],
        summary: "Your ledger entries made in [from, to), with totals per currency",
        description: "format=json (default) answers a Statement; format=csv answers text/csv with one row per entry.",
        querystring: StatementQuery,
      },
    },
    async (req, reply) => {
      const user = requireUser(req);
      const { from, to, format } = req.query;
      const { statement } = unwrap(await commissions.statement(user.id, Date.parse(from), Date.parse(to)));
      if (format === "csv") {
        const name = `vetrina-statement-${statement.from.slice(0, 10)}-${statement.to.slice(0, 10)}.csv`;
        return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).send(statementCsv(statement));
      }
      return Statement.parse(statement);
    },
  );

  app.get("/api/v1/me/payouts", { schema: { tags: ["commissions"], summary: "Your payouts, newest first", response: { 200: z.object({ items: z.array(Payout) }) } } }, async (req) => {
    const user = requireUser(req);
    return { items: unwrap(await commissions.myPayouts(user.id)).payouts };
  });

  // ---- the operator's side: who is owed what, and recording what was paid ----
  app.get(
    "/api/v1/admin/payouts/due",
    {
      schema: {
        tags: ["commissions"],
        summary: "Creators and agencies with an available balance to pay out, largest first",
        description: "format=csv answers text/csv (one row per beneficiary and currency, amounts in minor units) for a bank batch.",
        querystring: z.object({ currency: Currency.optional(), format: z.enum(["json", "csv"]).default("json") }),
      },
    },
    async (req, reply) => {
      requireRole(req, "admin");
      const due = await commissions.payoutsDue(req.query.currency);
      if (req.query.format === "csv") {
        const rows = due.map((d) => [d.beneficiaryType, d.beneficiaryId, d.currency, d.available].join(","));
        return reply.type("text/csv; charset=utf-8").header("content-disposition", 'attachment; filename="vetrina-payouts-due.csv"').send(["beneficiary_type,beneficiary_id,currency,available", ...rows].join("\r\n") + "\r\n");
      }
      return { items: due.map((d) => PayoutDue.parse(d)) };
    },
  );

  app.get(
    "/api/v1/admin/payouts",
    { schema: { tags: ["commissions"], summary: "A beneficiary's payouts", querystring: z.object({ beneficiaryType: BeneficiaryType, beneficiaryId: Id }), response: { 200: z.object({ items: z.array(Payout) }) } } },
    async (req) => {
      requireRole(req, "admin");
      return { items: await commissions.payouts(req.query.beneficiaryType, req.query.beneficiaryId) };
    },
  );

  app.post(
    "/api/v1/admin/payouts",
    {
      schema: {
        tags: ["commissions"],
        summary: "Record a payout (at most the available balance); Idempotency-Key required",
        headers: z.object({ "idempotency-key": z.string().optional() }),
        body: PayoutInput,
        response: { 201: Payout, 200: Payout },
      },
    },
    async (req, reply) => {
      const admin = requireRole(req, "admin");
      const key = IdempotencyKey.safeParse(req.headers["idempotency-key"]);
      if (!key.success) throw new AppError("idempotency_key_required", "Send an Idempotency-Key header (8–100 characters: letters, digits, _ . : -).");
      const { payout, replayed } = unwrap(await commissions.payout(req.body, admin.id, key.data));
      return reply.status(replayed ? 200 : 201).send(payout);
    },
  );
}
