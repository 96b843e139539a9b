import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { AnalyticsReport, IngestBody, IngestResult, LiveAnalytics, ReportQuery } from "../../shared/contracts/analytics.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Analytics } from "./service.ts";
import { reportCsv } from "./views.ts";
import { RateLimiter } from "./rate-limit.ts";
import { sendLiveStream } from "./live-stream.ts";

const ShowParams = z.object({ showId: Id });
const tags = ["analytics"];
const DAY_MS = 86_400_000;
const MAX_RANGE_DAYS = 366;

/**
 * POST /api/v1/analytics/events                      funnel events from a viewer's app (≤ 50; anonymous allowed)
 * GET  /api/v1/analytics/shows/:showId/live          the show's minute series, funnel, GMV, per product
 * GET  /api/v1/analytics/shows/:showId/live/stream   the same, pushed as server-sent events (`analytics.live`)
 * GET  /api/v1/analytics/report?from&to&showId|productId&creatorId&campaignId[&format=csv&by=day|show|product]
 * Live figures: the show's merchant staff, its host, admins. Reports: the same, scoped to their shows.
 */
export function analyticsRoutes(app: Http, deps: { analytics: Analytics; ingestLimit?: { burst: number; perSecond: number } }) {
  const { analytics } = deps;
  // Per session when signed in, else per address: a dashboard-free client sends a batch every few seconds.
  const limiter = new RateLimiter(deps.ingestLimit ?? { burst: 20, perSecond: 2 });

  app.post("/api/v1/analytics/events", { schema: { tags, body: IngestBody, response: { 202: IngestResult } } }, async (req, reply) => {
    const waitMs = limiter.take(req.user ? `u:${req.user.id}` : `ip:${req.ip}`);
    if (waitMs > 0) {
      reply.header("retry-after", String(Math.ceil(waitMs / 1000)));
      throw new AppError("rate_limited", "Too many analytics batches; send them less often.");
    }
    return reply.status(202).send(await analytics.ingest(req.user, req.body.events));
  });

  app.get("/api/v1/analytics/shows/:showId/live", { schema: { tags, params: ShowParams, response: { 200: LiveAnalytics } } }, async (req) => {
    return unwrap(await analytics.live(requireUser(req), req.params.showId)).live;
  });

  app.get(
    "/api/v1/analytics/shows/:showId/live/stream",
    { schema: { tags, params: ShowParams, description: "text/event-stream: `analytics.live` events, each a LiveAnalytics" } },
    async (req, reply) => {
      const user = requireUser(req);
      await sendLiveStream(req, reply, (w) => analytics.watch(user, req.params.showId, w));
    },
  );

  app.get(
    "/api/v1/analytics/report",
    { schema: { tags, querystring: ReportQuery, response: { 200: z.union([AnalyticsReport, z.string().describe("text/csv, with format=csv: the breakdown chosen by `by`")]) } } },
    async (req, reply) => {
      const user = requireUser(req);
      const q = req.query;
      const to = q.to ? instant(q.to, "to") : Date.now();
      const from = q.from ? instant(q.from, "from") : to - 30 * DAY_MS;
      if (!(from < to)) throw new AppError("validation_failed", "`from` must be before `to`.", [{ path: "querystring.from", message: "must be before to" }]);
      if (to - from > MAX_RANGE_DAYS * DAY_MS) throw new AppError("validation_failed", `A report covers at most ${MAX_RANGE_DAYS} days.`, [{ path: "querystring.to", message: "range too long" }]);
      const { report } = unwrap(await analytics.report(user, { from, to, showId: q.showId, productId: q.productId, creatorId: q.creatorId, campaignId: q.campaignId }));
      if (q.format === "csv") {
        const name = `vetrina-report-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}-by-${q.by}.csv`;
        return reply.type("text/csv; charset=utf-8").header("content-disposition", `attachment; filename="${name}"`).send(reportCsv(report, q.by));
      }
      return report;
    },
  );
}

/** An ISO instant, or a UTC date: as `to`, a date includes its whole day. */
function instant(s: string, which: "from" | "to"): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const day = Date.parse(`${s}T00:00:00Z`);
    if (Number.isFinite(day)) return which === "to" ? day + DAY_MS : day;
  } else if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const at = Date.parse(s);
    if (Number.isFinite(at)) return at;
  }
  throw new AppError("validation_failed", `\`${which}\` must be a date (2025-01-31) or an ISO instant.`, [{ path: `querystring.${which}`, message: "invalid date" }]);
}
