import { useEffect, useRef, useState } from "preact/hooks";
import type { CreatorCampaign } from "../../../../src/shared/contracts/campaigns.ts";
import type { Show } from "../../../../src/shared/contracts/shows.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Field, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { localInputToIso, toLocalInput } from "../../lib/periods.ts";
import { Link } from "../../router.tsx";
import { CampaignStatusBadge, MembershipBadge, Period, Rate } from "./bits.tsx";

/** What a creator decides about a campaign: accept an invitation, join an open one, decline. */
type Action = "accept" | "join" | "decline";

function CampaignFacts({ c }: { c: CreatorCampaign }) {
  const { m } = useI18n();
  return (
    <p class="muted campaign-facts">
      <CampaignStatusBadge status={c.status} /> {m.creatorCampaigns.byBrand(c.merchantName)} · <Period from={c.startsAt} to={c.endsAt} /> ·{" "}
      {m.creatorCampaigns.rate} <Rate bps={c.commissionBps} /> · {c.currency}
    </p>
  );
}

/** The campaign's products and the commission each earns. */
export function ProductRates({ products }: { products: CreatorCampaign["products"] }) {
  const { m } = useI18n();
  return (
    <ul class="rate-list" aria-label={m.creatorCampaigns.products}>
      {products.map((p) => (
        <li key={p.productId}>
          {p.image ? <img src={p.image} alt="" class="thumb-xs" /> : <span class="thumb-xs" aria-hidden="true" />}
          <span class="grow">{p.title}</span>
          <span class={`chip rate-chip ${p.overridden ? "rate-own" : ""}`} title={p.overridden ? m.creatorCampaigns.ownRate : undefined}>
            <Rate bps={p.commissionBps} />
          </span>
        </li>
      ))}
    </ul>
  );
}

function CampaignCard({ c, actions, onAct, onSchedule, busy }: { c: CreatorCampaign; actions: Action[]; onAct(a: Action): void; onSchedule?(): void; busy: boolean }) {
  const { m } = useI18n();
  const label: Record<Action, string> = { accept: m.creatorCampaigns.accept, join: m.creatorCampaigns.join, decline: m.creatorCampaigns.decline };
  return (
    <li class="card campaign-card" data-testid="creator-campaign" data-campaign-id={c.id}>
      <div class="card-head">
        <h3 class="card-title">{c.name}</h3>
        {c.membership && <MembershipBadge status={c.membership} />}
      </div>
      <CampaignFacts c={c} />
      <details class="campaign-products" open={c.membership === "accepted" || c.products.length <= 3}>
        <summary>{m.creatorCampaigns.productCount(c.products.length)}</summary>
        <ProductRates products={c.products} />
      </details>
      <div class="actions">
        {onSchedule && c.status !== "ended" && (
          <button type="button" class="btn btn-small btn-primary" onClick={onSchedule} data-testid="schedule-show">
            {m.creatorCampaigns.scheduleShow}
          </button>
        )}
        {actions.map((a) => (
          <button key={a} type="button" class={`btn btn-small ${a === "decline" ? "btn-ghost" : "btn-primary"}`} disabled={busy} onClick={() => onAct(a)} data-testid={`campaign-${a}`}>
            {label[a]}
          </button>
        ))}
      </div>
    </li>
  );
}

export function CreatorCampaignsTab() {
  const { m, errorText } = useI18n();
  const list = useAsync(() => api.creator.campaigns(), []);
  const [scheduling, setScheduling] = useState<CreatorCampaign | null>(null);
  const [flash, setFlash] = useState<{ text: string; show?: Show } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (scheduling)
    return (
      <ScheduleShowForm
        campaign={scheduling}
        onCancel={() => setScheduling(null)}
        onSaved={(show) => {
          setScheduling(null);
          setFlash({ text: m.creatorCampaigns.scheduled(show.title), show });
        }}
      />
    );

  const act = async (c: CreatorCampaign, a: Action) => {
    setBusy(c.id);
    setError(null);
    setFlash(null);
    try {
      const updated = await api.creator.respond(c.id, a);
      list.setData({ items: (list.data?.items ?? []).map((x) => (x.id === updated.id ? updated : x)) });
      setFlash({ text: a === "decline" ? m.creatorCampaigns.declinedFlash(c.name) : m.creatorCampaigns.joinedFlash(c.name) });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  };

  if (list.loading && !list.data) return <Spinner />;
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  const items = list.data?.items ?? [];
  const invited = items.filter((c) => c.membership === "invited" && c.status !== "ended");
  const open = items.filter((c) => c.membership === null && c.status !== "ended");
  const joined = items.filter((c) => c.membership === "accepted");
  const declined = items.filter((c) => c.membership === "declined" && c.status !== "ended");
  const card = (c: CreatorCampaign, actions: Action[], schedule = false) => (
    <CampaignCard key={c.id} c={c} actions={actions} busy={busy === c.id} onAct={(a) => void act(c, a)} onSchedule={schedule ? () => (setFlash(null), setScheduling(c)) : undefined} />
  );

  return (
    <section aria-label={m.creator.campaigns} class="creator-campaigns">
      {flash && (
        <p class="flash" role="status" data-testid="campaign-flash">
          {flash.text}
          {flash.show && (
            <>
              {" "}
              <Link href={`/studio/${flash.show.id}`}>{m.creatorShows.studio}</Link> · <Link href="/creator/shows">{m.creatorShows.all}</Link>
            </>
          )}
        </p>
      )}
      <ErrorLine text={error} />
      <h2 class="section-title">
        {m.creatorCampaigns.invitations} {invited.length > 0 && <span class="count-pill">{invited.length}</span>}
      </h2>
      {invited.length === 0 ? <p class="empty">{m.creatorCampaigns.noInvitations}</p> : <ul class="card-list campaign-grid" data-testid="invitations">{invited.map((c) => card(c, ["accept", "decline"]))}</ul>}
      <h2 class="section-title">{m.creatorCampaigns.joined}</h2>
      {joined.length === 0 ? <p class="empty">{m.creatorCampaigns.noJoined}</p> : <ul class="card-list campaign-grid" data-testid="joined-campaigns">{joined.map((c) => card(c, [], true))}</ul>}
      <h2 class="section-title">{m.creatorCampaigns.open}</h2>
      {open.length === 0 ? <p class="empty">{m.creatorCampaigns.noOpen}</p> : <ul class="card-list campaign-grid" data-testid="open-campaigns">{open.map((c) => card(c, ["join"]))}</ul>}
      {declined.length > 0 && (
        <details class="declined">
          <summary>{m.creatorCampaigns.declined(declined.length)}</summary>
          <ul class="card-list campaign-grid">{declined.map((c) => card(c, ["accept"]))}</ul>
        </details>
      )}
    </section>
  );
}

/** A show on the creator's channel for a joined campaign, featuring some of its products. */
export function ScheduleShowForm({ campaign, onSaved, onCancel }: { campaign: CreatorCampaign; onSaved(show: Show): void; onCancel(): void }) {
  const { m, errorText } = useI18n();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [startsAt, setStartsAt] = useState(() => {
    const soon = new Date(Math.max(Date.now() + 3600_000, Date.parse(campaign.startsAt)));
    return toLocalInput(soon);
  });
  const [productIds, setProductIds] = useState<string[]>(campaign.products.map((p) => p.productId));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const submit = async (e: Event) => {
    e.preventDefault();
    const es: Record<string, string> = {};
    if (!title.trim()) es.title = m.shows.required;
    const scheduledAt = localInputToIso(startsAt);
    if (!scheduledAt) es.startsAt = m.shows.required;
    else if (Date.parse(scheduledAt) >= Date.parse(campaign.endsAt)) es.startsAt = m.creatorCampaigns.afterEnd;
    if (productIds.length === 0) es.products = m.creatorCampaigns.pickOne;
    setErrors(es);
    setProblem(null);
    if (Object.keys(es).length || !scheduledAt) return;
    setBusy(true);
    try {
      onSaved(await api.creator.scheduleShow({ campaignId: campaign.id, title: title.trim(), description: description.trim(), scheduledAt, productIds }));
    } catch (err) {
      const detail = isApiError(err) ? Object.values(err.fieldErrors()).join("; ") : "";
      setProblem(detail ? `${errorText(err)} (${detail})` : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form schedule-form" onSubmit={submit} noValidate aria-labelledby="schedule-title" data-testid="schedule-form">
      <h2 id="schedule-title" ref={heading} tabIndex={-1}>
        {m.creatorCampaigns.scheduleTitle(campaign.name)}
      </h2>
      <p class="muted small">
        {m.creatorCampaigns.byBrand(campaign.merchantName)} · <Period from={campaign.startsAt} to={campaign.endsAt} />
      </p>
      <Field id="cs-title" label={m.shows.fTitle} error={errors.title}>
        {(a) => <input {...a} data-testid="creator-show-title" value={title} maxLength={140} required onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <Field id="cs-description" label={m.shows.fDescription}>
        {(a) => <textarea {...a} rows={3} maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
      </Field>
      <Field id="cs-starts" label={m.shows.startsAt} hint={m.shows.startsAtHint(zone)} error={errors.startsAt}>
        {(a) => <input {...a} data-testid="creator-show-starts-at" type="datetime-local" value={startsAt} required onInput={(e) => setStartsAt(e.currentTarget.value)} />}
      </Field>
      <fieldset aria-describedby={errors.products ? "cs-products-error" : undefined}>
        <legend>{m.creatorCampaigns.pickProducts}</legend>
        <ul class="check-list">
          {campaign.products.map((p) => (
            <li key={p.productId}>
              <label>
                <input
                  type="checkbox"
                  checked={productIds.includes(p.productId)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setProductIds((ids) => (on ? [...ids, p.productId] : ids.filter((x) => x !== p.productId)));
                  }}
                />
                {p.image && <img src={p.image} alt="" class="thumb-xs" />}
                <span class="grow">{p.title}</span>
                <span class="chip rate-chip">
                  <Rate bps={p.commissionBps} />
                </span>
              </label>
            </li>
          ))}
        </ul>
        {errors.products && (
          <small id="cs-products-error" class="field-error">
            {errors.products}
          </small>
        )}
      </fieldset>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="save-creator-show">
          {busy ? m.app.saving : m.creatorCampaigns.saveShow}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {m.app.cancel}
        </button>
      </div>
    </form>
  );
}
