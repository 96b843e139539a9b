import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { AnalyticsReport, Figures } from "../../../../src/shared/contracts/analytics.ts";
import { api, type ReportParams } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { BarChart, LineChart, type Series } from "../../components/charts/chart.tsx";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { isMerchant, signInHref, useSession } from "../../session.tsx";
import { conversion, fillDays, lastDays, rangeDays } from "./figures.ts";
import { FunnelPanel, GmvCharts, Kpi, Kpis, MoneyLines, ProductsPanel, useChartFormat } from "./parts.tsx";

type Scope = "all" | "show" | "product" | "creator" | "campaign";
const SCOPES: Scope[] = ["all", "show", "product", "creator", "campaign"];
type By = "day" | "show" | "product";
const BYS: By[] = ["day", "show", "product"];
const PRESETS = [7, 30, 90];
const MAX_DAYS = 366;

interface Query {
  from: string;
  to: string;
  scope: Scope;
  id: string;
  by: By;
}

function readQuery(): Query {
  const q = new URLSearchParams(location.search);
  const preset = lastDays(30);
  const scope = q.get("scope") as Scope | null;
  const by = q.get("by") as By | null;
  return {
    from: q.get("from") ?? preset.from,
    to: q.get("to") ?? preset.to,
    scope: scope && SCOPES.includes(scope) ? scope : "all",
    id: q.get("id") ?? "",
    by: by && BYS.includes(by) ? by : "day",
  };
}

const scopeParam: Record<Exclude<Scope, "all">, keyof ReportParams> = { show: "showId", product: "productId", creator: "creatorId", campaign: "campaignId" };

/** What the "creator" and "campaign" scopes offer: a brand's campaigns and their creators; a creator's own campaigns. */
async function scopeOptions(merchant: boolean): Promise<{ creators: { id: string; name: string }[]; campaigns: { id: string; name: string }[] }> {
  const creators = new Map<string, string>();
  const campaigns = new Map<string, string>();
  if (merchant) {
    const list = await api.campaigns.list().catch(() => ({ items: [] }));
    for (const c of list.items) {
      campaigns.set(c.id, c.name);
      for (const m of c.creators) if (m.status === "accepted") creators.set(m.creatorId, `${m.displayName} (@${m.handle})`);
    }
  } else {
    const mine = await api.creator.campaigns().catch(() => ({ items: [] }));
    for (const c of mine.items) if (c.membership === "accepted") campaigns.set(c.id, `${c.name} · ${c.merchantName}`);
  }
  const byName = (m: Map<string, string>) => [...m.entries()].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
  return { creators: byName(creators), campaigns: byName(campaigns) };
}

/**
 * Reports: a period (presets 7/30/90 days, or any dates up to 366 days) and a scope (all the shows
 * one may see, or one show, product, creator or campaign); the same charts as the live dashboard by
 * day, breakdowns by day, show and product, and the CSV export of the breakdown on screen.
 */
export function ReportsPage() {
  const { m } = useI18n();
  const { user } = useSession();
  useTitle(m.dashboard.reports.title);
  const [q, setQ] = useState<Query>(readQuery);
  const set = (patch: Partial<Query>) => setQ((cur) => ({ ...cur, ...patch }));

  // The choices live in the address (shareable, kept on reload) without a navigation.
  useEffect(() => {
    const params = new URLSearchParams({ from: q.from, to: q.to, scope: q.scope, by: q.by });
    if (q.scope !== "all" && q.id) params.set("id", q.id);
    history.replaceState(history.state, "", `/dashboard/reports?${params}`);
  }, [q]);

  const days = rangeDays(q.from, q.to);
  const validRange = days >= 1 && days <= MAX_DAYS;
  const period = { from: q.from, to: q.to };
  const filter: ReportParams = q.scope !== "all" && q.id ? { [scopeParam[q.scope]]: q.id } : {};
  const ready = validRange && (q.scope === "all" || !!q.id);

  // The period's report over everything one may see: the "all" scope, and the shows and products to choose from.
  const base = useAsync((signal) => (user && validRange ? api.analytics.report(period, signal) : Promise.resolve(null)), [user?.id, q.from, q.to, validRange]);
  const scoped = useAsync(
    (signal) => (user && ready && q.scope !== "all" ? api.analytics.report({ ...period, ...filter }, signal) : Promise.resolve(null)),
    [user?.id, q.from, q.to, q.scope, q.id, ready],
  );
  const options = useAsync(() => (user ? scopeOptions(isMerchant(user)) : Promise.resolve({ creators: [], campaigns: [] })), [user?.id]);

  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.dashboard.reports.title}</h1>
        <Link class="btn btn-primary" href={signInHref("/dashboard/reports")}>
          {m.nav.signIn}
        </Link>
      </section>
    );

  const choices: Record<Exclude<Scope, "all">, { id: string; name: string }[]> = {
    show: (base.data?.shows ?? []).map((s) => ({ id: s.showId, name: s.title })),
    product: (base.data?.products ?? []).map((p) => ({ id: p.productId, name: p.title })),
    creator: options.data?.creators ?? [],
    campaign: options.data?.campaigns ?? [],
  };
  // The chosen one stays listed even when it has no figures in this period.
  if (q.scope !== "all" && q.id && !choices[q.scope].some((c) => c.id === q.id)) {
    const title = scoped.data?.shows[0]?.title ?? (q.scope === "product" ? scoped.data?.products[0]?.title : undefined);
    choices[q.scope] = [{ id: q.id, name: title ?? q.id }, ...choices[q.scope]];
  }
  const scopes = SCOPES.filter((s) => s === "all" || s === "show" || s === "product" || choices[s].length > 0 || q.scope === s);
  const current = q.scope === "all" ? base : scoped;
  const report = current.data ?? null;
  const r = m.dashboard.reports;
  const forbidden = isApiError(current.error) && current.error.status === 403;

  return (
    <section class="page dashboard" data-testid="reports-page">
      <header class="dash-head">
        <div class="grow">
          <h1>{r.title}</h1>
          <p class="dash-sub muted">{r.intro}</p>
        </div>
      </header>

      <form class="card report-controls" onSubmit={(e) => e.preventDefault()}>
        <fieldset class="report-period">
          <legend>{r.period}</legend>
          <div class="preset-row" role="group" aria-label={r.period}>
            {PRESETS.map((n) => {
              const p = lastDays(n);
              return (
                <button type="button" key={n} class="btn btn-small preset" aria-pressed={q.from === p.from && q.to === p.to} onClick={() => set(p)}>
                  {r.lastDays(n)}
                </button>
              );
            })}
          </div>
          <div class="date-row">
            <label>
              <span>{r.from}</span>
              <input type="date" value={q.from} max={q.to} onChange={(e) => e.currentTarget.value && set({ from: e.currentTarget.value })} data-testid="report-from" />
            </label>
            <label>
              <span>{r.to}</span>
              <input type="date" value={q.to} min={q.from} onChange={(e) => e.currentTarget.value && set({ to: e.currentTarget.value })} data-testid="report-to" />
            </label>
          </div>
        </fieldset>
        <div class="scope-row">
          <label>
            <span>{r.scope}</span>
            <select value={q.scope} onChange={(e) => set({ scope: e.currentTarget.value as Scope, id: "" })} data-testid="report-scope">
              {scopes.map((s) => (
                <option key={s} value={s}>
                  {r.scopes[s]}
                </option>
              ))}
            </select>
          </label>
          {q.scope !== "all" && (
            <label class="grow">
              <span>{r.scopes[q.scope]}</span>
              <select value={q.id} onChange={(e) => set({ id: e.currentTarget.value })} data-testid="report-scope-id">
                <option value="">{r.choose}</option>
                {choices[q.scope].map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
          )}
        </div>
        {!validRange && (
          <p class="field-error" role="alert">
            {r.badRange}
          </p>
        )}
      </form>

      {!ready ? (
        validRange && <p class="dash-note">{r.chooseFirst}</p>
      ) : forbidden ? (
        <p class="dash-note" role="alert">
          {r.forbidden}
        </p>
      ) : current.error ? (
        <ErrorBox error={current.error} onRetry={current.reload} />
      ) : !report ? (
        <Spinner />
      ) : (
        <ReportView report={report} by={q.by} setBy={(by) => set({ by })} csvHref={api.analytics.reportCsvUrl({ ...period, ...filter }, q.by)} loading={current.loading} />
      )}
    </section>
  );
}

function ReportView({ report, by, setBy, csvHref, loading }: { report: AnalyticsReport; by: By; setBy(by: By): void; csvHref: string; loading: boolean }) {
  const { m } = useI18n();
  const f = useChartFormat();
  const r = m.dashboard.reports;
  const t = report.totals;
  const room = t.peakViewers !== null;
  const currency = t.gmv[0]?.currency ?? report.days.find((d) => d.gmv.length)?.gmv[0]?.currency ?? "EUR";
  const days = useMemo(
    () =>
      fillDays(report.days, report.from, report.to, (day) => ({
        day,
        ...emptyFigures(room),
      })),
    [report, room],
  );
  const labels = useMemo(() => days.map((d) => f.day(d.day)), [days, f]);
  const peak = useMemo<Series[]>(() => [{ label: m.dashboard.kpi.peak, data: days.map((d) => d.peakViewers ?? 0), color: "accent", fill: true }], [days, m]);
  const engagement = useMemo<Series[]>(
    () => [
      { label: m.dashboard.chart.likesSeries, data: days.map((d) => d.likes ?? 0), color: "accent" },
      { label: m.dashboard.chart.chatSeries, data: days.map((d) => d.chatMessages ?? 0), color: "info" },
    ],
    [days, m],
  );
  const empty = report.days.length === 0;

  return (
    <div class={loading ? "report is-loading" : "report"} aria-busy={loading}>
      <Kpis label={r.title}>
        {room && (
          <>
            <Kpi label={m.dashboard.kpi.peak} testId="kpi-peak">
              {f.count(t.peakViewers ?? 0)}
            </Kpi>
            <Kpi label={m.dashboard.kpi.likes}>{f.compact(t.likes ?? 0)}</Kpi>
            <Kpi label={m.dashboard.kpi.chatMessages}>{f.compact(t.chatMessages ?? 0)}</Kpi>
          </>
        )}
        <Kpi label={m.dashboard.kpi.orders} testId="kpi-orders">
          {f.count(t.ordersPaid)}
        </Kpi>
        <Kpi label={m.dashboard.kpi.units}>{f.count(t.unitsPaid)}</Kpi>
        <Kpi label={m.dashboard.kpi.gmv} testId="kpi-gmv">
          <MoneyLines list={t.gmv} fallback={currency} />
        </Kpi>
        <Kpi label={m.dashboard.kpi.refunded}>
          <MoneyLines list={t.refunded} fallback={currency} />
        </Kpi>
        <Kpi label={m.dashboard.kpi.net}>
          <MoneyLines list={t.net} fallback={currency} />
        </Kpi>
        <Kpi label={m.dashboard.kpi.conversion} hint={m.dashboard.kpi.conversionHint}>
          {f.percent(conversion(t))}
        </Kpi>
      </Kpis>
      {empty && <p class="dash-note">{r.empty}</p>}
      {!room && <p class="dash-note">{r.productNote}</p>}

      <div class="dash-grid">
        {room && <LineChart title={m.dashboard.chart.peakByDay} labels={labels} series={peak} labelHeader={m.dashboard.table.day} tick={f.compact} value={f.count} testId="chart-peak" />}
        {room && <BarChart title={m.dashboard.chart.engagementByDay} labels={labels} series={engagement} labelHeader={m.dashboard.table.day} tick={f.compact} value={f.count} testId="chart-engagement" />}
        <FunnelPanel figures={t} testId="chart-funnel" />
        <GmvCharts labels={labels} points={days} title={m.dashboard.chart.gmvPerDay} labelHeader={m.dashboard.table.day} fallbackCurrency={currency} testId="chart-gmv" />
        {report.products.length > 0 && (
          <div class="dash-wide">
            <ProductsPanel products={report.products} fallbackCurrency={currency} />
          </div>
        )}
      </div>

      <section class="card breakdown" aria-labelledby="breakdown-title">
        <div class="breakdown-head">
          <h2 id="breakdown-title">{r.breakdown}</h2>
          <a class="btn btn-small btn-primary" href={csvHref} download data-testid="export-csv" title={r.exportHint(r.by[by])}>
            {r.exportCsv}
          </a>
        </div>
        <div class="segmented" role="group" aria-label={r.breakdown}>
          {BYS.map((b) => (
            <button type="button" key={b} class="btn btn-small" aria-pressed={by === b} onClick={() => setBy(b)}>
              {r.by[b]}
            </button>
          ))}
        </div>
        <Breakdown report={report} by={by} currency={currency} room={room} />
      </section>
    </div>
  );
}

function emptyFigures(room: boolean): Figures {
  return {
    cardsShown: 0,
    cardsTapped: 0,
    checkoutsStarted: 0,
    ordersPaid: 0,
    unitsPaid: 0,
    ordersRefunded: 0,
    gmv: [],
    refunded: [],
    net: [],
    peakViewers: room ? 0 : null,
    likes: room ? 0 : null,
    chatMessages: room ? 0 : null,
  };
}

function Breakdown({ report, by, currency, room }: { report: AnalyticsReport; by: By; currency: string; room: boolean }) {
  const { m } = useI18n();
  const f = useChartFormat();
  const t = m.dashboard.table;
  const rows: { key: string; head: ComponentChildren; fig: Figures }[] =
    by === "day"
      ? [...report.days].reverse().map((d) => ({ key: d.day, head: <time dateTime={d.day}>{f.day(d.day)}</time>, fig: d }))
      : by === "show"
        ? report.shows.map((s) => ({ key: s.showId, head: <Link href={`/dashboard/shows/${encodeURIComponent(s.showId)}`}>{s.title}</Link>, fig: s }))
        : report.products.map((p) => ({ key: p.productId, head: p.title, fig: p }));
  if (!rows.length) return <p class="muted">{t.noRows}</p>;
  const keyHeader = by === "day" ? t.day : by === "show" ? t.show : t.product;
  return (
    <div class="table-scroll">
      <table class="dash-table" data-testid={`breakdown-${by}`}>
        <thead>
          <tr>
            <th scope="col">{keyHeader}</th>
            {room && by !== "product" && (
              <>
                <th scope="col">{t.peak}</th>
                <th scope="col">{t.likes}</th>
                <th scope="col">{t.chat}</th>
              </>
            )}
            <th scope="col">{t.shown}</th>
            <th scope="col">{t.tapped}</th>
            <th scope="col">{t.checkout}</th>
            <th scope="col">{t.paid}</th>
            <th scope="col">{t.units}</th>
            <th scope="col">{t.gmv}</th>
            <th scope="col">{t.net}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ key, head, fig }) => (
            <tr key={key}>
              <th scope="row">{head}</th>
              {room && by !== "product" && (
                <>
                  <td>{f.count(fig.peakViewers ?? 0)}</td>
                  <td>{f.count(fig.likes ?? 0)}</td>
                  <td>{f.count(fig.chatMessages ?? 0)}</td>
                </>
              )}
              <td>{f.count(fig.cardsShown)}</td>
              <td>{f.count(fig.cardsTapped)}</td>
              <td>{f.count(fig.checkoutsStarted)}</td>
              <td>{f.count(fig.ordersPaid)}</td>
              <td>{f.count(fig.unitsPaid)}</td>
              <td>
                <MoneyLines list={fig.gmv} fallback={currency} />
              </td>
              <td>
                <MoneyLines list={fig.net} fallback={currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
