import { useMemo } from "preact/hooks";
import { api } from "../../api/endpoints.ts";
import { LineChart, type Series } from "../../components/charts/chart.tsx";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { canHost, useSession } from "../../session.tsx";
import { StatusBadge } from "../studio/studio-list.tsx";
import { chatRate, conversion } from "./figures.ts";
import { FunnelPanel, GmvCharts, Kpi, Kpis, MoneyLines, ProductsPanel, useChartFormat } from "./parts.tsx";
import { useLiveAnalytics, useNow, type LiveConnection, type LiveSource } from "./use-live.ts";

/** The brand's and the creator's source: /api/v1/analytics/shows/:id/live and its stream. */
export function analyticsSource(showId: string): LiveSource {
  return { snapshot: (signal) => api.analytics.live(showId, signal), streamUrl: api.analytics.liveStreamUrl(showId) };
}

/** "live · updated 4 s ago": the connection, and how old the figures on screen are. */
function Freshness({ connection, receivedAt }: { connection: LiveConnection; receivedAt: number | null }) {
  const { m } = useI18n();
  const f = useChartFormat();
  const now = useNow(1000);
  const s = receivedAt === null ? null : Math.max(0, Math.floor((now - receivedAt) / 1000));
  const ago = s === null ? null : s < 2 ? m.dashboard.justNow : s < 120 ? m.dashboard.secondsAgo(f.count(s)) : m.dashboard.minutesAgo(f.count(Math.floor(s / 60)));
  return (
    <p class={`freshness freshness-${connection}`} data-testid="freshness">
      <span class="freshness-dot" aria-hidden="true" />
      <span role="status">{m.dashboard.connection[connection]}</span>
      {ago && <span> · {m.dashboard.updated(ago)}</span>}
    </p>
  );
}

/**
 * A show's live dashboard: KPI tiles, viewers over time, likes and chat per minute, the funnel, GMV
 * per minute and per product, updated as the server pushes figures (no reload). `source` decides
 * where the figures come from (an agency's dashboard passes its own endpoints).
 */
export function LiveDashboard({ showId, source, links = true }: { showId: string; source?: LiveSource; links?: boolean }) {
  const { m } = useI18n();
  const { user } = useSession();
  const f = useChartFormat();
  const src = useMemo(() => source ?? analyticsSource(showId), [source, showId]);
  const show = useAsync(() => api.shows.get(showId), [showId]);
  const { live, receivedAt, connection, error } = useLiveAnalytics(src);
  useTitle(show.data ? `${m.dashboard.liveTitle}: ${show.data.title}` : m.dashboard.liveTitle);

  const minutes = live?.minutes;
  const labels = useMemo(() => (minutes ?? []).map((x) => f.minute(x.minute)), [minutes, f]);
  const viewers = useMemo<Series[]>(
    () => [
      { label: m.dashboard.chart.viewersSeries, data: (minutes ?? []).map((x) => x.viewers), color: "accent", fill: true },
      { label: m.dashboard.chart.peakSeries, data: (minutes ?? []).map((x) => x.viewersMax), color: "info", dashed: true },
    ],
    [minutes, m],
  );
  const engagement = useMemo<Series[]>(
    () => [
      { label: m.dashboard.chart.likesSeries, data: (minutes ?? []).map((x) => x.likes), color: "accent" },
      { label: m.dashboard.chart.chatSeries, data: (minutes ?? []).map((x) => x.chatMessages), color: "info" },
    ],
    [minutes, m],
  );

  const currency = show.data?.products[0]?.currency ?? live?.totals.gmv[0]?.currency ?? "EUR";
  const status = show.data?.status;
  const t = live?.totals;

  return (
    <section class="page dashboard" data-testid="live-dashboard">
      <header class="dash-head">
        <div class="grow">
          <h1>{m.dashboard.liveTitle}</h1>
          <p class="dash-sub">
            {status && <StatusBadge status={status} />} <span class="dash-show-title">{show.data?.title ?? ""}</span>
          </p>
        </div>
        <Freshness connection={connection} receivedAt={receivedAt} />
      </header>
      {links && (
        <nav class="dash-links" aria-label={m.dashboard.liveTitle}>
          <Link class="btn btn-small btn-ghost" href={`/shows/${encodeURIComponent(showId)}`}>
            {m.dashboard.viewerPage}
          </Link>
          {(user?.id === show.data?.hostId || (canHost(user) && !show.data?.campaignId)) && (
            <Link class="btn btn-small btn-ghost" href={`/studio/${encodeURIComponent(showId)}`}>
              {m.dashboard.studio}
            </Link>
          )}
          <Link class="btn btn-small btn-ghost" href={`/dashboard/reports?scope=show&id=${encodeURIComponent(showId)}`}>
            {m.dashboard.reportLink}
          </Link>
        </nav>
      )}
      {status === "ended" && <p class="dash-note">{m.dashboard.ended}</p>}
      {status === "scheduled" && <p class="dash-note">{m.dashboard.scheduled}</p>}

      {error ? (
        <ErrorBox error={error} />
      ) : !live || !t ? (
        <Spinner />
      ) : (
        <>
          <Kpis label={m.dashboard.liveTitle}>
            <Kpi label={m.dashboard.kpi.viewersNow} testId="kpi-viewers">
              {f.count(live.currentViewers)}
            </Kpi>
            <Kpi label={m.dashboard.kpi.peak} testId="kpi-peak">
              {f.count(t.peakViewers)}
            </Kpi>
            <Kpi label={m.dashboard.kpi.likes} testId="kpi-likes">
              {f.compact(t.likes)}
            </Kpi>
            <Kpi label={m.dashboard.kpi.chatPerMinute} hint={m.dashboard.kpi.chatPerMinuteHint} testId="kpi-chat">
              {f.rate(chatRate(live.minutes))}
            </Kpi>
            <Kpi label={m.dashboard.kpi.orders} testId="kpi-orders">
              {f.count(t.ordersPaid)}
            </Kpi>
            <Kpi label={m.dashboard.kpi.gmv} testId="kpi-gmv">
              <MoneyLines list={t.gmv} fallback={currency} />
            </Kpi>
            <Kpi label={m.dashboard.kpi.conversion} hint={m.dashboard.kpi.conversionHint} testId="kpi-conversion">
              {f.percent(conversion(t))}
            </Kpi>
          </Kpis>
          {live.minutes.length === 0 && <p class="dash-note">{m.dashboard.noData}</p>}
          <div class="dash-grid">
            <LineChart title={m.dashboard.chart.viewers} labels={labels} series={viewers} labelHeader={m.dashboard.table.minute} tick={f.compact} value={f.count} testId="chart-viewers" />
            <LineChart title={m.dashboard.chart.engagement} labels={labels} series={engagement} labelHeader={m.dashboard.table.minute} tick={f.compact} value={f.count} testId="chart-engagement" />
            <FunnelPanel figures={t} testId="chart-funnel" />
            <GmvCharts labels={labels} points={live.minutes} title={m.dashboard.chart.gmvPerMinute} labelHeader={m.dashboard.table.minute} fallbackCurrency={currency} testId="chart-gmv" />
            <div class="dash-wide">
              <ProductsPanel products={live.products} fallbackCurrency={currency} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}

export function LiveDashboardPage({ showId }: { showId: string }) {
  return <LiveDashboard showId={showId} />;
}
