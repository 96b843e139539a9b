import { useEffect, useRef, useState } from "preact/hooks";
import type { SearchHit } from "../../../../src/shared/contracts/search.ts";
import { api } from "../../api/endpoints.ts";
import { Price } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { navigate, useLocation } from "../../router.tsx";
import { Highlighted } from "./highlighted.tsx";
import "./search.css";

export function searchHref(q: string, type = "all"): string {
  const params = new URLSearchParams({ q: q.trim() });
  if (type !== "all") params.set("type", type);
  return `/search?${params}`;
}

/** Where a hit leads: a creator's page, a show, or the show a product is featured in (else the product's page). */
export function hitHref(hit: SearchHit): string {
  if (hit.kind === "creator") return `/c/${encodeURIComponent(hit.handle)}`;
  if (hit.kind === "show") return `/shows/${hit.id}`;
  return hit.showId ? `/shows/${hit.showId}` : `/products/${hit.id}`;
}

/** Suggestions are asked for from this many letters, this long after the last keystroke, this many at a time. */
const MIN_LETTERS = 2;
const DEBOUNCE_MS = 150;
const SUGGESTIONS = 6;

function Suggestion({ hit }: { hit: SearchHit }) {
  const { m } = useI18n();
  const round = hit.kind === "creator" ? " suggest-round" : "";
  const detail =
    hit.kind === "product" ? (
      <>
        {m.search.kind.product}
        {hit.price && (
          <>
            {" · "}
            <Price minor={hit.price.amount} currency={hit.price.currency} />
          </>
        )}
      </>
    ) : hit.kind === "show" ? (
      `${m.search.kind.show} · ${m.search.status[hit.status]}`
    ) : (
      `${m.search.kind.creator} · @${hit.handle}`
    );
  return (
    <>
      {hit.imageUrl ? <img class={`suggest-thumb${round}`} src={hit.imageUrl} alt="" /> : <span class={`suggest-thumb${round}`} aria-hidden="true" />}
      <span class="suggest-text">
        <span class="suggest-title">
          <Highlighted value={hit.title} />
        </span>
        <span class="suggest-detail">{detail}</span>
      </span>
    </>
  );
}

/**
 * The search field, with suggestions as the shopper types (the ARIA 1.2 combobox pattern: the field keeps
 * the focus, the arrow keys move through the list, Enter opens the one chosen or searches, Escape closes).
 * The header's copy shows only its button on a phone, which opens the search page and its own field.
 */
export function SearchBox({ autoFocus = false, big = false }: { autoFocus?: boolean; big?: boolean }) {
  const { m } = useI18n();
  const { path, query } = useLocation();
  const current = path === "/search" ? (query.get("q") ?? "") : "";
  const [q, setQ] = useState(current);
  // The suggestions shown, and the text they answer (a late answer for older text is dropped).
  const [found, setFound] = useState<{ for: string; items: SearchHit[] } | null>(null);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const inflight = useRef<AbortController | null>(null);
  const id = big ? "search-page-q" : "search-q";
  const listId = `${id}-suggestions`;

  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    inflight.current?.abort();
    inflight.current = null;
  };
  const close = () => {
    cancel();
    setOpen(false);
    setActive(-1);
  };
  useEffect(() => setQ(current), [current]);
  // A navigation (a suggestion opened, a search run) closes the list.
  useEffect(close, [path, query.toString()]);
  useEffect(() => cancel, []);

  function typed(text: string) {
    setQ(text);
    setActive(-1);
    cancel();
    const t = text.trim();
    if (t.length < MIN_LETTERS) {
      setOpen(false);
      setFound(null);
      return;
    }
    timer.current = setTimeout(() => {
      const ctl = new AbortController();
      inflight.current = ctl;
      api.search(t, "all", null, { limit: SUGGESTIONS, signal: ctl.signal }).then(
        (page) => {
          if (ctl.signal.aborted) return;
          setFound({ for: t, items: page.items });
          setOpen(true);
        },
        // Suggestions are a convenience: on an error the field still searches on Enter.
        () => {},
      );
    }, DEBOUNCE_MS);
  }

  const items = open && found ? found.items : [];
  const expanded = open && !!found;
  // The last option runs the full search.
  const count = items.length + 1;
  const optionId = (i: number) => `${listId}-${i}`;

  function submit() {
    close();
    if (q.trim()) navigate(searchHref(q, path === "/search" ? (query.get("type") ?? "all") : "all"));
    else if (!big) navigate("/search");
  }

  function choose(i: number) {
    const hit = items[i];
    if (!hit) return submit();
    close();
    navigate(hitHref(hit));
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!found) return;
      e.preventDefault();
      if (!open) {
        setOpen(true);
        setActive(e.key === "ArrowDown" ? 0 : count - 1);
        return;
      }
      setActive((a) => (e.key === "ArrowDown" ? (a + 1 >= count ? -1 : a + 1) : a <= -1 ? count - 1 : a - 1));
    } else if (e.key === "Enter" && expanded && active >= 0) {
      e.preventDefault();
      choose(active);
    } else if (e.key === "Escape" && expanded) {
      e.preventDefault();
      close();
    }
  }

  return (
    <form
      role="search"
      class={big ? "search-box search-box-big" : "search-box"}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onFocusOut={(e) => {
        // Focus leaving the form (not moving inside it) closes the list.
        if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) close();
      }}
    >
      <label class="visually-hidden" for={id}>
        {m.search.label}
      </label>
      <div class="search-field">
        <input
          id={id}
          type="search"
          name="q"
          value={q}
          maxLength={100}
          placeholder={m.search.placeholder}
          autoFocus={autoFocus}
          enterKeyHint="search"
          autoComplete="off"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
          onInput={(e) => typed(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <ul id={listId} role="listbox" aria-label={m.search.suggestions} class="search-suggestions" hidden={!expanded} data-testid="search-suggestions">
          {items.map((hit, i) => (
            <li
              key={`${hit.kind}:${hit.id}`}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              class={i === active ? "suggest suggest-active" : "suggest"}
              data-testid="search-suggestion"
              // Pressing keeps the focus in the field (a blur would close the list before the click).
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(i)}
            >
              <Suggestion hit={hit} />
            </li>
          ))}
          {found && (
            <li
              id={optionId(items.length)}
              role="option"
              aria-selected={active === items.length}
              class={active === items.length ? "suggest suggest-all suggest-active" : "suggest suggest-all"}
              data-testid="search-suggestion-all"
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(items.length)}
            >
              {items.length ? m.search.seeAll(q.trim()) : m.search.noSuggestions(found.for)}
            </li>
          )}
        </ul>
      </div>
      <button type="submit" class="search-submit" aria-label={m.search.submit} title={m.search.submit}>
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2.2" />
          <path d="M15.5 15.5 21 21" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" />
        </svg>
      </button>
      <span class="visually-hidden" role="status" aria-live="polite">
        {expanded ? m.search.suggestionCount(items.length) : ""}
      </span>
    </form>
  );
}
