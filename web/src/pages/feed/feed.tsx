import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { FeedItem, FeedProduct } from "../../../../src/shared/contracts/feed.ts";
import { api } from "../../api/endpoints.ts";
import { HlsVideo } from "../../components/hls-video.tsx";
import { REPLAY_HLS_CONFIG } from "../../components/hls-config.ts";
import { ErrorBox, Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { ShowActions } from "../notifications/show-actions.tsx";
import { EyeIcon } from "../home.tsx";
import { Stars } from "../reviews/stars.tsx";
import "../reviews/reviews.css";
import "./feed.css";

const PAGE = 8;
/** Load the next page when the viewer is this close to the end. */
const PREFETCH_BEFORE_END = 3;

const keyOf = (i: FeedItem) => (i.kind === "video" ? `v:${i.video.id}` : i.kind === "review" ? `r:${i.review.id}` : `s:${i.show.id}`);
const hrefOf = (i: FeedItem) => (i.kind === "video" ? `/videos/${i.video.id}` : i.kind === "review" ? `/products/${i.review.product.id}` : `/shows/${i.show.id}`);

/**
 * The home feed: one item per screen, swiped (scroll snap) or moved with the keyboard. Only the item on
 * screen plays; the next one's player is created in advance and buffers paused, so a swipe lands on
 * moving video; players further away are destroyed (at most two alive).
 */
export function Feed() {
  const { m } = useI18n();
  const [items, setItems] = useState<FeedItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [active, setActive] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const loadingRef = useRef(false);

  const load = useCallback(
    async (from: string | null) => {
      if (loadingRef.current) return;
      loadingRef.current = true;
      setLoading(true);
      setError(null);
      try {
        const page = await api.feed(from, PAGE);
        setItems((prev) => {
          const seen = new Set(prev.map(keyOf));
          return [...prev, ...page.items.filter((i) => !seen.has(keyOf(i)))];
        });
        setCursor(page.nextCursor);
        setDone(!page.nextCursor);
      } catch (err) {
        setError(err);
      } finally {
        loadingRef.current = false;
        setLoading(false);
      }
    },
    [],
  );

  useEffect(() => void load(null), [load]);

  // Infinite loading: a page ahead of the viewer.
  useEffect(() => {
    if (!done && cursor && !error && active >= items.length - PREFETCH_BEFORE_END) void load(cursor);
  }, [active, items.length, cursor, done, error, load]);

  // The item on screen: the one most of the feed's viewport shows.
  useEffect(() => {
    const root = scroller.current;
    if (!root) return;
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) if (e.isIntersecting && e.intersectionRatio >= 0.6) setActive(Number((e.target as HTMLElement).dataset.index));
      },
      { root, threshold: [0.6] },
    );
    root.querySelectorAll<HTMLElement>(".feed-item").forEach((el) => io.observe(el));
    return () => io.disconnect();
  }, [items.length]);

  // Fills the screen below the header, whatever its height.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const fit = () => el.style.setProperty("--feed-top", `${Math.max(0, el.getBoundingClientRect().top + window.scrollY)}px`);
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, [items.length > 0]);

  const go = (index: number) => {
    const root = scroller.current;
    const target = root?.querySelector<HTMLElement>(`.feed-item[data-index="${index}"]`);
    if (!target) return;
    const reduce = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
    setActive(index);
  };

  const onKey = (e: KeyboardEvent) => {
    const t = e.target as HTMLElement;
    if (t.closest("input, textarea, select, [contenteditable]") || e.altKey || e.ctrlKey || e.metaKey) return;
    const forward = e.key === "ArrowDown" || e.key === "PageDown" || e.key === "j";
    const back = e.key === "ArrowUp" || e.key === "PageUp" || e.key === "k";
    if (!forward && !back) return;
    e.preventDefault();
    const current = Number((t.closest(".feed-item") as HTMLElement | null)?.dataset.index ?? active);
    go(Math.max(0, Math.min(items.length - 1, current + (forward ? 1 : -1))));
  };

  if (!items.length) {
    if (error) return <ErrorBox error={error} onRetry={() => void load(null)} />;
    if (loading || !done) return <Spinner />;
    return <p class="empty feed-empty">{m.home.empty}</p>;
  }
  const total = done ? items.length : null;
  return (
    <div class="feed" ref={scroller} role="feed" aria-busy={loading} aria-label={m.home.feedLabel} onKeyDown={onKey} data-testid="feed">
      <p class="visually-hidden">{m.home.keyboardHint}</p>
      {items.map((item, i) =>
        item.kind === "review" ? (
          <FeedReviewCard key={keyOf(item)} item={item} index={i} total={total} active={i === active} onNext={i + 1 < items.length ? () => go(i + 1) : undefined} />
        ) : (
          <FeedCard key={keyOf(item)} item={item} index={i} total={total} active={i === active} player={i === active || i === active + 1} onNext={i + 1 < items.length ? () => go(i + 1) : undefined} />
        ),
      )}
      {error ? <ErrorBox error={error} onRetry={() => void load(cursor)} /> : loading ? <p class="feed-more">{m.home.loadingMore}</p> : done ? <p class="feed-more">{m.home.end}</p> : null}
    </div>
  );
}

function FeedCard({ item, index, total, active, player, onNext }: { item: Exclude<FeedItem, { kind: "review" }>; index: number; total: number | null; active: boolean; player: boolean; onNext?: () => void }) {
  const { m, fmt } = useI18n();
  const headingId = `feed-item-${index}`;
  const href = hrefOf(item);
  const title = item.kind === "video" ? item.video.title : item.show.title;
  const poster = item.kind === "video" ? item.video.posterUrl : item.show.coverUrl;
  const src = item.kind === "live" ? item.playbackUrl : item.kind === "replay" ? item.replayUrl : item.kind === "video" ? item.video.playbackUrl : null;
  const creator = item.kind === "video" ? item.video.creatorName : item.creatorName;
  const handle = item.kind === "video" ? item.video.creatorHandle : item.show.hostHandle;
  const merchant = item.kind === "video" ? item.video.merchantName : item.show.merchantName;
  const badge = { live: m.home.live, upcoming: m.home.upcomingBadge, replay: m.home.replay, video: m.home.video }[item.kind];
  return (
    <article
      class={`feed-item feed-${item.kind}`}
      data-index={index}
      data-kind={item.kind}
      data-active={active ? "true" : undefined}
      data-testid="feed-item"
      tabIndex={-1}
      aria-labelledby={headingId}
      aria-posinset={index + 1}
      aria-setsize={total ?? -1}
    >
      <div class="feed-media" aria-hidden="true">
        {poster ? <img src={poster} alt="" loading={index < 2 ? "eager" : "lazy"} /> : <div class="cover-fallback" />}
        {src && player ? (
          <HlsVideo src={src} muted autoPlay={active} class="feed-video" data-testid="feed-video" hlsConfig={item.kind === "live" ? undefined : REPLAY_HLS_CONFIG} loop={item.kind !== "live"} preload="auto" tabIndex={-1} />
        ) : null}
      </div>
      <div class="feed-top">
        <span class={`badge ${item.kind === "live" ? "badge-live" : "badge-muted"}`}>{badge}</span>
        {item.kind === "live" ? (
          <span class="badge badge-viewers" aria-label={m.home.watching(item.show.viewerCount)} data-testid="feed-viewers">
            <EyeIcon /> {fmt.compact(item.show.viewerCount)}
          </span>
        ) : null}
        {item.followed ? <span class="badge badge-muted">{m.home.following}</span> : null}
        <span class="feed-pos" aria-hidden="true">
          {m.home.position(index + 1, total)}
        </span>
      </div>
      <div class="feed-info">
        <h2 id={headingId} class="feed-title">
          <Link href={href}>{title}</Link>
        </h2>
        <p class="feed-who">
          {handle ? <Link href={`/c/${handle}`}>{creator}</Link> : creator}
          {merchant ? <span> · {merchant}</span> : null}
        </p>
        {item.kind === "upcoming" ? (
          <p class="feed-when">
            <time dateTime={item.show.scheduledAt}>{m.home.startsAt(fmt.when(item.show.scheduledAt))}</time>
          </p>
        ) : null}
        {item.products.length ? <ProductStrip products={item.products} href={href} /> : null}
        <div class="feed-actions">
          {item.kind === "upcoming" ? (
            <ShowActions show={item.show} dark />
          ) : (
            <Link href={href} class="btn btn-primary" data-testid="feed-watch">
              {item.kind === "replay" ? m.home.watchReplay : m.home.watch}
            </Link>
          )}
        </div>
      </div>
      {onNext ? <NextButton onNext={onNext} /> : null}
    </article>
  );
}

/** A buyer's review with photos: the photos fill the card (swiped sideways), stars, excerpt, the product. No video. */
function FeedReviewCard({ item, index, total, active, onNext }: { item: Extract<FeedItem, { kind: "review" }>; index: number; total: number | null; active: boolean; onNext?: () => void }) {
  const { m, fmt } = useI18n();
  const headingId = `feed-item-${index}`;
  const r = item.review;
  const href = hrefOf(item);
  return (
    <article
      class="feed-item feed-review"
      data-index={index}
      data-kind="review"
      data-active={active ? "true" : undefined}
      data-testid="feed-item"
      tabIndex={-1}
      aria-labelledby={headingId}
      aria-posinset={index + 1}
      aria-setsize={total ?? -1}
    >
      <div class="feed-media">
        <div class="reviews-feed-photos" tabIndex={r.photos.length > 1 ? 0 : -1} aria-label={m.reviews.photos}>
          {r.photos.map((src, i) => (
            <img key={src} src={src} alt={m.reviews.photoAlt(r.authorName, i + 1)} loading={index < 2 ? "eager" : "lazy"} />
          ))}
        </div>
      </div>
      <div class="feed-top">
        <span class="badge badge-muted">{m.reviews.feedBadge}</span>
        {item.followed ? <span class="badge badge-muted">{m.home.following}</span> : null}
        <span class="feed-pos" aria-hidden="true">
          {m.home.position(index + 1, total)}
        </span>
      </div>
      {r.photos.length > 1 ? (
        <div class="reviews-feed-dots" aria-hidden="true">
          {r.photos.map((src) => (
            <span key={src} />
          ))}
        </div>
      ) : null}
      <div class="feed-info">
        <h2 id={headingId} class="feed-title">
          <Link href={href}>{r.product.title}</Link>
        </h2>
        <p class="reviews-feed-rating">
          <Stars rating={r.rating} size={18} />
          {r.product.price ? <strong>{fmt.money(r.product.price.amount, r.product.price.currency)}</strong> : null}
        </p>
        <p class="reviews-feed-excerpt" data-testid="feed-review-excerpt">
          “{r.excerpt}”
        </p>
        <p class="feed-who">
          <span class="visually-hidden">{m.reviews.feedBy(r.authorName)}</span>
          <span aria-hidden="true">{r.authorName}</span>
          {r.verifiedBuyer ? (
            <>
              {" "}
              <span class="reviews-verified" data-testid="feed-review-verified">
                {m.reviews.verified}
              </span>
            </>
          ) : null}
        </p>
        <div class="feed-actions">
          <Link href={href} class="btn btn-primary" data-testid="feed-review-product">
            {m.reviews.seeProduct}
          </Link>
        </div>
      </div>
      {onNext ? <NextButton onNext={onNext} /> : null}
    </article>
  );
}

/** The "next item" button on a card (for those who cannot or do not swipe). */
function NextButton({ onNext }: { onNext: () => void }) {
  const { m } = useI18n();
  return (
    <button type="button" class="feed-next" onClick={onNext} aria-label={m.home.next} data-testid="feed-next">
      <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round">
        <path d="M6 9l6 6 6-6" />
      </svg>
    </button>
  );
}

function ProductStrip({ products, href }: { products: FeedProduct[]; href: string }) {
  const { m, fmt } = useI18n();
  return (
    <ul class="feed-products" aria-label={m.home.products}>
      {products.map((p) => (
        <li key={p.id}>
          <Link href={href} class="feed-product" data-testid="feed-product">
            {p.imageUrl ? <img src={p.imageUrl} alt="" loading="lazy" /> : <span class="feed-product-fallback" aria-hidden="true" />}
            <span class="feed-product-text">
              <span class="feed-product-title">{p.title}</span>
              {p.price ? <strong>{fmt.money(p.price.amount, p.price.currency)}</strong> : null}
              {p.rating ? (
                <span class="reviews-strip-rating" data-testid="feed-product-rating">
                  <span aria-hidden="true">★ {m.reviews.average(p.rating.average)} ({fmt.compact(p.rating.count)})</span>
                  <span class="visually-hidden">{m.reviews.summary(p.rating.average, p.rating.count)}</span>
                </span>
              ) : null}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
