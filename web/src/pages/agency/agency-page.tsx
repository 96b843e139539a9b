import { useMemo, useState } from "preact/hooks";
import type { MyAgency, RosterDashboard } from "../../../../src/shared/contracts/agencies.ts";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { ErrorBox, ErrorLine, Field, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { AGENCY_CREATED_EVENT } from "./use-agency.ts";
import { formatBps, parsePercentToBps } from "./percent.ts";
import { KpiCard, RosterCard } from "./roster.tsx";
import "./agency.css";

const DAY_MS = 86_400_000;
const PERIODS = [7, 30, 90] as const;

function CreateAgency({ onCreated }: { onCreated: (a: MyAgency) => void }) {
  const { m, errorText } = useI18n();
  const [name, setName] = useState("");
  const [handle, setHandle] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fields = isApiError(error) ? error.fieldErrors() : {};
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const agency = await api.agency.create({ name, handle });
      window.dispatchEvent(new Event(AGENCY_CREATED_EVENT));
      onCreated(agency);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="page narrow agency-create">
      <h1>{m.agency.createTitle}</h1>
      <p class="muted">{m.agency.createIntro}</p>
      <form class="card" onSubmit={submit} noValidate>
        <Field id="agency-name" label={m.agency.name} error={fields.name}>
          {(a) => <input {...a} value={name} maxLength={80} required onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field id="agency-handle" label={m.agency.handle} hint={m.agency.handleHint} error={fields.handle}>
          {(a) => <input {...a} value={handle} maxLength={30} required autoCapitalize="none" spellcheck={false} onInput={(e) => setHandle(e.currentTarget.value)} />}
        </Field>
        <ErrorLine text={error && !Object.keys(fields).length ? errorText(error) : null} />
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? m.agency.creating : m.agency.create}
        </button>
      </form>
      <p class="muted small agency-creator-hint">
        {m.agency.creatorHint} <Link href="/creator/agency">{m.agency.creatorLink}</Link>
      </p>
    </section>
  );
}

function InviteForm({ onInvited }: { onInvited: () => void }) {
  const { m, errorText } = useI18n();
  const [handle, setHandle] = useState("");
  const [share, setShare] = useState("20");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    const bps = parsePercentToBps(share);
    if (bps === null) return setError(m.agency.invalidShare);
    const h = handle.trim().replace(/^@/, "");
    setBusy(true);
    try {
      await api.agency.invite(h, bps);
      setDone(m.agency.invited(h));
      setHandle("");
      onInvited();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card agency-invite" onSubmit={submit} noValidate aria-labelledby="invite-title">
      <h2 id="invite-title" class="card-title">
        {m.agency.invite}
      </h2>
      <div class="agency-invite-fields">
        <Field id="invite-handle" label={m.agency.inviteHandle} class="grow">
          {(a) => <input {...a} value={handle} placeholder="@handle" required autoCapitalize="none" spellcheck={false} onInput={(e) => setHandle(e.currentTarget.value)} />}
        </Field>
        <Field id="invite-share" label={m.agency.sharePercent} class="agency-share-field">
          {(a) => <input {...a} value={share} inputMode="decimal" required onInput={(e) => setShare(e.currentTarget.value)} />}
        </Field>
      </div>
      <small class="hint">{m.agency.shareHint}</small>
      <ErrorLine text={error} />
      {done && (
        <p class="agency-ok" role="status">
          {done}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={busy || !handle.trim()}>
        {m.agency.sendInvite}
      </button>
    </form>
  );
}

function PendingInvitations({ dash, onChange }: { dash: RosterDashboard; onChange: () => void }) {
  const { m, fmt, locale, errorText } = useI18n();
  const [error, setError] = useState<string | null>(null);
  return (
    <section class="card" aria-labelledby="pending-title">
      <h2 id="pending-title" class="card-title">
        {m.agency.pending}
      </h2>
      {dash.pendingInvitations.length === 0 ? (
        <p class="empty">{m.agency.noPending}</p>
      ) : (
        <ul class="plain agency-pending">
          {dash.pendingInvitations.map((i) => (
            <li key={i.id}>
              <div class="grow">
                <strong>@{i.creatorHandle}</strong> <span class="muted">· {formatBps(i.shareBps, locale)}</span>
                <span class="muted small block">{m.agency.invitedOn(fmt.date(i.invitedAt))}</span>
              </div>
              <button
                type="button"
                class="btn btn-small btn-ghost"
                onClick={async () => {
                  setError(null);
                  try {
                    await api.agency.revoke(i.id);
                    onChange();
                  } catch (err) {
                    setError(errorText(err));
                  }
                }}
              >
                {m.agency.revoke}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine text={error} />
    </section>
  );
}

function Earnings({ period }: { period: { from: string; to: string } }) {
  const { m, fmt } = useI18n();
  const earnings = useAsync(() => api.agency.earnings(), []);
  return (
    <section class="card" aria-labelledby="agency-earnings-title">
      <h2 id="agency-earnings-title" class="card-title">
        {m.agency.earnings}
      </h2>
      {earnings.loading && !earnings.data ? (
        <Spinner />
      ) : earnings.error ? (
        <ErrorBox error={earnings.error} onRetry={earnings.reload} />
      ) : earnings.data!.balances.length === 0 ? (
        <p class="empty">{m.agency.noEarnings}</p>
      ) : (
        <ul class="plain agency-balances">
          {earnings.data!.balances.map((b) => (
            <li key={b.currency}>
              <span class="agency-kpi-label">{b.currency}</span>
              <dl>
                <div>
                  <dt>{m.agency.pendingBalance}</dt>
                  <dd>{fmt.money(b.pending, b.currency)}</dd>
                </div>
                <div>
                  <dt>{m.agency.availableBalance}</dt>
                  <dd>
                    <strong>{fmt.money(b.available, b.currency)}</strong>
                  </dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {earnings.data && <p class="hint small">{m.agency.holdExplained(earnings.data.holdDays)}</p>}
      <a class="btn btn-small" href={api.agency.statementCsvUrl(period)} download>
        {m.agency.statementCsv}
      </a>
    </section>
  );
}

function Dashboard({ agency }: { agency: MyAgency }) {
  const { m, fmt } = useI18n();
  const [days, setDays] = useState<number>(30);
  const period = useMemo(() => {
    const to = Date.now();
    return { from: new Date(to - days * DAY_MS).toISOString(), to: new Date(to).toISOString() };
  }, [days]);
  const roster = useAsync(() => api.agency.roster(period), [period.from]);
  const dash = roster.data;
  return (
    <section class="page agency">
      <header class="agency-head">
        <div>
          <h1>{agency.name}</h1>
          <p class="muted small">
            @{agency.handle} · {m.agency.rosterCount(dash?.creators.length ?? agency.rosterSize)} · {m.agency.staff(agency.staff.length)}
          </p>
        </div>
        <label class="inline-field">
          <span>{m.agency.period}</span>
          <select value={days} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {PERIODS.map((d) => (
              <option key={d} value={d}>
                {m.agency.lastDays(d)}
              </option>
            ))}
          </select>
        </label>
      </header>
      {roster.error && <ErrorBox error={roster.error} onRetry={roster.reload} />}
      {!dash && !roster.error && <Spinner />}
      {dash && (
        <>
          <p class="muted small agency-compare">{m.agency.vsPrevious(fmt.date(dash.previousPeriod.from), fmt.date(dash.previousPeriod.to))}</p>
          <div class="agency-kpis" aria-label={m.agency.total}>
            <KpiCard label={m.agency.netSales} hint={m.agency.netSalesHint} cur={dash.totals.current.net} prev={dash.totals.previous.net} />
            <KpiCard label={m.agency.orders} count={[dash.totals.current.ordersPaid, dash.totals.previous.ordersPaid]} />
            <KpiCard label={m.agency.agencyCommission} cur={dash.totals.current.agencyCommission} prev={dash.totals.previous.agencyCommission} />
            <KpiCard label={m.agency.creatorCommission} cur={dash.totals.current.creatorCommission} prev={dash.totals.previous.creatorCommission} />
          </div>
          <div class="agency-layout">
            <section aria-labelledby="roster-title" class="agency-roster">
              <h2 id="roster-title" class="section-title">
                {m.agency.roster}
              </h2>
              {dash.creators.length === 0 ? (
                <p class="empty card">{m.agency.rosterEmpty}</p>
              ) : (
                <ul class="plain agency-roster-list">
                  {dash.creators.map((c) => (
                    <RosterCard key={c.creatorId} row={c} onChange={roster.reload} />
                  ))}
                </ul>
              )}
            </section>
            <aside class="agency-side">
              <InviteForm onInvited={roster.reload} />
              <PendingInvitations dash={dash} onChange={roster.reload} />
              <Earnings period={period} />
            </aside>
          </div>
        </>
      )}
    </section>
  );
}

export function AgencyPage() {
  const { m } = useI18n();
  const { user } = useSession();
  useTitle(m.agency.title);
  const mine = useAsync(
    (signal) =>
      user
        ? api.agency.mine(signal).catch((err) => {
            if (isApiError(err) && err.code === "agency_not_found") return null;
            throw err;
          })
        : Promise.resolve(null),
    [user?.id],
  );
  if (user === undefined || (mine.loading && mine.data === undefined)) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.agency.title}</h1>
        <p>{m.agency.signIn}</p>
        <Link class="btn btn-primary" href={signInHref("/agency")}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  if (mine.error) return <ErrorBox error={mine.error} onRetry={mine.reload} />;
  if (!mine.data) return <CreateAgency onCreated={(a) => mine.setData(a)} />;
  return <Dashboard agency={mine.data} />;
}
