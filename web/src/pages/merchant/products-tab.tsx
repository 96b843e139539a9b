import { useEffect, useState } from "preact/hooks";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { PartnerStorePanel } from "./partner-store.tsx";
import { ProductForm } from "./product-form.tsx";

const PAGE = 20;

export function ProductsTab() {
  const { m, fmt } = useI18n();
  const [q, setQ] = useState("");
  const [query, setQuery] = useState("");
  const [items, setItems] = useState<Product[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<Product | "new" | null>(null);
  const [flash, setFlash] = useState<string | null>(null);

  // Search as you type, without a request per keystroke.
  useEffect(() => {
    const t = setTimeout(() => setQuery(q.trim()), 250);
    return () => clearTimeout(t);
  }, [q]);

  const fetchPage = async (after: string | null, replace: boolean, signal?: AbortSignal) => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.merchant.products({ q: query || undefined, cursor: after, limit: PAGE });
      if (signal?.aborted) return;
      setItems((cur) => (replace ? r.items : [...cur, ...r.items.filter((p) => !cur.some((c) => c.id === p.id))]));
      setCursor(r.nextCursor);
    } catch (err) {
      if (!signal?.aborted) setError(err);
    } finally {
      if (!signal?.aborted) setLoading(false);
    }
  };

  useEffect(() => {
    const ac = new AbortController();
    void fetchPage(null, true, ac.signal);
    return () => ac.abort();
  }, [query]);

  if (editing)
    return (
      <ProductForm
        product={editing === "new" ? null : editing}
        onCancel={() => setEditing(null)}
        onSaved={(p) => {
          setItems((cur) => (cur.some((c) => c.id === p.id) ? cur.map((c) => (c.id === p.id ? p : c)) : [p, ...cur]));
          setEditing(null);
          setFlash(m.products.saved);
        }}
      />
    );

  return (
    <section aria-label={m.merchant.products}>
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">{m.products.search}</span>
          <input type="search" placeholder={m.products.search} value={q} onInput={(e) => setQ(e.currentTarget.value)} data-testid="product-search" />
        </label>
        <button type="button" class="btn btn-primary" onClick={() => (setFlash(null), setEditing("new"))} data-testid="new-product">
          {m.products.newProduct}
        </button>
      </div>
      {flash && (
        <p class="flash" role="status">
          {flash}
        </p>
      )}
      {error != null && <ErrorBox error={error} onRetry={() => void fetchPage(null, true)} />}
      {!loading && !error && items.length === 0 && <p class="empty">{query ? m.products.noMatch : m.products.none}</p>}
      <ul class="card-list" data-testid="product-list">
        {items.map((p) => {
          const prices = p.variants.map((v) => v.price);
          const min = Math.min(...prices);
          const max = Math.max(...prices);
          return (
            <li key={p.id} class="card product-item">
              {p.images[0] ? <img src={p.images[0]} alt="" class="thumb" /> : <span class="thumb" aria-hidden="true" />}
              <div class="grow">
                <h2 class="card-title">{p.title}</h2>
                <p class="muted">
                  {min === max ? fmt.money(min, p.currency) : `${fmt.money(min, p.currency)} – ${fmt.money(max, p.currency)}`} · {m.products.variants(p.variants.length)} ·{" "}
                  {p.kind === "external" && p.storeName ? <span class="chip">{m.products.onStore(p.storeName)} ↗</span> : m.products.stock(p.variants.reduce((s, v) => s + v.stock, 0))}
                  {p.status === "archived" && <span class="chip"> {m.products.archived}</span>}
                </p>
              </div>
              <button type="button" class="btn btn-small" onClick={() => (setFlash(null), setEditing(p))} aria-label={`${m.products.edit}: ${p.title}`}>
                {m.products.edit}
              </button>
            </li>
          );
        })}
      </ul>
      {loading && <Spinner />}
      {!loading && cursor && (
        <button type="button" class="btn btn-ghost btn-block" onClick={() => void fetchPage(cursor, false)} data-testid="load-more">
          {m.app.loadMore}
        </button>
      )}
      <PartnerStorePanel />
    </section>
  );
}
