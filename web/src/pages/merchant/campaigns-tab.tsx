import { useEffect, useRef, useState } from "preact/hooks";
import type { Campaign, CampaignAudience } from "../../../../src/shared/contracts/campaigns.ts";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Field, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { localInputToIso, toLocalInput } from "../../lib/periods.ts";
import { invalidHandles, parseHandles, parsePercent, type ParsedRate } from "../../lib/rates.ts";
import { Link } from "../../router.tsx";
import { useSession } from "../../session.tsx";
import { CampaignStatusBadge, MembershipBadge, Period, Rate } from "../creator/bits.tsx";
import { ProductRates } from "../creator/campaigns-tab.tsx";

async function activeProducts(): Promise<Product[]> {
  const out: Product[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Product[]; nextCursor: string | null } = await api.merchant.products({ cursor, limit: 100 });
    out.push(...page.items.filter((p) => p.status === "active"));
    cursor = page.nextCursor;
  } while (cursor && out.length < 1000);
  return out;
}

/** The brand's campaigns: the list, a new campaign, one campaign with its creators. */
export function CampaignsTab() {
  const { m } = useI18n();
  const list = useAsync(() => api.campaigns.list(), []);
  const [view, setView] = useState<{ kind: "list" } | { kind: "new" } | { kind: "detail"; id: string }>({ kind: "list" });
  const [flash, setFlash] = useState<string | null>(null);

  if (view.kind === "new")
    return (
      <CampaignForm
        onCancel={() => setView({ kind: "list" })}
        onSaved={(c) => {
          list.setData({ items: [c, ...(list.data?.items ?? [])] });
          setFlash(m.brandCampaigns.created(c.name));
          setView({ kind: "detail", id: c.id });
        }}
      />
    );
  if (view.kind === "detail") {
    const c = list.data?.items.find((x) => x.id === view.id);
    return (
      <CampaignDetail
        id={view.id}
        initial={c ?? null}
        flash={flash}
        onBack={() => (setFlash(null), setView({ kind: "list" }))}
        onChanged={(u) => list.setData({ items: (list.data?.items ?? []).map((x) => (x.id === u.id ? u : x)) })}
      />
    );
  }

  const items = list.data?.items ?? [];
  return (
    <section aria-label={m.merchant.campaigns}>
      <div class="toolbar">
        <p class="muted small grow">{m.brandCampaigns.intro}</p>
        <button type="button" class="btn btn-primary" onClick={() => (setFlash(null), setView({ kind: "new" }))} data-testid="new-campaign">
          {m.brandCampaigns.newCampaign}
        </button>
      </div>
      {flash && (
        <p class="flash" role="status">
          {flash}
        </p>
      )}
      {list.loading && !list.data ? (
        <Spinner />
      ) : list.error ? (
        <ErrorBox error={list.error} onRetry={list.reload} />
      ) : items.length === 0 ? (
        <p class="empty">{m.brandCampaigns.none}</p>
      ) : (
        <ul class="card-list" data-testid="campaign-list">
          {items.map((c) => {
            const accepted = c.creators.filter((x) => x.status === "accepted").length;
            const invited = c.creators.filter((x) => x.status === "invited").length;
            return (
              <li key={c.id} class="card campaign-item" data-testid="campaign-item">
                <div class="grow">
                  <h2 class="card-title">{c.name}</h2>
                  <p class="muted">
                    <CampaignStatusBadge status={c.status} /> <Period from={c.startsAt} to={c.endsAt} /> · <Rate bps={c.commissionBps} /> · {m.brandCampaigns.audience[c.audience]}
                  </p>
                  <p class="muted small" data-testid="campaign-counts">
                    {m.brandCampaigns.counts(invited, accepted)}
                  </p>
                </div>
                <button type="button" class="btn btn-small" onClick={() => (setFlash(null), setView({ kind: "detail", id: c.id }))} aria-label={`${m.brandCampaigns.open}: ${c.name}`} data-testid="open-campaign">
                  {m.brandCampaigns.open}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

/** The API's refusal, with its detail when the request was refused as invalid (an unknown handle, say). */
function useProblemText() {
  const { errorText } = useI18n();
  return (err: unknown) => {
    if (!isApiError(err)) return errorText(err);
    const fields = Object.values(err.fieldErrors()).join("; ");
    const detail = fields || (err.code === "validation_failed" || err.code === "currency_mismatch" ? err.problem?.detail : "");
    return detail ? `${errorText(err)} (${detail})` : errorText(err);
  };
}

function rateError(m: ReturnType<typeof useI18n>["m"], r: ParsedRate): string | null {
  return r.ok ? null : m.rateErrors[r.reason];
}

function CampaignForm({ onSaved, onCancel }: { onSaved(c: Campaign): void; onCancel(): void }) {
  const { m, fmt, errorText } = useI18n();
  const problemText = useProblemText();
  const { user } = useSession();
  const currency = user?.merchantCurrency ?? "EUR";
  const [name, setName] = useState("");
  const [rate, setRate] = useState("10");
  const [selected, setSelected] = useState<Record<string, string>>({});
  const [startsAt, setStartsAt] = useState(() => toLocalInput(new Date()));
  const [endsAt, setEndsAt] = useState(() => toLocalInput(new Date(Date.now() + 30 * 86_400_000)));
  const [audience, setAudience] = useState<CampaignAudience>("invited");
  const [handles, setHandles] = useState("");
  const [products, setProducts] = useState<Product[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    activeProducts().then(setProducts, (err) => setProblem(errorText(err)));
  }, []);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const eligible = (products ?? []).filter((p) => p.currency === currency);
  const others = (products ?? []).length - eligible.length;

  const submit = async (e: Event) => {
    e.preventDefault();
    const es: Record<string, string> = {};
    if (!name.trim()) es.name = m.shows.required;
    const r = parsePercent(rate);
    const re = rateError(m, r);
    if (re) es.rate = re;
    const chosen = Object.entries(selected);
    if (chosen.length === 0) es.products = m.brandCampaigns.pickProducts;
    const overrides: { productId: string; commissionBps: number | null }[] = [];
    for (const [productId, own] of chosen) {
      if (!own.trim()) {
        overrides.push({ productId, commissionBps: null });
        continue;
      }
      const pr = parsePercent(own);
      if (!pr.ok) es[`rate-${productId}`] = rateError(m, pr)!;
      else overrides.push({ productId, commissionBps: pr.bps });
    }
    const from = localInputToIso(startsAt);
    const to = localInputToIso(endsAt);
    if (!from) es.startsAt = m.shows.required;
    if (!to) es.endsAt = m.shows.required;
    else if (from && Date.parse(to) <= Date.parse(from)) es.endsAt = m.brandCampaigns.endBeforeStart;
    const list = parseHandles(handles);
    const bad = invalidHandles(list);
    if (bad.length) es.handles = m.brandCampaigns.badHandles(bad.join(", "));
    setErrors(es);
    setProblem(null);
    if (Object.keys(es).length || !r.ok || !from || !to) return;
    setBusy(true);
    try {
      onSaved(await api.campaigns.create({ name: name.trim(), currency, commissionBps: r.bps, products: overrides, startsAt: from, endsAt: to, audience, invitedHandles: list }));
    } catch (err) {
      setProblem(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form campaign-form" onSubmit={submit} noValidate aria-labelledby="campaign-form-title" data-testid="campaign-form">
      <h2 id="campaign-form-title" ref={heading} tabIndex={-1}>
        {m.brandCampaigns.formTitle}
      </h2>
      <Field id="cf-name" label={m.brandCampaigns.name} error={errors.name}>
        {(a) => <input {...a} data-testid="campaign-name" value={name} maxLength={120} required onInput={(e) => setName(e.currentTarget.value)} />}
      </Field>
      <div class="row-2 row-stack">
        <Field id="cf-rate" label={m.brandCampaigns.rate} hint={m.brandCampaigns.rateHint} error={errors.rate}>
          {(a) => (
            <span class="input-suffix">
              <input {...a} data-testid="campaign-rate" inputMode="decimal" value={rate} maxLength={6} required onInput={(e) => setRate(e.currentTarget.value)} />
              <span aria-hidden="true">%</span>
            </span>
          )}
        </Field>
        <Field id="cf-currency" label={m.brandCampaigns.currency} hint={m.brandCampaigns.currencyHint(currency)}>
          {(a) => <input {...a} value={currency} readOnly data-testid="campaign-currency" />}
        </Field>
      </div>
      <fieldset aria-describedby={errors.products ? "cf-products-error" : undefined}>
        <legend>{m.brandCampaigns.products}</legend>
        <small class="hint">{m.brandCampaigns.productsHint}</small>
        {products === null ? (
          <Spinner />
        ) : eligible.length === 0 ? (
          <p class="hint">{m.brandCampaigns.noProducts(currency)}</p>
        ) : (
          <ul class="check-list product-rates">
            {eligible.map((p) => {
              const on = p.id in selected;
              return (
                <li key={p.id}>
                  <label>
                    <input
                      type="checkbox"
                      checked={on}
                      data-testid="campaign-product"
                      onChange={(e) => {
                        const checked = e.currentTarget.checked;
                        setSelected((s) => {
                          const n = { ...s };
                          if (checked) n[p.id] = "";
                          else delete n[p.id];
                          return n;
                        });
                      }}
                    />
                    {p.images[0] ? <img src={p.images[0]} alt="" class="thumb-xs" /> : <span class="thumb-xs" aria-hidden="true" />}
                    <span class="grow">
                      {p.title} <span class="muted">· {fmt.money(Math.min(...p.variants.map((v) => v.price)), p.currency)}</span>
                    </span>
                  </label>
                  {on && (
                    <div class="own-rate">
                      <label for={`cf-own-${p.id}`}>{m.brandCampaigns.ownRate}</label>
                      <span class="input-suffix">
                        <input
                          id={`cf-own-${p.id}`}
                          inputMode="decimal"
                          placeholder={rate}
                          value={selected[p.id]}
                          maxLength={6}
                          aria-invalid={errors[`rate-${p.id}`] ? "true" : undefined}
                          onInput={(e) => {
                            const v = e.currentTarget.value;
                            setSelected((s) => ({ ...s, [p.id]: v }));
                          }}
                        />
                        <span aria-hidden="true">%</span>
                      </span>
                      <ErrorLine text={errors[`rate-${p.id}`]} small />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        )}
        {others > 0 && <small class="hint">{m.brandCampaigns.otherCurrencies(others, currency)}</small>}
        {errors.products && (
          <small id="cf-products-error" class="field-error">
            {errors.products}
          </small>
        )}
      </fieldset>
      <div class="row-2 row-stack">
        <Field id="cf-starts" label={m.brandCampaigns.startsAt} hint={m.shows.startsAtHint(zone)} error={errors.startsAt}>
          {(a) => <input {...a} type="datetime-local" value={startsAt} required onInput={(e) => setStartsAt(e.currentTarget.value)} />}
        </Field>
        <Field id="cf-ends" label={m.brandCampaigns.endsAt} error={errors.endsAt}>
          {(a) => <input {...a} type="datetime-local" value={endsAt} required onInput={(e) => setEndsAt(e.currentTarget.value)} />}
        </Field>
      </div>
      <fieldset>
        <legend>{m.brandCampaigns.audienceLabel}</legend>
        {(["invited", "open"] as const).map((a) => (
          <label key={a} class="radio-row">
            <input type="radio" name="cf-audience" value={a} checked={audience === a} onChange={() => setAudience(a)} data-testid={`audience-${a}`} />
            <span>
              {m.brandCampaigns.audience[a]}
              <small class="hint block">{m.brandCampaigns.audienceHint[a]}</small>
            </span>
          </label>
        ))}
      </fieldset>
      <Field id="cf-handles" label={m.brandCampaigns.invite} hint={m.brandCampaigns.inviteHint} error={errors.handles}>
        {(a) => <textarea {...a} data-testid="campaign-handles" rows={2} value={handles} placeholder="@marcolive, @anna" onInput={(e) => setHandles(e.currentTarget.value)} />}
      </Field>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-campaign">
          {busy ? m.app.saving : m.brandCampaigns.create}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {m.app.cancel}
        </button>
      </div>
    </form>
  );
}

function CampaignDetail({ id, initial, flash, onBack, onChanged }: { id: string; initial: Campaign | null; flash: string | null; onBack(): void; onChanged(c: Campaign): void }) {
  const { m, fmt } = useI18n();
  const problemText = useProblemText();
  const detail = useAsync(() => api.campaigns.get(id), [id]);
  const c = detail.data ?? initial;
  const [handles, setHandles] = useState("");
  const [inviteError, setInviteError] = useState<string | null>(null);
  const [invited, setInvited] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const invite = async (e: Event) => {
    e.preventDefault();
    setInvited(null);
    const list = parseHandles(handles);
    const bad = invalidHandles(list);
    if (list.length === 0) return setInviteError(m.brandCampaigns.noHandles);
    if (bad.length) return setInviteError(m.brandCampaigns.badHandles(bad.join(", ")));
    setInviteError(null);
    setBusy(true);
    try {
      const updated = await api.campaigns.invite(id, list);
      detail.setData(updated);
      onChanged(updated);
      setHandles("");
      setInvited(m.brandCampaigns.invitedFlash(list.length));
    } catch (err) {
      setInviteError(problemText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="campaign-title" class="campaign-detail" data-testid="campaign-detail">
      <div class="toolbar">
        <button type="button" class="btn btn-small btn-ghost" onClick={onBack}>
          ← {m.brandCampaigns.all}
        </button>
      </div>
      {flash && (
        <p class="flash" role="status">
          {flash}
        </p>
      )}
      {!c ? (
        detail.error ? <ErrorBox error={detail.error} onRetry={detail.reload} /> : <Spinner />
      ) : (
        <>
          <div class="card">
            <h2 id="campaign-title" ref={heading} tabIndex={-1} class="card-title">
              {c.name}
            </h2>
            <p class="muted">
              <CampaignStatusBadge status={c.status} /> <Period from={c.startsAt} to={c.endsAt} /> · {c.currency} · {m.brandCampaigns.audience[c.audience]}
            </p>
            <p>
              {m.brandCampaigns.rate}: <strong><Rate bps={c.commissionBps} /></strong>
            </p>
            <ProductRates products={c.products} />
          </div>
          <h3 class="section-title">{m.brandCampaigns.creators}</h3>
          {c.creators.length === 0 ? (
            <p class="empty">{c.audience === "open" ? m.brandCampaigns.noCreatorsOpen : m.brandCampaigns.noCreators}</p>
          ) : (
            <table class="data-table" data-testid="campaign-creators">
              <thead>
                <tr>
                  <th scope="col">{m.brandCampaigns.creator}</th>
                  <th scope="col">{m.brandCampaigns.status}</th>
                  <th scope="col">{m.brandCampaigns.invitedAt}</th>
                  <th scope="col">{m.brandCampaigns.respondedAt}</th>
                </tr>
              </thead>
              <tbody>
                {c.creators.map((x) => (
                  <tr key={x.creatorId} data-testid="campaign-creator">
                    <td data-label={m.brandCampaigns.creator}>
                      <div>
                        <strong>{x.displayName}</strong>{" "}
                        <Link href={`/c/${encodeURIComponent(x.handle)}`} class="muted">
                          @{x.handle}
                        </Link>
                      </div>
                    </td>
                    <td data-label={m.brandCampaigns.status}>
                      <div>
                        <MembershipBadge status={x.status} />
                      </div>
                    </td>
                    <td data-label={m.brandCampaigns.invitedAt}>{x.invitedAt ? <time dateTime={x.invitedAt}>{fmt.dateTime(x.invitedAt)}</time> : <span class="muted">{m.brandCampaigns.joinedOpen}</span>}</td>
                    <td data-label={m.brandCampaigns.respondedAt}>{x.respondedAt ? <time dateTime={x.respondedAt}>{fmt.dateTime(x.respondedAt)}</time> : <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {c.status !== "ended" && (
            <form class="card form invite-form" onSubmit={invite} noValidate>
              <Field id="inv-handles" label={m.brandCampaigns.inviteMore} hint={m.brandCampaigns.inviteHint} error={inviteError}>
                {(a) => <input {...a} data-testid="invite-handles" value={handles} placeholder="@marcolive, @anna" autoCapitalize="none" onInput={(e) => setHandles(e.currentTarget.value)} />}
              </Field>
              {invited && (
                <p class="flash" role="status">
                  {invited}
                </p>
              )}
              <div class="actions">
                <button type="submit" class="btn btn-primary" disabled={busy} data-testid="send-invites">
                  {busy ? m.app.saving : m.brandCampaigns.sendInvites}
                </button>
              </div>
            </form>
          )}
        </>
      )}
    </section>
  );
}
