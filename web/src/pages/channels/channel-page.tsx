import { useEffect, useRef, useState } from "preact/hooks";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import type { Channel, ChannelCard, ChannelNow } from "../../../../src/shared/contracts/channels.ts";
import { api } from "../../api/endpoints.ts";
import { LanguageSwitch } from "../../components/header.tsx";
import { LIVE_HLS_CONFIG } from "../../components/hls-config.ts";
import { HlsVideo } from "../../components/hls-video.tsx";
import { ErrorBox, Spinner, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link, navigate } from "../../router.tsx";
import { useSession } from "../../session.tsx";
import { BuySheet } from "../show/buy-sheet.tsx";
import { MuteToggle } from "../show/mute-toggle.tsx";
import { ProductCard } from "../show/product-card.tsx";

/** The card of the schedule at program date `pdt` (epoch ms): the loop position is `pdt − epoch` modulo the loop. */
export function channelCardAt(channel: Pick<Channel, "epoch" | "loopMs" | "cards">, pdt: number): ChannelCard | null {
  if (channel.loopMs <= 0) return null;
  const o = (((pdt - channel.epoch) % channel.loopMs) + channel.loopMs) % channel.loopMs;
  return channel.cards.find((c) => c.startMs <= o && o < c.endMs) ?? null;
}

/**
 * A 24-hour channel on a phone: its live stream full height, the product card of what is on screen
 * (found from the frame's EXT-X-PROGRAM-DATE-TIME in the channel's schedule, so the card changes with
 * the picture, not with the server's clock), and — while one of the merchant's shows has the channel —
 * that live show instead, with a link to its room. Server-sent events say when that changes.
 */
export function ChannelPage({ channelId }: { channelId: string }) {
  const { m } = useI18n();
  const { user } = useSession();
  const [channel, setChannel] = useState<Channel | null>(null);
  const [now, setNow] = useState<ChannelNow | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [muted, setMuted] = useState(true);
  const [playing, setPlaying] = useState(false);
  const [landscape, setLandscape] = useState(false);
  const [card, setCard] = useState<ChannelCard | null>(null);
  const [product, setProduct] = useState<Product | null>(null);
  const [sheet, setSheet] = useState<Product | null>(null);
  const video = useRef<HTMLVideoElement | null>(null);
  const cardKey = useRef<string>("");
  const channelRef = useRef<Channel | null>(null);
  channelRef.current = channel;
  useTitle(channel?.name ?? m.channels.title);

  const load = async () => {
    try {
      const [c, n] = await Promise.all([api.channels.get(channelId), api.channels.now(channelId)]);
      setChannel(c);
      setNow(n);
      setError(null);
      // Until the first frame says otherwise, the server's idea of the card.
      if (!cardKey.current && n.card) {
        cardKey.current = `${n.card.item}:${n.card.startMs}`;
        setCard(n.card);
      }
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    void load();
    const es = new EventSource(api.channels.eventsUrl(channelId));
    es.addEventListener("channel.changed", () => void load());
    return () => es.close();
  }, [channelId]);

  // The card on screen follows the frame's program date.
  const onFrame = (pdt: number | null) => {
    const c = channelRef.current;
    if (!c || pdt === null) return;
    const next = channelCardAt(c, pdt);
    const key = next ? `${next.item}:${next.startMs}` : "none";
    if (key === cardKey.current) return;
    cardKey.current = key;
    setCard(next);
  };

  useEffect(() => {
    let cancelled = false;
    const id = card?.product?.id;
    if (!id) {
      setProduct(null);
      return;
    }
    api.products
      .get(id)
      .then((p) => !cancelled && setProduct(p))
      .catch(() => !cancelled && setProduct(null));
    return () => {
      cancelled = true;
    };
  }, [card?.product?.id]);

  if (error && !channel) return <section class="page narrow"><ErrorBox error={error} onRetry={() => void load()} /></section>;
  if (!channel || !now) return <Spinner />;

  const live = now.state === "live" ? now.live : null;
  const itemTitle = card ? (channel.items[card.item]?.title ?? "") : (now.item?.title ?? "");
  const src = live ? live.playbackUrl : channel.playlistUrl;

  return (
    <div class="player-page channel-page" data-testid="channel-page" data-state={now.state} data-item={card?.item ?? ""}>
      <div class="player" data-status={live ? "live" : "channel"}>
        <div class="player-media">
          {src && (
            <HlsVideo
              key={src}
              src={src}
              hlsConfig={LIVE_HLS_CONFIG}
              muted={muted}
              class={`player-video ${landscape ? "landscape" : ""}`}
              onLoadedMetadata={(e) => setLandscape(e.currentTarget.videoWidth > e.currentTarget.videoHeight)}
              onResize={(e) => setLandscape(e.currentTarget.videoWidth > e.currentTarget.videoHeight)}
              data-testid={live ? "channel-live-video" : "channel-video"}
              aria-label={live ? m.channels.liveTakeover(live.title) : `${channel.name}: ${itemTitle}`}
              videoRef={(v) => (video.current = v)}
              onPlaying={() => setPlaying(true)}
              onFrame={live ? undefined : onFrame}
              poster={channel.coverUrl ?? undefined}
            />
          )}
          <div class="player-shade" aria-hidden="true" />
        </div>

        <div class="player-top">
          <Link class="icon-btn back" href={`/m/${channel.merchantId}`} aria-label={m.player.back}>
            ‹
          </Link>
          <div class="player-title">
            <strong>{channel.name}</strong>
            <span data-testid="channel-now-title">{live ? live.title : itemTitle}</span>
          </div>
          {live ? (
            <span class="badge badge-live" data-testid="channel-badge">
              {m.channels.liveNow}
            </span>
          ) : (
            <span class="badge channel-badge" data-testid="channel-badge">
              ● {m.channels.badge}
            </span>
          )}
          <LanguageSwitch compact />
        </div>

        {now.state === "off" && (
          <div class="player-status" role="status">
            <p>{m.channels.off}</p>
          </div>
        )}
        {src && !playing && (
          <div class="player-status player-status-soft" aria-hidden="true">
            <Spinner />
          </div>
        )}
        {src && <MuteToggle muted={muted} setMuted={setMuted} video={video} />}

        <div class="player-bottom" aria-live="polite">
          {live ? (
            <div class="channel-takeover" data-testid="channel-takeover">
              <p>
                <span class="dot-live" aria-hidden="true" /> {m.channels.liveTakeover(live.title)}
              </p>
              <Link class="btn btn-primary" href={`/shows/${live.showId}`}>
                {m.channels.openShow}
              </Link>
            </div>
          ) : (
            product &&
            card && (
              <div class="channel-card" data-testid="channel-card" data-product-id={product.id}>
                <ProductCard key={product.id} product={product} showId={card.showId ?? undefined} onOpen={() => (card.showId ? setSheet(product) : navigate(`/products/${product.id}`))} />
              </div>
            )
          )}
        </div>

        {sheet && card?.showId && <BuySheet product={sheet} showId={card.showId} signedIn={!!user} onClose={() => setSheet(null)} onStale={() => void api.products.get(sheet.id).then(setSheet)} />}
      </div>
    </div>
  );
}
