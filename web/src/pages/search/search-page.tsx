import { useState } from "preact/hooks";
import type { SearchHit, SearchPage as Page, SearchType } from "../../../../src/shared/contracts/search.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Price, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link, useLocation } from "../../router.tsx";
import { Avatar, VerifiedBadge } from "../creator/bits.tsx";
import { Highlighted } from "./highlighted.tsx";
import { hitHref, SearchBox, searchHref } from "./search-box.tsx";

const types: SearchType[] = ["all", "shows", "products", "creators"];

function Thumb({ url }: { url: string | null }) {
  return url ? <img class="search-thumb" src={url} alt="" loading="lazy" /> : <span class="search-thumb search-thumb-empty" aria-hidden="true" />;
}

function Hit({ hit }: { hit: SearchHit }) {
  const { m, fmt } = useI18n();
  if (hit.kind === "creator") {
    return (
      <Link class="search-hit" href={hitHref(hit)} data-testid="search-hit">
        <Avatar url={hit.imageUrl} name={hit.title.text} />
        <span class="search-hit-text">
          <span class="search-kind">{m.search.kind.creator}</span>
          <strong>
            <Highlighted value={hit.title} /> {hit.verified && <VerifiedBadge />}
          </strong>
          <span class="muted">@{hit.handle}</span>
          {hit.snippet.text && <span class="search-snippet"><Highlighted value={hit.snippet} /></span>}
        </span>
      </Link>
    );
  }
  if (hit.kind === "show") {
    return (
      <Link class="search-hit" href={hitHref(hit)} data-testid="search-hit">
        <Thumb url={hit.imageUrl} />
        <span class="search-hit-text">
          <span class="search-kind">
            {m.search.kind.show} · <span class={hit.status === "live" ? "chip chip-live" : "chip"}>{m.search.status[hit.status]}</span>
          </span>
          <strong><Highlighted value={hit.title} /></strong>
          <span class="muted">
            {hit.status === "scheduled" ? <time dateTime={hit.scheduledAt}>{fmt.when(hit.scheduledAt)}</time> : null} {m.search.hostedBy(hit.hostName)} · {hit.merchantName}
          </span>
          {hit.snippet.text && <span class="search-snippet"><Highlighted value={hit.snippet} /></span>}
        </span>
      </Link>
    );
  }
  const body = (
    <>
      <Thumb url={hit.imageUrl} />
      <span class="search-hit-text">
        <span class="search-kind">{m.search.kind.product}</span>
        <strong><Highlighted value={hit.title} /></strong>
        <span class="muted">
          {hit.price && <Price minor={hit.price.amount} currency={hit.price.currency} />} {hit.merchantName}
        </span>
        {hit.snippet.text && <span class="search-snippet"><Highlighted value={hit.snippet} /></span>}
        <span class="search-where">{hit.showId ? m.search.inShow : m.search.noShow}</span>
      </span>
    </>
  );
  // A product is bought in a show: go to the one it is featured in, else to its page (which lists where it is sold).
  return (
    <Link class="search-hit" href={hitHref(hit)} data-testid="search-hit">
      {body}
    </Link>
  );
}

export function SearchPage() {
  const { m, errorText } = useI18n();
  const { query } = useLocation();
  const q = (query.get("q") ?? "").trim().slice(0, 100);
  const typeParam = query.get("type") as SearchType | null;
  const type: SearchType = typeParam && types.includes(typeParam) ? typeParam : "all";
  useTitle(q ? m.search.title(q) : m.search.label);
  const first = useAsync((): Promise<Page | null> => (q ? api.search(q, type) : Promise.resolve(null)), [q, type]);
  const [more, setMore] = useState<{ key: string; items: SearchHit[]; nextCursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);
  const key = `${type}:${q}`;
  const extra = more?.key === key ? more : null;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.nextCursor : (first.data?.nextCursor ?? null);

  async function loadMore() {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.search(q, type, nextCursor);
      setMore({ key, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor });
    } catch (err) {
      setMoreError(errorText(err));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section class="page search-page">
      <h1 class={q ? "search-title" : undefined}>{q ? m.search.title(q) : m.search.label}</h1>
      <SearchBox big autoFocus={!q} />
      {q && (
        <nav class="search-tabs" aria-label={m.search.tabsLabel}>
          {types.map((t) => (
            <Link key={t} href={searchHref(q, t)} replace aria-current={t === type ? "page" : undefined}>
              {m.search.tabs[t]}
            </Link>
          ))}
        </nav>
      )}
      {!q && <p class="muted">{m.search.prompt}</p>}
      {q && first.loading && !first.data && <Spinner />}
      {q && first.error !== undefined && <ErrorBox error={first.error} onRetry={first.reload} />}
      {q && first.data && items.length === 0 && <p class="search-empty">{m.search.empty(q)}</p>}
      {items.length > 0 && (
        <ul class="search-results">
          {items.map((hit) => (
            <li key={`${hit.kind}:${hit.id}`}>
              <Hit hit={hit} />
            </li>
          ))}
        </ul>
      )}
      {nextCursor && (
        <button type="button" class="btn btn-ghost search-more" disabled={loadingMore} onClick={loadMore}>
          {m.app.loadMore}
        </button>
      )}
      <ErrorLine text={moreError} />
    </section>
  );
}
