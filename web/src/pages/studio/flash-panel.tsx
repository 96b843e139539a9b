import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { FLASH_COUNTDOWN_SECONDS, FLASH_DURATION_SECONDS, type FlashOutcome, type FlashSale, type FlashSaleStats } from "../../../../src/shared/contracts/flash-sales.ts";
import type { ShowStatus } from "../../../../src/shared/contracts/shows.ts";
import { isApiError } from "../../api/client.ts";
import { api, type FlashAuditItem } from "../../api/endpoints.ts";
import { Field } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { currencyDigits, parsePrice } from "../../lib/money.ts";
import { formatCountdown, useServerNow } from "../../lib/server-clock.ts";
import { storage } from "../../lib/storage.ts";
import { discountPercent, flashPhase, flashRemaining } from "../../room/flash.ts";

const POLL_MS = 1500;
const POLL_ERROR_MS = 4000;
const AUDIT_PAGE = 50;
const KEEP_SALES = 5;
const DEFAULTS = { quantity: "10", limit: "1", countdown: "30", duration: "5" };
const OUTCOMES: FlashOutcome[] = ["won", "sold_out", "limit_reached", "not_open", "ended"];

const knownKey = (showId: string) => `vetrina.studio.flash.${showId}`;
function loadKnown(showId: string): string[] {
  try {
    const v = JSON.parse(storage.get(knownKey(showId)) ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, KEEP_SALES) : [];
  } catch {
    return [];
  }
}

/* ---------- launching ---------- */

interface Form {
  variantId: string;
  price: string;
  quantity: string;
  limit: string;
  countdown: string;
  duration: string;
}
type FieldName = keyof Form;

function wholeIn(s: string, min: number, max: number): number | null {
  if (!/^\s*\d+\s*$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

function LaunchForm({ showId, products, live, onLaunched }: { showId: string; products: Product[]; live: boolean; onLaunched(sale: FlashSale): void }) {
  const { m, fmt, errorText } = useI18n();
  const [form, setForm] = useState<Form>({ variantId: "", price: "", ...DEFAULTS });
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const choice = useMemo(() => {
    for (const p of products) {
      const v = p.variants.find((x) => x.id === form.variantId);
      if (v) return { product: p, variant: v };
    }
    return null;
  }, [products, form.variantId]);
  const currency = choice?.product.currency ?? products[0]?.currency ?? "EUR";
  const regular = choice ? fmt.money(choice.variant.price, currency) : null;
  const parsed = form.price.trim() ? parsePrice(form.price, currency) : null;
  const pct = choice && parsed?.ok ? discountPercent(choice.variant.price, parsed.minor) : null;

  const set = (k: FieldName) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => {
    const v = e.currentTarget.value;
    setForm((f) => ({ ...f, [k]: v }));
    if (errors[k]) setErrors((es) => ({ ...es, [k]: undefined }));
    setProblem(null);
  };

  function validate(): { es: Partial<Record<FieldName, string>>; input: Parameters<typeof api.flash.create>[1] | null } {
    const es: Partial<Record<FieldName, string>> = {};
    if (!choice) es.variantId = m.products.required;
    let salePrice = 0;
    const p = parsePrice(form.price, currency);
    if (!p.ok) {
      es.price =
        p.reason === "empty"
          ? m.products.required
          : p.reason === "ambiguous"
            ? m.products.priceAmbiguous
            : p.reason === "too_precise"
              ? m.products.priceTooPrecise(currencyDigits(currency))
              : p.reason === "too_large"
                ? m.products.priceTooLarge
                : m.products.priceInvalid;
    } else {
      salePrice = p.minor;
      if (choice && salePrice >= choice.variant.price) es.price = m.studioFlash.priceNotLower(regular!);
    }
    const quantity = wholeIn(form.quantity, 1, 1_000_000);
    if (quantity === null) es.quantity = m.studioFlash.wholeBetween(1, 1_000_000);
    else if (choice && quantity > choice.variant.stock) es.quantity = m.studioFlash.quantityTooMany(choice.variant.stock);
    const limit = wholeIn(form.limit, 1, 100);
    if (limit === null) es.limit = m.studioFlash.wholeBetween(1, 100);
    else if (quantity !== null && limit > quantity) es.limit = m.studioFlash.limitTooHigh;
    const countdown = wholeIn(form.countdown, FLASH_COUNTDOWN_SECONDS.min, FLASH_COUNTDOWN_SECONDS.max);
    if (countdown === null) es.countdown = m.studioFlash.wholeBetween(FLASH_COUNTDOWN_SECONDS.min, FLASH_COUNTDOWN_SECONDS.max);
    const minMin = FLASH_DURATION_SECONDS.min / 60;
    const maxMin = FLASH_DURATION_SECONDS.max / 60;
    const duration = wholeIn(form.duration, minMin, maxMin);
    if (duration === null) es.duration = m.studioFlash.wholeBetween(minMin, maxMin);
    const ok = Object.values(es).every((x) => !x);
    return {
      es,
      input: ok
        ? { variantId: choice!.variant.id, salePrice, quantity: quantity!, perBuyerLimit: limit!, countdownSeconds: countdown!, durationSeconds: duration! * 60 }
        : null,
    };
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy || !live) return;
    setProblem(null);
    const { es, input } = validate();
    setErrors(es);
    if (!input) {
      const first = (Object.keys(es) as FieldName[]).find((k) => es[k]);
      if (first) document.getElementById(`fl-${first}`)?.focus();
      setProblem(m.products.fixFields);
      return;
    }
    setBusy(true);
    try {
      const sale = await api.flash.create(showId, input);
      setForm((f) => ({ ...f, price: "" }));
      onLaunched(sale);
    } catch (err) {
      if (isApiError(err) && err.code === "validation_failed") {
        const map: Record<string, FieldName> = { variantId: "variantId", salePrice: "price", quantity: "quantity", perBuyerLimit: "limit", countdownSeconds: "countdown", durationSeconds: "duration" };
        const fe: Partial<Record<FieldName, string>> = {};
        for (const [path, msg] of Object.entries(err.fieldErrors())) {
          const k = map[path];
          if (k) fe[k] = msg;
        }
        setErrors(fe);
      }
      if (isApiError(err) && err.code === "out_of_stock") setErrors({ quantity: errorText(err) });
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const summary = (() => {
    if (!choice || !parsed?.ok) return null;
    const q = wholeIn(form.quantity, 1, 1_000_000);
    const c = wholeIn(form.countdown, FLASH_COUNTDOWN_SECONDS.min, FLASH_COUNTDOWN_SECONDS.max);
    const d = wholeIn(form.duration, FLASH_DURATION_SECONDS.min / 60, FLASH_DURATION_SECONDS.max / 60);
    if (q === null || c === null || d === null) return null;
    return m.studioFlash.summary(q, fmt.money(parsed.minor, currency), c, d);
  })();

  return (
    <form class="form flash-form" onSubmit={submit} noValidate>
      <Field id="fl-variantId" label={m.studioFlash.variant} error={errors.variantId}>
        {(a) => (
          <select {...a} data-testid="flash-variant" value={form.variantId} onChange={set("variantId")} required>
            <option value="">{m.studioFlash.chooseVariant}</option>
            {products.map((p) => (
              <optgroup key={p.id} label={p.title}>
                {p.variants.map((v) => (
                  <option key={v.id} value={v.id} disabled={v.stock === 0}>
                    {m.studioFlash.variantOption(v.title || p.title, fmt.money(v.price, p.currency), v.stock)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        )}
      </Field>
      <div class="row-2">
        <Field
          id="fl-price"
          label={m.studioFlash.price(currency)}
          error={errors.price}
          hint={choice && regular ? (pct !== null ? m.studioFlash.discountHint(pct, regular) : m.studioFlash.priceHint(regular)) : undefined}
        >
          {(a) => <input {...a} data-testid="flash-price" type="text" inputMode="decimal" autocomplete="off" value={form.price} onInput={set("price")} required />}
        </Field>
        <Field id="fl-quantity" label={m.studioFlash.quantity} error={errors.quantity} hint={choice ? m.studioFlash.quantityHint(choice.variant.stock) : undefined}>
          {(a) => <input {...a} data-testid="flash-quantity" type="number" inputMode="numeric" min={1} max={choice?.variant.stock} value={form.quantity} onInput={set("quantity")} required />}
        </Field>
      </div>
      <div class="row-3 flash-row-3">
        <Field id="fl-limit" label={m.studioFlash.limit} error={errors.limit}>
          {(a) => <input {...a} data-testid="flash-limit" type="number" inputMode="numeric" min={1} max={100} value={form.limit} onInput={set("limit")} required />}
        </Field>
        <Field id="fl-countdown" label={m.studioFlash.countdown} error={errors.countdown}>
          {(a) => (
            <input
              {...a}
              data-testid="flash-countdown"
              type="number"
              inputMode="numeric"
              min={FLASH_COUNTDOWN_SECONDS.min}
              max={FLASH_COUNTDOWN_SECONDS.max}
              step={1}
              value={form.countdown}
              onInput={set("countdown")}
              required
            />
          )}
        </Field>
        <Field id="fl-duration" label={m.studioFlash.duration} error={errors.duration}>
          {(a) => (
            <input
              {...a}
              data-testid="flash-duration"
              type="number"
              inputMode="numeric"
              min={FLASH_DURATION_SECONDS.min / 60}
              max={FLASH_DURATION_SECONDS.max / 60}
              step={1}
              value={form.duration}
              onInput={set("duration")}
              required
            />
          )}
        </Field>
      </div>
      {summary && <p class="hint flash-summary">{summary}</p>}
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="btn btn-primary btn-block" data-testid="flash-launch" disabled={busy || !live} aria-busy={busy}>
        ⚡ {busy ? m.studioFlash.launching : m.studioFlash.launch}
      </button>
    </form>
  );
}

/* ---------- a running (or finished) sale ---------- */

/** The freshest of what the room pushed and what the last poll said. */
function newer<T extends FlashSale>(a: T | null, b: FlashSale | undefined): FlashSale | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return Date.parse(b.serverTime) > Date.parse(a.serverTime) ? b : a;
}

function SaleCard({ saleId, pushed }: { saleId: string; pushed: FlashSale | undefined }) {
  const { m, fmt } = useI18n();
  const [stats, setStats] = useState<FlashSaleStats | null>(null);
  const [failing, setFailing] = useState(false);
  const [settled, setSettled] = useState(false);

  const kick = useRef<() => void>(() => undefined);

  // Poll the numbers while anything can still change; one last read once it has settled.
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    const ac = new AbortController();
    const poll = async () => {
      clearTimeout(timer);
      if (inFlight) return;
      inFlight = true;
      try {
        const s = await api.flash.stats(saleId, ac.signal);
        if (stop) return;
        setStats(s);
        setFailing(false);
        if (s.phase === "ended" && s.held === 0) {
          setSettled(true);
          return;
        }
        timer = setTimeout(poll, POLL_MS);
      } catch (err) {
        if (stop || (err instanceof DOMException && err.name === "AbortError")) return;
        setFailing(true);
        timer = setTimeout(poll, POLL_ERROR_MS);
      } finally {
        inFlight = false;
      }
    };
    kick.current = () => {
      if (stop) return;
      clearTimeout(timer);
      timer = setTimeout(poll, 150);
    };
    void poll();
    return () => {
      stop = true;
      ac.abort();
      clearTimeout(timer);
    };
  }, [saleId]);

  // The room says the stock moved: read attempts and revenue now rather than at the next poll.
  useEffect(() => {
    if (pushed && stats && (pushed.sold !== stats.sold || pushed.held !== stats.held || pushed.available !== stats.available)) kick.current();
  }, [pushed?.sold, pushed?.held, pushed?.available]);

  const sale = newer(stats, pushed);
  const now = useServerNow(!!sale && !settled, 250);
  if (!sale) return null;
  const phase = flashPhase(sale, now);
  const remaining = flashRemaining(sale, phase, now);
  const pct = (n: number) => `${sale.quantity ? (n / sale.quantity) * 100 : 0}%`;
  const holdMinutes = formatCountdown(sale.holdSeconds * 1000);

  return (
    <article class="flash-sale" data-testid="flash-stats" data-sale-id={sale.id} data-phase={phase} aria-labelledby={`fs-${sale.id}`}>
      <header class="flash-sale-head">
        {sale.image ? <img src={sale.image} alt="" class="thumb-sm" /> : <span class="thumb-sm" aria-hidden="true" />}
        <div class="grow">
          <strong id={`fs-${sale.id}`} class="block">
            {sale.title} · {sale.variantTitle}
          </strong>
          <span class="muted block small">{m.studioFlash.priceLine(fmt.money(sale.salePrice, sale.currency), fmt.money(sale.regularPrice, sale.currency))}</span>
        </div>
        <span class={`badge flash-phase flash-phase-${phase}`}>{m.studioFlash.phase[phase]}</span>
      </header>
      <p class="flash-sale-timer" role="timer" data-testid="flash-studio-timer">
        {phase === "countdown" ? m.studioFlash.opensIn(formatCountdown(remaining)) : phase === "open" ? m.studioFlash.endsIn(formatCountdown(remaining)) : m.studioFlash.endedAt(fmt.time(sale.endsAt))}
      </p>
      <div class="flash-stack" role="img" aria-label={m.studioFlash.bar(sale.sold, sale.held, sale.quantity)}>
        <span class="flash-stack-sold" style={{ width: pct(sale.sold) }} />
        <span class="flash-stack-held" style={{ width: pct(sale.held) }} />
      </div>
      <dl class="flash-numbers">
        <div class="tile-available">
          <dt>{m.studioFlash.available}</dt>
          <dd data-testid="flash-stat-available">
            {fmt.number(sale.available)}
            <small> / {fmt.number(sale.quantity)}</small>
          </dd>
        </div>
        <div class="tile-held">
          <dt>{m.studioFlash.held}</dt>
          <dd data-testid="flash-stat-held">{fmt.number(sale.held)}</dd>
        </div>
        <div class="tile-sold">
          <dt>{m.studioFlash.sold}</dt>
          <dd data-testid="flash-stat-sold">{fmt.number(sale.sold)}</dd>
        </div>
        <div>
          <dt>{m.studioFlash.attempts}</dt>
          <dd data-testid="flash-stat-attempts">{stats ? fmt.number(stats.attempts) : "–"}</dd>
        </div>
        <div class="flash-numbers-wide">
          <dt>{m.studioFlash.revenue}</dt>
          <dd data-testid="flash-stat-revenue">{stats ? fmt.money(stats.revenue, sale.currency) : "–"}</dd>
        </div>
      </dl>
      {stats && stats.attempts > 0 && (
        <p class="flash-outcomes">
          <span class="visually-hidden">{m.studioFlash.outcomes}: </span>
          {OUTCOMES.filter((o) => (stats.outcomes[o] ?? 0) > 0).map((o) => (
            <span key={o} class={`chip flash-chip-${o}`}>
              {m.studioFlash.outcome[o]} · {fmt.number(stats.outcomes[o] ?? 0)}
            </span>
          ))}
        </p>
      )}
      {phase !== "ended" && <p class="hint">{m.studioFlash.holdNote(holdMinutes)}</p>}
      {failing && (
        <p class="hint" role="status">
          {m.studioFlash.statsError}
        </p>
      )}
      {phase === "ended" && <AuditTrail saleId={sale.id} refreshKey={settled ? 1 : 0} />}
    </article>
  );
}

function shortId(id: string): string {
  return id.length > 7 ? `…${id.slice(-5)}` : id;
}

/** Every attempt in order of receipt, as the engine sequenced them. */
function AuditTrail({ saleId, refreshKey }: { saleId: string; refreshKey: number }) {
  const { m, fmt, errorText } = useI18n();
  const [items, setItems] = useState<FlashAuditItem[] | null>(null);
  const [more, setMore] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const loaded = useRef(0);

  const load = async (afterSeq: number) => {
    setBusy(true);
    setError(null);
    try {
      const page = await api.flash.audit(saleId, afterSeq, AUDIT_PAGE);
      setItems((cur) => (afterSeq === 0 ? page.items : [...(cur ?? []), ...page.items]));
      setMore(page.items.length === AUDIT_PAGE);
      loaded.current = page.items.at(-1)?.seq ?? afterSeq;
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    void load(0);
  }, [saleId, refreshKey]);

  return (
    <section class="flash-audit" data-testid="flash-audit" aria-labelledby={`audit-${saleId}`}>
      <h3 id={`audit-${saleId}`}>{m.studioFlash.audit}</h3>
      <p class="hint">{m.studioFlash.auditHint}</p>
      {error && (
        <p class="form-error" role="alert">
          {error}{" "}
          <button type="button" class="btn btn-small" onClick={() => void load(loaded.current)}>
            {m.app.retry}
          </button>
        </p>
      )}
      {items && items.length === 0 && <p class="empty">{m.studioFlash.auditEmpty}</p>}
      {items && items.length > 0 && (
        <div class="flash-audit-scroll">
          <table class="flash-audit-table">
            <thead>
              <tr>
                <th scope="col">{m.studioFlash.auditSeq}</th>
                <th scope="col">{m.studioFlash.auditTime}</th>
                <th scope="col">{m.studioFlash.auditBuyer}</th>
                <th scope="col">{m.studioFlash.auditOutcome}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <tr key={it.seq} data-testid="flash-audit-row" data-outcome={it.outcome}>
                  <td class="num">{fmt.number(it.seq)}</td>
                  <td>
                    <time dateTime={it.at}>{fmt.timeExact(it.at)}</time>
                  </td>
                  <td class="mono" title={it.buyerId}>
                    {shortId(it.buyerId)}
                  </td>
                  <td>
                    <span class={`flash-outcome flash-chip-${it.outcome}`}>{m.studioFlash.outcome[it.outcome]}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {more && (
        <button type="button" class="btn btn-small" disabled={busy} onClick={() => void load(loaded.current)}>
          {m.studioFlash.auditMore}
        </button>
      )}
    </section>
  );
}

/* ---------- the panel ---------- */

/**
 * The host's flash sales: launch one (one option, sale price, quantity, per-buyer limit, countdown,
 * duration), then watch it live: phase and countdown, stock sold / being paid / left, attempts,
 * revenue; once it has ended, the audit trail.
 */
export function FlashPanel({
  showId,
  products,
  status,
  sales,
  onLaunched,
}: {
  showId: string;
  products: Product[];
  status: ShowStatus | null;
  /** the show's flash sales as the room announces them */
  sales: Record<string, FlashSale>;
  onLaunched?(): void;
}) {
  const { m } = useI18n();
  const [known, setKnown] = useState<string[]>(() => loadKnown(showId));
  const [formOpen, setFormOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const now = useServerNow(false);
  const live = status === "live";

  const ids = useMemo(() => {
    const all = new Map<string, string>();
    for (const s of Object.values(sales)) if (s.showId === showId) all.set(s.id, s.opensAt);
    for (const id of known) if (!all.has(id)) all.set(id, "");
    // Newest first: pushed sales by opening time, then the remembered ones in launch order.
    return [...all.entries()].sort((a, b) => b[1].localeCompare(a[1])).map(([id]) => id).slice(0, KEEP_SALES);
  }, [sales, known, showId]);

  const running = Object.values(sales).some((s) => s.showId === showId && flashPhase(s, now) !== "ended");
  const showForm = live && (!running || formOpen);

  const launched = (sale: FlashSale) => {
    const next = [sale.id, ...known.filter((id) => id !== sale.id)].slice(0, KEEP_SALES);
    setKnown(next);
    storage.set(knownKey(showId), JSON.stringify(next));
    setFormOpen(false);
    setNotice(m.studioFlash.launched);
    onLaunched?.();
  };

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(t);
  }, [notice]);

  return (
    <section class="card flash-panel" aria-labelledby="flash-title">
      <div class="card-head">
        <h2 id="flash-title" class="card-title">
          ⚡ {m.studioFlash.title}
        </h2>
        {live && running && !formOpen && (
          <button type="button" class="btn btn-small btn-ghost" onClick={() => setFormOpen(true)} data-testid="flash-new">
            {m.studioFlash.newSale}
          </button>
        )}
      </div>
      {notice && (
        <p class="flash" role="status">
          {notice}
        </p>
      )}
      <div class="flash-sales">
        {ids.map((id) => (
          <SaleCard key={id} saleId={id} pushed={sales[id]} />
        ))}
      </div>
      {!live && status !== "ended" && <p class="hint">{m.studioFlash.notLive}</p>}
      {products.length === 0 ? (
        <p class="empty">{m.studioFlash.noProducts}</p>
      ) : (
        (showForm || (!live && status !== "ended")) && (
          <>
            {ids.length === 0 && <p class="hint">{m.studioFlash.hint}</p>}
            {ids.length > 0 && <h3 class="flash-form-title">{m.studioFlash.newSale}</h3>}
            <LaunchForm showId={showId} products={products} live={live} onLaunched={launched} />
          </>
        )
      )}
    </section>
  );
}
