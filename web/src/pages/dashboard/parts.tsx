import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import type { ProductFigures, SalesFigures } from "../../../../src/shared/contracts/analytics.ts";
import { BarChart } from "../../components/charts/chart.tsx";
import { chartFormat, toMajor, toMinor, type ChartFormat } from "../../components/charts/format.ts";
import { useI18n } from "../../i18n/index.tsx";
import { amountIn, currenciesOf, funnel } from "./figures.ts";
import "./dashboard.css";

/** The current locale's chart formatting. */
export function useChartFormat(): ChartFormat {
  const { locale } = useI18n();
  return chartFormat(locale);
}

export function Kpis({ children, label }: { children: ComponentChildren; label: string }) {
  return (
    <dl class="kpis" aria-label={label}>
      {children}
    </dl>
  );
}

export function Kpi({ label, hint, children, testId }: { label: string; hint?: string; children: ComponentChildren; testId?: string }) {
  return (
    <div class="kpi">
      <dt>
        {label}
        {hint && <small class="kpi-hint">{hint}</small>}
      </dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** Money per currency, one line each; `fallback` currency shows a zero when there is none. */
export function MoneyLines({ list, fallback }: { list: { currency: string; amount: number }[]; fallback: string }) {
  const f = useChartFormat();
  const items = list.filter((m) => m.amount !== 0);
  if (!items.length) return <span>{f.money(0, fallback)}</span>;
  return (
    <>
      {items.map((m) => (
        <span class="money-line" key={m.currency}>
          {f.money(m.amount, m.currency)}
        </span>
      ))}
    </>
  );
}

/** card shown → tapped → checkout started → paid: a bar chart and the steps with their conversion. */
export function FunnelPanel({ figures, testId }: { figures: Pick<SalesFigures, "cardsShown" | "cardsTapped" | "checkoutsStarted" | "ordersPaid">; testId?: string }) {
  const { m } = useI18n();
  const f = useChartFormat();
  const rows = useMemo(() => funnel(figures), [figures.cardsShown, figures.cardsTapped, figures.checkoutsStarted, figures.ordersPaid]);
  const labels = useMemo(() => rows.map((r) => m.dashboard.funnel[r.step]), [rows, m]);
  const series = useMemo(() => [{ label: m.dashboard.chart.funnelSeries, data: rows.map((r) => r.value), color: "violet" as const }], [rows, m]);
  return (
    <BarChart title={m.dashboard.chart.funnel} labels={labels} series={series} labelHeader={m.dashboard.chart.funnel} horizontal height={190} tick={f.compact} value={f.count} testId={testId}>
      <ol class="funnel-steps">
        {rows.map((r) => (
          <li key={r.step}>
            <span class="funnel-step">{m.dashboard.funnel[r.step]}</span>
            <strong data-testid={`funnel-${r.step}`}>{f.count(r.value)}</strong>
            {/* (more paid than started checkouts happens: flash-sale purchases skip the buy sheet; a rate over 100 % says nothing) */}
            {r.ofPrevious !== null && r.ofPrevious <= 1 && <span class="funnel-rate">{m.dashboard.funnel.ofPrevious(f.percent(r.ofPrevious))}</span>}
          </li>
        ))}
      </ol>
      <p class="hint small">{m.dashboard.funnel.hint}</p>
    </BarChart>
  );
}

/** GMV over time, one bar chart per currency (amounts of different currencies never share an axis). */
export function GmvCharts({
  labels,
  points,
  title,
  labelHeader,
  fallbackCurrency,
  testId,
}: {
  labels: string[];
  points: { gmv: { currency: string; amount: number }[] }[];
  title(currency: string): string;
  labelHeader: string;
  /** the currency named while nothing has sold */
  fallbackCurrency: string;
  testId?: string;
}) {
  const { m } = useI18n();
  const f = useChartFormat();
  const charts = useMemo(() => {
    const found = currenciesOf(points.map((p) => p.gmv));
    const currencies = found.length ? found : [fallbackCurrency];
    return currencies.map((currency) => ({
      currency,
      series: [{ label: m.dashboard.chart.gmvSeries(currency), data: points.map((p) => toMajor(amountIn(p.gmv, currency), currency)), color: "ok" as const }],
    }));
  }, [points, m, fallbackCurrency]);
  return (
    <>
      {charts.map((c) => (
        <BarChart
          key={c.currency}
          title={title(c.currency)}
          labels={labels}
          series={c.series}
          labelHeader={labelHeader}
          integers={false}
          tick={(v) => f.moneyTick(v, c.currency)}
          value={(v) => f.money(toMinor(v, c.currency), c.currency)}
          testId={testId}
        />
      ))}
    </>
  );
}

/** Per product: taps, checkouts and orders as bars, and every figure in a table. */
export function ProductsPanel({ products, fallbackCurrency }: { products: (Pick<ProductFigures, "productId" | "title"> & SalesFigures)[]; fallbackCurrency: string }) {
  const { m } = useI18n();
  const f = useChartFormat();
  const sorted = useMemo(() => [...products].sort((a, b) => b.ordersPaid - a.ordersPaid || b.cardsTapped - a.cardsTapped || a.title.localeCompare(b.title)), [products]);
  const labels = useMemo(() => sorted.map((p) => p.title), [sorted]);
  const series = useMemo(
    () => [
      { label: m.dashboard.funnel.tapped, data: sorted.map((p) => p.cardsTapped), color: "info" as const },
      { label: m.dashboard.funnel.checkout, data: sorted.map((p) => p.checkoutsStarted), color: "warn" as const },
      { label: m.dashboard.funnel.paid, data: sorted.map((p) => p.ordersPaid), color: "ok" as const },
    ],
    [sorted, m],
  );
  const t = m.dashboard.table;
  return (
    <BarChart
      title={m.dashboard.chart.products}
      labels={labels}
      series={series}
      labelHeader={t.product}
      horizontal
      height={Math.max(170, sorted.length * 54 + 70)}
      tick={f.compact}
      value={f.count}
      testId="chart-products"
    >
      {sorted.length > 0 && (
        <div class="table-scroll">
          <table class="dash-table" data-testid="product-table">
            <thead>
              <tr>
                <th scope="col">{t.product}</th>
                <th scope="col">{t.shown}</th>
                <th scope="col">{t.tapped}</th>
                <th scope="col">{t.checkout}</th>
                <th scope="col">{t.paid}</th>
                <th scope="col">{t.units}</th>
                <th scope="col">{t.gmv}</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((p) => (
                <tr key={p.productId}>
                  <th scope="row">{p.title}</th>
                  <td>{f.count(p.cardsShown)}</td>
                  <td>{f.count(p.cardsTapped)}</td>
                  <td>{f.count(p.checkoutsStarted)}</td>
                  <td>{f.count(p.ordersPaid)}</td>
                  <td>{f.count(p.unitsPaid)}</td>
                  <td>
                    <MoneyLines list={p.gmv} fallback={fallbackCurrency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </BarChart>
  );
}
