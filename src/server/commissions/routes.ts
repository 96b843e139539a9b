import { Earnings, Statement, StatementQuery } from "../../shared/contracts/commissions.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
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
}
