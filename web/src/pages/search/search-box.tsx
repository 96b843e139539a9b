import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../i18n/index.tsx";
import { navigate, useLocation } from "../../router.tsx";
import "./search.css";

export function searchHref(q: string, type = "all"): string {
  const params = new URLSearchParams({ q: q.trim() });
  if (type !== "all") params.set("type", type);
  return `/search?${params}`;
}

/** The header's search field; on a phone only its button shows, and opens the search page. */
export function SearchBox({ autoFocus = false, big = false }: { autoFocus?: boolean; big?: boolean }) {
  const { m } = useI18n();
  const { path, query } = useLocation();
  const current = path === "/search" ? (query.get("q") ?? "") : "";
  const [q, setQ] = useState(current);
  useEffect(() => setQ(current), [current]);
  return (
    <form
      role="search"
      class={big ? "search-box search-box-big" : "search-box"}
      onSubmit={(e) => {
        e.preventDefault();
        if (q.trim()) navigate(searchHref(q, path === "/search" ? (query.get("type") ?? "all") : "all"));
        else if (!big) navigate("/search");
      }}
    >
      <label class="visually-hidden" for={big ? "search-page-q" : "search-q"}>
        {m.search.label}
      </label>
      <input
        id={big ? "search-page-q" : "search-q"}
        type="search"
        name="q"
        value={q}
        maxLength={100}
        placeholder={m.search.placeholder}
        autoFocus={autoFocus}
        enterKeyHint="search"
        autoComplete="off"
        onInput={(e) => setQ(e.currentTarget.value)}
      />
      <button type="submit" class="search-submit" aria-label={m.search.submit} title={m.search.submit}>
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2.2" />
          <path d="M15.5 15.5 21 21" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" />
        </svg>
      </button>
    </form>
  );
}
