import { useState } from "preact/hooks";
import type { RosterCreator, RosterFigures } from "../../../../src/shared/contracts/agencies.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorLine } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { bpsToPercentInput, formatBps, parsePercentToBps } from "./percent.ts";

type Amounts = RosterFigures["net"];

/** ▲ 12 % / ▼ 5 % / – against the previous period. Integer inputs; the percentage is for display only. */
export function Change({ cur, prev }: { cur: number; prev: number }) {
  const { m, locale } = useI18n();
  if (cur === prev) return <span class="agency-change agency-change-same">– {m.agency.same}</span>;
  if (prev === 0) return <span class={`agency-change ${cur > 0 ? "agency-change-up" : "agency-change-down"}`}>{cur > 0 ? "▲" : "▼"} {m.agency.isNew}</span>;
  const ratio = Math.abs(cur - prev) / Math.abs(prev);
  const pct = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: ratio < 0.1 ? 1 : 0 }).format(ratio);
  const up = cur > prev;
  return (
    <span class={`agency-change ${up ? "agency-change-up" : "agency-change-down"}`} aria-label={up ? m.agency.up(pct) : m.agency.down(pct)}>
      <span aria-hidden="true">
        {up ? "▲" : "▼"} {pct}
      </span>
    </span>
  );
}

const currenciesOf = (a: Amounts, b: Amounts) => [...new Set([...a, ...b].map((x) => x.currency))].sort();
const amountIn = (list: Amounts, currency: string) => list.find((x) => x.currency === currency)?.amount ?? 0;

/** One figure (money per currency, or a count) this period, with its change and the previous value. */
function FigureLines({ cur, prev, count }: { cur?: Amounts; prev?: Amounts; count?: [number, number] }) {
  const { m, fmt } = useI18n();
  if (count)
    return (
      <div class="agency-figure-line">
        <span class="agency-figure-value">{fmt.number(count[0])}</span>
        <Change cur={count[0]} prev={count[1]} />
        <span class="muted small block">{m.agency.previous(fmt.number(count[1]))}</span>
      </div>
    );
  const currencies = currenciesOf(cur!, prev!);
  if (!currencies.length)
    return (
      <div class="agency-figure-line">
        <span class="agency-figure-value">–</span>
      </div>
    );
  return (
    <>
      {currencies.map((c) => (
        <div class="agency-figure-line" key={c}>
          <span class="agency-figure-value">{fmt.money(amountIn(cur!, c), c)}</span>
          <Change cur={amountIn(cur!, c)} prev={amountIn(prev!, c)} />
          <span class="muted small block">{m.agency.previous(fmt.money(amountIn(prev!, c), c))}</span>
        </div>
      ))}
    </>
  );
}

export function KpiCard({ label, hint, cur, prev, count }: { label: string; hint?: string; cur?: Amounts; prev?: Amounts; count?: [number, number] }) {
  return (
    <div class="card agency-kpi">
      <span class="agency-kpi-label" title={hint}>
        {label}
      </span>
      <FigureLines cur={cur} prev={prev} count={count} />
    </div>
  );
}

function ShareEditor({ row, onChange }: { row: RosterCreator; onChange: () => void }) {
  const { m, errorText } = useI18n();
  const [value, setValue] = useState(bpsToPercentInput(row.shareBps));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `share-${row.creatorId}`;
  const save = async (e: Event) => {
    e.preventDefault();
    const bps = parsePercentToBps(value);
    if (bps === null) return setError(m.agency.invalidShare);
    setBusy(true);
    setError(null);
    try {
      await api.agency.setShare(row.creatorId, bps);
      onChange();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="agency-share-form" onSubmit={save}>
      <label for={id}>{m.agency.sharePercent}</label>
      <input id={id} value={value} inputMode="decimal" onInput={(e) => setValue(e.currentTarget.value)} aria-describedby={`${id}-hint`} />
      <button type="submit" class="btn btn-small" disabled={busy}>
        {m.agency.save}
      </button>
      <small id={`${id}-hint`} class="hint block">
        {m.agency.shareHint}
      </small>
      <ErrorLine text={error} small />
    </form>
  );
}

export function RosterCard({ row, onChange }: { row: RosterCreator; onChange: () => void }) {
  const { m, fmt, locale, errorText } = useI18n();
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const live = row.live[0];
  const next = row.upcoming[0];
  const remove = async () => {
    if (!window.confirm(m.agency.confirmRemove(row.handle))) return;
    try {
      await api.agency.remove(row.creatorId);
      onChange();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <li class="card agency-creator" data-testid="roster-creator">
      <div class="agency-creator-head">
        {row.avatarUrl ? <img class="agency-avatar" src={row.avatarUrl} alt="" /> : <span class="agency-avatar agency-avatar-empty" aria-hidden="true">{row.displayName.slice(0, 1).toUpperCase()}</span>}
        <div class="grow">
          <h3 class="agency-creator-name">
            <Link href={`/c/${encodeURIComponent(row.handle)}`}>{row.displayName}</Link>
            {row.verified && (
              <span class="agency-verified" title={m.agency.verified} aria-label={m.agency.verified}>
                ✓
              </span>
            )}
          </h3>
          <span class="muted small">
            @{row.handle} · {m.agency.shareOf(formatBps(row.shareBps, locale))}
          </span>
        </div>
        {live && (
          <Link class="badge badge-live agency-live-badge" href={`/shows/${live.id}`}>
            ● {m.agency.liveNow}
          </Link>
        )}
      </div>
      <p class="agency-next small">
        {live ? (
          <>
            <strong>{live.title}</strong> · <Link href={`/agency/shows/${live.id}`}>{m.agency.liveFigures} →</Link>
          </>
        ) : next ? (
          <>
            <span class="muted">{m.agency.nextShow}:</span> <Link href={`/shows/${next.id}`}>{next.title}</Link> <span class="muted">· {fmt.when(next.scheduledAt)}</span>
          </>
        ) : (
          <span class="muted">{m.agency.noNextShow}</span>
        )}
      </p>
      <dl class="agency-figures">
        <div>
          <dt>{m.agency.netSales}</dt>
          <dd data-testid="roster-net">
            <FigureLines cur={row.current.net} prev={row.previous.net} />
          </dd>
        </div>
        <div>
          <dt>{m.agency.orders}</dt>
          <dd data-testid="roster-orders">
            <FigureLines count={[row.current.ordersPaid, row.previous.ordersPaid]} />
            {row.current.ordersRefunded > 0 && <span class="muted small block">{m.agency.refundedOrders(row.current.ordersRefunded)}</span>}
          </dd>
        </div>
        <div>
          <dt>{m.agency.agencyCommission}</dt>
          <dd data-testid="roster-agency-commission">
            <FigureLines cur={row.current.agencyCommission} prev={row.previous.agencyCommission} />
          </dd>
        </div>
        <div>
          <dt>{m.agency.creatorCommission}</dt>
          <dd data-testid="roster-creator-commission">
            <FigureLines cur={row.current.creatorCommission} prev={row.previous.creatorCommission} />
          </dd>
        </div>
      </dl>
      <div class="agency-creator-actions">
        <span class="muted small grow">{m.agency.joined(fmt.date(row.joinedAt))}</span>
        <button type="button" class="btn btn-small btn-ghost" aria-expanded={editing} onClick={() => setEditing((v) => !v)}>
          {m.agency.editShare}
        </button>
        <button type="button" class="btn btn-small btn-danger-ghost" onClick={remove}>
          {m.agency.remove}
        </button>
      </div>
      {editing && <ShareEditor row={row} onChange={onChange} />}
      <ErrorLine text={error} small />
    </li>
  );
}
