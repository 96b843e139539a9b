import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
} from "chart.js";
import { useI18n } from "../../i18n/index.tsx";
import "./charts.css";

/*
 * The app's chart layer over Chart.js v4: only the line and bar controllers and what they need are
 * registered (the rest is tree-shaken out), category axes with labels formatted by the caller (Intl,
 * no date adapter), responsive inside a sized box. A chart is created once and its data replaced in
 * place on every update (no animation, so live updates do not flicker); it is destroyed on unmount.
 * Each chart has an accessible name and a visually hidden table of its data.
 */
Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Filler, Legend, Tooltip);
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
Chart.defaults.font.size = 12;
Chart.defaults.color = "#63606f";

export type ChartColor = "accent" | "info" | "ok" | "warn" | "violet" | "muted";
const COLORS: Record<ChartColor, string> = { accent: "#e8315f", info: "#1f5fbf", ok: "#1e7d45", warn: "#a15c00", violet: "#7a3fbf", muted: "#8a8797" };

export interface Series {
  label: string;
  data: number[];
  color: ChartColor;
  /** lines: dashed (a secondary series) */
  dashed?: boolean;
  /** lines: the area under it tinted */
  fill?: boolean;
}

export interface ChartPanelProps {
  kind: "line" | "bar";
  title: string;
  /** one per point, already formatted ("18:05", "31 Jan", a product's title) */
  labels: string[];
  series: Series[];
  /** the data table's first column header ("Minute", "Day", "Product") */
  labelHeader: string;
  /** an axis tick (default: the number as is) */
  tick?: (v: number) => string;
  /** a value in a tooltip and in the data table (default: `tick`) */
  value?: (v: number, seriesIndex: number) => string;
  /** bars along the y axis (long labels, such as product titles, read better on a phone) */
  horizontal?: boolean;
  /** the value axis shows whole numbers only (counts); off for money */
  integers?: boolean;
  /** plot height in px; the width follows the container */
  height?: number;
  /** the text shown when there is nothing to plot (default: "Nothing to chart yet.") */
  empty?: string;
  testId?: string;
  children?: ComponentChildren;
}

/** The hidden data table keeps the latest rows only (a long show has hundreds of minutes). */
const TABLE_ROWS = 60;
const reducedMotion = () => typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;

function dataset(kind: "line" | "bar", s: Series, points: number): ChartDataset<"line" | "bar"> {
  const color = COLORS[s.color];
  if (kind === "line")
    return {
      label: s.label,
      data: s.data,
      borderColor: color,
      backgroundColor: s.fill ? `${color}22` : color,
      fill: !!s.fill,
      tension: 0.25,
      borderWidth: 2,
      borderDash: s.dashed ? [5, 4] : [],
      pointRadius: points > 24 ? 0 : 2.5,
      pointHoverRadius: 4,
    } as ChartDataset<"line">;
  return { label: s.label, data: s.data, backgroundColor: color, borderRadius: 4, maxBarThickness: 28, categoryPercentage: 0.8, barPercentage: 0.9 } as ChartDataset<"bar">;
}

export function ChartPanel(props: ChartPanelProps) {
  const { m } = useI18n();
  const a11y = m.dashboard.chart;
  const empty = props.empty ?? a11y.nothing;
  const id = useId();
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart | null>(null);
  // Tick and tooltip callbacks read the latest props (a language switch needs no new chart).
  const latest = useRef(props);
  latest.current = props;
  const { kind, horizontal = false, labels, series, title, height = 220, integers = true } = props;

  useEffect(() => {
    const valueAxis = horizontal ? "x" : "y";
    const categoryAxis = horizontal ? "y" : "x";
    const fmtTick = (v: number) => latest.current.tick?.(v) ?? String(v);
    const fmtValue = (v: number, i: number) => latest.current.value?.(v, i) ?? fmtTick(v);
    const config: ChartConfiguration<"line" | "bar"> = {
      type: kind,
      data: { labels: [], datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reducedMotion() ? false : { duration: 250 },
        // A phone turning, a window resized: redraw at once (the chart-level duration would apply to resizes too).
        transitions: { resize: { animation: { duration: 0 } } },
        indexAxis: categoryAxis,
        interaction: { mode: "index", intersect: false, axis: categoryAxis },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true, padding: 12 } },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const v = horizontal ? ctx.parsed.x : ctx.parsed.y;
                return `${ctx.dataset.label ?? ""}: ${fmtValue(Number(v), ctx.datasetIndex)}`;
              },
            },
          },
        },
        scales: {
          [categoryAxis]: {
            type: "category",
            grid: { display: false },
            ticks: {
              autoSkip: true,
              maxRotation: 0,
              ...(horizontal ? {} : { maxTicksLimit: 6 }),
              // Long product titles are cut on the axis (the tooltip and the table have them whole).
              callback(this: CategoryScale, value: string | number) {
                const label = this.getLabelForValue(Number(value));
                return label.length > 18 ? `${label.slice(0, 17)}…` : label;
              },
            },
          },
          [valueAxis]: {
            type: "linear",
            beginAtZero: true,
            grid: { color: "#ecebf1" },
            border: { display: false },
            ticks: { maxTicksLimit: 5, precision: latest.current.integers === false ? undefined : 0, callback: (v: string | number) => fmtTick(Number(v)) },
          },
          // (computed axis keys: Chart.js's types cannot follow them)
        } as never,
      },
    };
    const c = new Chart(canvas.current!, config);
    chart.current = c;
    return () => {
      c.destroy();
      chart.current = null;
    };
  }, [kind, horizontal, integers]);

  // New figures (pass memoized arrays: a new array means new data): the same chart, its data replaced in place.
  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels;
    const points = labels.length;
    series.forEach((s, i) => {
      const next = dataset(kind, s, points);
      const cur = c.data.datasets[i];
      if (cur) Object.assign(cur, next);
      else c.data.datasets.push(next);
    });
    c.data.datasets.length = series.length;
    if (c.options.plugins?.legend) c.options.plugins.legend.display = series.length > 1;
    c.update("none");
  }, [labels, series, kind, horizontal, integers]);

  const described = a11y.described(title, labels.length);
  const rows = labels.map((label, i) => ({ label, i })).slice(-TABLE_ROWS);
  const valueText = (v: number, si: number) => props.value?.(v, si) ?? props.tick?.(v) ?? String(v);
  return (
    <section class="card chart-panel" aria-labelledby={`${id}-t`} data-testid={props.testId}>
      <h2 class="chart-title" id={`${id}-t`}>
        {title}
      </h2>
      <div class="chart-box" style={{ height: `${height}px` }}>
        <canvas ref={canvas} role="img" aria-label={described} />
        {labels.length === 0 && (
          <p class="chart-empty" aria-hidden="true">
            {empty}
          </p>
        )}
      </div>
      {props.children}
      {/* (hidden by a wrapper: a table ignores the 1px box and would widen the page) */}
      <div class="visually-hidden">
        <table>
          <caption>
            {a11y.dataTable}: {title}
            {labels.length > TABLE_ROWS ? ` (${a11y.lastRows(TABLE_ROWS)})` : ""}
          </caption>
          <thead>
            <tr>
              <th scope="col">{props.labelHeader}</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={series.length + 1}>{empty}</td>
              </tr>
            ) : (
              rows.map(({ label, i }) => (
                <tr key={`${i}-${label}`}>
                  <th scope="row">{label}</th>
                  {series.map((s, si) => (
                    <td key={s.label}>{valueText(s.data[i] ?? 0, si)}</td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A line chart: a series over minutes or days. */
export const LineChart = (p: Omit<ChartPanelProps, "kind">) => <ChartPanel kind="line" {...p} />;
/** A bar chart: funnel steps, per-product figures, money per minute or day. */
export const BarChart = (p: Omit<ChartPanelProps, "kind">) => <ChartPanel kind="bar" {...p} />;
