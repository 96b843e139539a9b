import { useEffect, useRef, useState } from "preact/hooks";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { isApiError } from "../../api/client.ts";
import { api, type HostOption } from "../../api/endpoints.ts";
import { Field, Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { FilePicker, useImageUpload } from "./image-upload.tsx";

/** "2025-05-01T18:30" in the browser's zone, for an <input type="datetime-local">. */
function toLocalInput(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The datetime-local value (wall-clock time here) as a UTC instant, or null when incomplete. */
function localInputToIso(v: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

async function allProducts(): Promise<Product[]> {
  const out: Product[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: Product[]; nextCursor: string | null } = await api.merchant.products({ cursor, limit: 100 });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && out.length < 1000);
  return out;
}

export function ShowForm({ show, onSaved, onCancel }: { show: ShowSummary | null; onSaved(): void; onCancel(): void }) {
  const { m, fmt, errorText } = useI18n();
  const [title, setTitle] = useState(show?.title ?? "");
  const [description, setDescription] = useState(show?.description ?? "");
  const [coverUrl, setCoverUrl] = useState<string | null>(show?.coverUrl ?? null);
  const [startsAt, setStartsAt] = useState(() => toLocalInput(show?.scheduledAt ?? new Date(Date.now() + 3600_000)));
  const [hostId, setHostId] = useState(show?.hostId ?? "");
  const [productIds, setProductIds] = useState<string[]>([]);
  const [hosts, setHosts] = useState<HostOption[] | null>(null);
  const [products, setProducts] = useState<Product[] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uploader = useImageUpload();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  useEffect(() => {
    api.merchant.hosts().then((r) => setHosts(r.items), (err) => setProblem(errorText(err)));
    allProducts().then(setProducts, (err) => setProblem(errorText(err)));
    if (show) api.shows.get(show.id).then((s) => setProductIds(s.products.map((p) => p.id)), (err) => setProblem(errorText(err)));
  }, [show?.id]);

  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const submit = async (e: Event) => {
    e.preventDefault();
    const es: Record<string, string> = {};
    if (!title.trim()) es.title = m.shows.required;
    const scheduledAt = localInputToIso(startsAt);
    if (!scheduledAt) es.startsAt = m.shows.required;
    if (!hostId) es.host = m.shows.required;
    setErrors(es);
    setProblem(null);
    if (Object.keys(es).length || !scheduledAt) return;
    setBusy(true);
    try {
      const body = { title: title.trim(), description: description.trim(), coverUrl, scheduledAt, hostId, productIds };
      if (show) await api.merchant.updateShow(show.id, body);
      else await api.merchant.createShow(body);
      onSaved();
    } catch (err) {
      const detail = isApiError(err) ? Object.entries(err.fieldErrors()).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      setProblem(detail ? `${errorText(err)} (${detail})` : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form show-form" onSubmit={submit} noValidate aria-labelledby="show-form-title">
      <h2 id="show-form-title" ref={heading} tabIndex={-1}>
        {show ? m.shows.formEdit(show.title) : m.shows.formNew}
      </h2>
      <Field id="s-title" label={m.shows.fTitle} error={errors.title}>
        {(a) => <input {...a} data-testid="show-title" value={title} maxLength={140} required onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <Field id="s-description" label={m.shows.fDescription}>
        {(a) => <textarea {...a} rows={3} maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
      </Field>
      <fieldset>
        <legend>{m.shows.cover}</legend>
        {coverUrl && <img src={coverUrl} alt="" class="cover-preview" />}
        <div class="actions">
          <FilePicker
            id="s-cover"
            label={uploader.busy ? m.products.uploading : coverUrl ? m.shows.changeCover : m.shows.uploadCover}
            disabled={uploader.busy}
            onFiles={async (files) => {
              const [url] = await uploader.upload([files[0]!]);
              if (url) setCoverUrl(url);
            }}
          />
          {coverUrl && (
            <button type="button" class="btn btn-small btn-ghost" onClick={() => setCoverUrl(null)}>
              {m.shows.removeCover}
            </button>
          )}
        </div>
        <small class="hint">{m.products.imagesHint}</small>
        {uploader.errors.map((e) => (
          <p key={e} class="field-error" role="alert">
            {e}
          </p>
        ))}
      </fieldset>
      <div class="row-2 row-stack">
        <Field id="s-starts" label={m.shows.startsAt} hint={m.shows.startsAtHint(zone)} error={errors.startsAt}>
          {(a) => <input {...a} data-testid="show-starts-at" type="datetime-local" value={startsAt} required onInput={(e) => setStartsAt(e.currentTarget.value)} />}
        </Field>
        <Field id="s-host" label={m.shows.host} error={errors.host}>
          {(a) => (
            <select {...a} data-testid="show-host" value={hostId} onChange={(e) => setHostId(e.currentTarget.value)} required>
              <option value="">{hosts ? m.shows.chooseHost : m.app.loading}</option>
              {(hosts ?? []).map((h) => (
                <option key={h.id} value={h.id}>
                  {h.displayName}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <fieldset>
        <legend>{m.shows.products}</legend>
        {products === null ? (
          <Spinner />
        ) : products.length === 0 ? (
          <p class="hint">{m.shows.noProducts}</p>
        ) : (
          <ul class="check-list">
            {products.map((p) => (
              <li key={p.id}>
                <label>
                  <input
                    type="checkbox"
                    checked={productIds.includes(p.id)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      setProductIds((ids) => (on ? [...ids, p.id] : ids.filter((x) => x !== p.id)));
                    }}
                  />
                  {p.images[0] && <img src={p.images[0]} alt="" class="thumb-xs" />}
                  <span>
                    {p.title} <span class="muted">· {fmt.money(Math.min(...p.variants.map((v) => v.price)), p.currency)}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy || uploader.busy} data-testid="save-show">
          {busy ? m.app.saving : m.shows.save}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {m.app.cancel}
        </button>
      </div>
    </form>
  );
}
