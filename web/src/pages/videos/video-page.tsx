import { useEffect, useRef, useState } from "preact/hooks";
import type { ShortVideo } from "../../../../src/shared/contracts/videos.ts";
import { api } from "../../api/endpoints.ts";
import { HlsVideo } from "../../components/hls-video.tsx";
import { REPLAY_HLS_CONFIG } from "../../components/hls-config.ts";
import { ShareButton } from "../../components/share-button.tsx";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import "./videos.css";

/**
 * A short video, phone-first: the vertical player fills the screen (an MP4 for clips, HLS for
 * uploads), with its creator and shop, the tagged products (price, buy on the product's page) and share.
 */
export function VideoPage({ videoId }: { videoId: string }) {
  const { m } = useI18n();
  const video = useAsync(() => api.videos.get(videoId), [videoId]);
  useTitle(video.data?.title ?? m.shortVideos.watch);
  if (video.loading && !video.data) return <Spinner />;
  if (video.error || !video.data)
    return (
      <section class="page narrow">
        <p class="empty">{m.shortVideos.noVideo}</p>
        {video.error && <ErrorBox error={video.error} onRetry={video.reload} />}
      </section>
    );
  return <VideoView v={video.data} />;
}

function VideoView({ v }: { v: ShortVideo }) {
  const { m, fmt } = useI18n();
  const t = m.shortVideos;
  const [muted, setMuted] = useState(true);
  // The player fills the screen below the site header, whatever its height (as the feed does).
  const root = useRef<HTMLElement>(null);
  useEffect(() => {
    const el = root.current;
    if (!el) return;
    const fit = () => el.style.setProperty("--vpage-top", `${Math.max(0, el.getBoundingClientRect().top + window.scrollY)}px`);
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  }, []);
  const common = { class: "vpage-video", poster: v.posterUrl ?? undefined, playsInline: true, loop: true, controls: false, "data-testid": "video-player", "aria-label": v.title } as const;
  return (
    <article class="vpage" data-testid="video-page" ref={root}>
      <div class="vpage-stage">
        {v.playback?.kind === "hls" ? (
          <HlsVideo src={v.playback.url} muted={muted} hlsConfig={REPLAY_HLS_CONFIG} {...common} />
        ) : v.playback ? (
          <video src={v.playback.url} muted={muted} autoPlay {...common} />
        ) : null}
        <div class="vpage-top">
          <button type="button" class="icon-btn vpage-btn" onClick={() => history.length > 1 ? history.back() : (location.href = "/")} aria-label={m.app.goHome}>
            ‹
          </button>
          <div class="vpage-top-actions">
            <button type="button" class="icon-btn vpage-btn" onClick={() => setMuted((x) => !x)} aria-pressed={!muted} aria-label={muted ? t.unmute : t.mute} data-testid="video-mute">
              <SoundIcon on={!muted} />
            </button>
            <ShareButton kind="video" id={v.id} title={v.title} class="icon-btn vpage-btn" />
          </div>
        </div>
        <div class="vpage-info">
          <h1 class="vpage-title">{v.title}</h1>
          {v.caption && <p class="vpage-caption">{v.caption}</p>}
          <p class="vpage-who">
            {v.creator.handle ? <Link href={`/c/${v.creator.handle}`}>{t.by(v.creator.displayName)}</Link> : <span>{t.by(v.creator.displayName)}</span>}
            {" · "}
            <Link href={`/m/${v.merchant.id}`}>{t.shopLink(v.merchant.name)}</Link>
          </p>
          {v.products.length > 0 && (
            <section aria-label={t.productsTitle}>
              <ul class="vpage-products" data-testid="video-products">
                {v.products.map((p) => (
                  <li key={p.id} class="vpage-product" data-testid="video-product">
                    {p.imageUrl ? <img src={p.imageUrl} alt="" /> : <span class="vpage-noimg" aria-hidden="true" />}
                    <span class="vpage-product-text">
                      <span class="vpage-product-title">{p.title}</span>
                      {p.price && <span class="vpage-price">{fmt.money(p.price.amount, p.price.currency)}</span>}
                    </span>
                    <Link class="btn btn-small btn-primary" href={`/products/${p.id}`} aria-label={`${t.buy}: ${p.title}`}>
                      {t.buy}
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </div>
      </div>
    </article>
  );
}

function SoundIcon({ on }: { on: boolean }) {
  return (
    <svg width="20" height="20" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M11 5 6 9H2v6h4l5 4V5z" />
      {on ? <path d="M15.5 8.5a5 5 0 0 1 0 7M19 5a10 10 0 0 1 0 14" /> : <path d="m22 9-6 6M16 9l6 6" />}
    </svg>
  );
}
