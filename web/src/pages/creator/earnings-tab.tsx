import { useMemo, useState } from "preact/hooks";
import type { StatementEntry } from "../../../../src/shared/contracts/commissions.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { periodFor, statementUrl, toDateInput, type PeriodKind } from "../../lib/periods.ts";
import { formatBps } from "../../lib/rates.ts";
import { Rate } from "./bits.tsx";

/** Product and campaign names for statement lines (the ledger carries ids only). */
function useNames() {
  const campaigns = useAsync(() => api.creator.campaigns().catch(() => ({ items: [] })), []);
  return useMemo(() => {
    const products = new Map<string, string>();
    const names = new Map<string, string>();
    for (const c of campaigns.data?.items ?? []) {
      names.set(c.id, c.name);
      for (const p of c.products) products.set(p.productId, p.title);
    }
    return { products, campaigns: names };
  }, [campaigns.data]);
}

function Balances() {
  const { m, fmt } = useI18n();
  const earnings = useAsync(() => api.creator.earnings(), []);
  if (earnings.loading && !earnings.data) return <Spinner />;
  if (earnings.error) return <ErrorBox error={earnings.error} onRetry={earnings.reload} />;
  const e = earnings.data!;
  return (
    <section aria-labelledby="balances-title" class="balances">
      <h2 id="balances-title" class="section-title">
        {m.earnings.balances}
      </h2>
      {e.balances.length === 0 ? (
        <p class="empty">{m.earnings.noBalances}</p>
      ) : (
        <ul class="balance-grid" data-testid="balances">
          {e.balances.map((b) => (
            <li key={b.currency} class="card balance-card">
              <span class="balance-currency">{b.currency}</span>
              <dl>
                <div>
                  <dt>{m.earnings.pending}</dt>
                  <dd data-testid={`pending-${b.currency}`}>{fmt.money(b.pending, b.currency)}</dd>
                </div>
                <div>
                  <dt>{m.earnings.available}</dt>
                  <dd class="balance-available" data-testid={`available-${b.currency}`}>
                    {fmt.money(b.available, b.currency)}
                  </dd>
                </div>
                {b.paidOut > 0 && (
                  <div>
                    <dt>{m.earnings.paidOut}</dt>
                    <dd data-testid={`paid-out-${b.currency}`}>{fmt.money(b.paidOut, b.currency)}</dd>
                  </div>
                )}
              </dl>
            </li>
          ))}
        </ul>
      )}
      <p class="hint hold-note">{m.earnings.holdExplained(e.holdDays)}</p>
      <Payouts />
    </section>
  );
}

/** What the operator has paid out, newest first (nothing shown before the first payout). */
function Payouts() {
  const { m, fmt } = useI18n();
  const payouts = useAsync(() => api.creator.payouts(), []);
  const items = payouts.data?.items ?? [];
  if (!items.length) return null;
  return (
    <div class="payouts">
      <h3 class="section-title">{m.earnings.payouts}</h3>
      <ul class="plain-list" data-testid="payouts">
        {items.map((p) => (
          <li key={p.id}>
            <time dateTime={p.at}>{fmt.dateTime(p.at)}</time> · <strong>{fmt.money(p.amount, p.currency)}</strong> · <span class="muted">{m.earnings.payoutReference(p.reference)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function EntryRow({ e, product, campaign }: { e: StatementEntry; product: string | undefined; campaign: string | undefined }) {
  const { m, fmt, locale } = useI18n();
  return (
    <tr data-testid="statement-row" class={e.kind === "reversal" ? "row-reversal" : ""}>
      <td data-label={m.earnings.date}>
        <time dateTime={e.at}>{fmt.dateTime(e.at)}</time>
      </td>
      <td data-label={m.earnings.order}>
        <div>
          <span class="mono">{e.orderNumber}</span>
          {e.kind === "reversal" && <span class="chip chip-reversal">{m.earnings.reversal}</span>}
        </div>
      </td>
      <td data-label={m.earnings.product}>
        <div>
          {product ?? <span class="mono">{e.productId}</span>}
          {campaign && <span class="muted block small">{campaign}</span>}
        </div>
      </td>
      <td data-label={m.earnings.lineTotal} class="num">
        {fmt.money(e.lineTotal, e.currency)}
      </td>
      <td data-label={m.earnings.rate} class="num">
        <Rate bps={e.rateBps} />
        {e.shareBps !== null && (
          <span class="muted block small share-note" data-testid="share" title={m.earnings.shareExplained}>
            {m.earnings.yourShare(formatBps(e.shareBps, locale))}
          </span>
        )}
      </td>
      <td data-label={m.earnings.amount} class={`num ${e.amount < 0 ? "negative" : ""}`}>
        <strong>{fmt.money(e.amount, e.currency)}</strong>
      </td>
      <td data-label={m.earnings.availableAt}>
        <time dateTime={e.availableAt}>{fmt.date(e.availableAt)}</time>
      </td>
    </tr>
  );
}

export function EarningsTab() {
  const { m, fmt } = useI18n();
  const names = useNames();
  const [kind, setKind] = useState<PeriodKind>("this_month");
  const [custom, setCustom] = useState(() => {
    const now = new Date();
    return { from: toDateInput(new Date(now.getFullYear(), now.getMonth(), 1)), to: toDateInput(now) };
  });
  const period = useMemo(() => periodFor(kind, new Date(), custom), [kind, custom.from, custom.to]);
  const url = period ? statementUrl(period) : null;
  const statement = useAsync(() => (url ? api.creator.statement(url) : Promise.resolve(null)), [url]);
  const st = statement.data;

  return (
    <div class="earnings">
      <Balances />
      <section aria-labelledby="statement-title">
        <h2 id="statement-title" class="section-title">
          {m.earnings.statement}
        </h2>
        <div class="toolbar period-picker">
          <label class="inline-field">
            <span>{m.earnings.period}</span>
            <select value={kind} onChange={(e) => setKind(e.currentTarget.value as PeriodKind)} data-testid="period-kind">
              <option value="this_month">{m.earnings.thisMonth}</option>
              <option value="last_month">{m.earnings.lastMonth}</option>
              <option value="custom">{m.earnings.custom}</option>
            </select>
          </label>
          {kind === "custom" && (
            <div class="period-dates">
              <label class="inline-field">
                <span>{m.earnings.from}</span>
                <input type="date" value={custom.from} onChange={(e) => setCustom((c) => ({ ...c, from: e.currentTarget.value }))} data-testid="period-from" />
              </label>
              <label class="inline-field">
                <span>{m.earnings.to}</span>
                <input type="date" value={custom.to} onChange={(e) => setCustom((c) => ({ ...c, to: e.currentTarget.value }))} data-testid="period-to" />
              </label>
            </div>
          )}
          <span class="grow" />
          {period && (
            <a class="btn btn-small" href={statementUrl(period, "csv")} download data-testid="download-csv">
              {m.earnings.downloadCsv}
            </a>
          )}
        </div>
        {period ? (
          <p class="muted small">{m.earnings.periodShown(fmt.date(period.from), fmt.date(new Date(period.to.getTime() - 1)))}</p>
        ) : (
          <p class="field-error" role="alert">
            {m.earnings.invalidPeriod}
          </p>
        )}
        {statement.loading && !st ? (
          <Spinner />
        ) : statement.error ? (
          <ErrorBox error={statement.error} onRetry={statement.reload} />
        ) : st ? (
          <>
            {st.totals.length > 0 && (
              <ul class="totals-grid" data-testid="statement-totals">
                {st.totals.map((t) => (
                  <li key={t.currency} class="card">
                    <span class="balance-currency">{t.currency}</span>
                    <dl class="totals">
                      <div>
                        <dt>{m.earnings.opening}</dt>
                        <dd>{fmt.money(t.opening, t.currency)}</dd>
                      </div>
                      <div>
                        <dt>{m.earnings.accruals}</dt>
                        <dd>{fmt.money(t.accruals, t.currency)}</dd>
                      </div>
                      <div>
                        <dt>{m.earnings.reversals}</dt>
                        <dd>{fmt.money(t.reversals, t.currency)}</dd>
                      </div>
                      <div>
                        <dt>{m.earnings.net}</dt>
                        <dd>{fmt.money(t.net, t.currency)}</dd>
                      </div>
                      <div class="total-closing">
                        <dt>{m.earnings.closing}</dt>
                        <dd>{fmt.money(t.closing, t.currency)}</dd>
                      </div>
                    </dl>
                  </li>
                ))}
              </ul>
            )}
            {st.entries.length === 0 ? (
              <p class="empty">{m.earnings.noEntries}</p>
            ) : (
              <table class="data-table statement-table" data-testid="statement-table">
                <thead>
                  <tr>
                    <th scope="col">{m.earnings.date}</th>
                    <th scope="col">{m.earnings.order}</th>
                    <th scope="col">{m.earnings.product}</th>
                    <th scope="col" class="num">
                      {m.earnings.lineTotal}
                    </th>
                    <th scope="col" class="num">
                      {m.earnings.rate}
                    </th>
                    <th scope="col" class="num">
                      {m.earnings.amount}
                    </th>
                    <th scope="col">{m.earnings.availableAt}</th>
                  </tr>
                </thead>
                <tbody>
                  {st.entries.map((e) => (
                    <EntryRow key={e.id} e={e} product={names.products.get(e.productId)} campaign={names.campaigns.get(e.campaignId)} />
                  ))}
                </tbody>
              </table>
            )}
          </>
        ) : null}
      </section>
    </div>
  );
}
