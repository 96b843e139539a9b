import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { MuteToggle } from "./mute-toggle.tsx";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import type { Show } from "../../../../src/shared/contracts/shows.ts";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { LanguageSwitch } from "../../components/header.tsx";
import { ShareButton } from "../../components/share-button.tsx";
import { HlsVideo } from "../../components/hls-video.tsx";
import { ErrorBox, Spinner, useTitle } from "../../components/ui.tsx";
import { roomErrorText, useI18n } from "../../i18n/index.tsx";
import { useRoom } from "../../room/use-room.ts";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { EyeIcon } from "../home.tsx";
import { BuySheet } from "./buy-sheet.tsx";
import { BusyChatNote, ChatOverlay, Composer, useChatRestriction } from "./chat.tsx";
import { FlashBanner, FlashCheckoutSheet, useFlashSale } from "./flash-sale.tsx";
import { LikeButton } from "./likes.tsx";
import { ProductCard } from "./product-card.tsx";
import { trackFunnel } from "../../lib/funnel-tracker.ts";
import { ReplayPlayer, useReplayArrival } from "./replay-player.tsx";
import { PlayerMerchant } from "../notifications/merchant-page.tsx";
import { ShowActions } from "../notifications/show-actions.tsx";

/** How long a showcase or flash-sale change may wait for its frame before it is shown anyway (the stream plays ~1 s behind). */
const FRAME_WAIT_MS = 4000;

const NOTE_MS = 4000;
const ERROR_MS = 4000;
const RESTRICTION_CODES = new Set(["muted", "banned", "slow_mode"]);

export function ViewerPage({ showId }: { showId: string }) {
  const { m, fmt } = useI18n();
  const { user } = useSession();
  const [show, setShow] = useState<Show | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [muted, setMuted] = useState(true);
  const [playing, setPlaying] = useState(false);
  // A landscape stream is letterboxed rather than cropped to the phone's shape.
  const [landscape, setLandscape] = useState(false);
  const [sheetProduct, setSheetProduct] = useState<Product | null>(null);
  const video = useRef<HTMLVideoElement | null>(null);
  const cardButton = useRef<HTMLButtonElement | null>(null);

  const load = useCallback(async () => {
    try {
      const s = await api.shows.get(showId);
      setShow(s);
      setLoadError(null);
      return s;
    } catch (err) {
      setLoadError(err);
      return null;
    }
  }, [showId]);
  useEffect(() => void load(), [load]);

  const room = useRoom(showId, { waitForFrames: true });
  useTitle(show?.title);
  const { state } = room;
  const status = state.status ?? show?.status ?? null;
  const flash = useFlashSale(room, user, status === "ended");
  const restriction = useChatRestriction(state, !!state.you?.isHost);

  // A showcase or a flash-sale change waits for the video to reach the frame it happened on
  // (room.frameShown). Without a playing video, or a clock the player can read, it is shown after a few
  // seconds all the same.
  const waitingAt = state.waiting[0]?.at;
  const playingVideo = status === "live" && !!show?.playbackUrl;
  useEffect(() => {
    if (waitingAt === undefined) return;
    const t = setTimeout(room.releaseWaiting, playingVideo ? FRAME_WAIT_MS : 0);
    return () => clearTimeout(t);
  }, [waitingAt, playingVideo, room.releaseWaiting]);

  // Going live: the playlist URL arrives with the show, which may need a moment to be published.
  useEffect(() => {
    if (status !== "live" || !show || show.playbackUrl) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      const s = await load();
      if (!stop && (!s || !s.playbackUrl)) timer = setTimeout(poll, 2000);
    };
    timer = setTimeout(poll, 500);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [status, show?.playbackUrl]);
  const replay = useReplayArrival(status, show, load);

  useEffect(() => {
    if (status === "ended") setPlaying(false);
  }, [status]);

  // Order notes and room errors disappear on their own.
  useEffect(() => {
    const first = state.notes[0];
    if (!first) return;
    const t = setTimeout(() => room.dismissNote(first.key), NOTE_MS);
    return () => clearTimeout(t);
  }, [state.notes]);
  useEffect(() => {
    if (!state.error) return;
    const t = setTimeout(room.dismissError, ERROR_MS);
    return () => clearTimeout(t);
  }, [state.error]);

  const showcased: Product | null = state.ready ? state.showcased : (show?.products.find((p) => p.id === show.showcasedProductId) ?? null);
  const productTitles = useMemo(() => new Map((show?.products ?? []).map((p) => [p.id, p.title])), [show]);

  const openSheet = async (p: Product) => {
    setSheetProduct(p);
    // Stock moves fast during a show: read it fresh for the sheet.
    const s = await load();
    const fresh = s?.products.find((x) => x.id === p.id);
    if (fresh) setSheetProduct((cur) => (cur && cur.id === fresh.id ? fresh : cur));
  };
  const closeSheet = useCallback(() => {
    setSheetProduct(null);
    setTimeout(() => cardButton.current?.focus(), 0);
  }, []);

  if (loadError && !show) {
    return (
      <div class="player-page">
        <div class="player player-message">
          <Link class="icon-btn back" href="/" aria-label={m.player.back}>
            ‹
          </Link>
          {isApiError(loadError) && loadError.status === 404 ? <p>{m.player.notFound}</p> : <ErrorBox error={loadError} onRetry={() => void load()} />}
        </div>
      </div>
    );
  }
  if (!show) {
    return (
      <div class="player-page">
        <div class="player player-message">
          <Spinner />
        </div>
      </div>
    );
  }

  if (status === "ended" && show.replayUrl) return <ReplayPlayer show={show} reload={load} autoStart={!replay.endedHere} />;

  const canChat = !!user && (state.you?.canChat ?? true);
  const connected = state.connection === "open";
  const live = status === "live" && !!show.playbackUrl;

  return (
    <div class="player-page">
      <div class="player" data-status={status ?? "unknown"}>
        <div class="player-media">
          {live ? (
            <HlsVideo
              src={show.playbackUrl}
              muted={muted}
              class={`player-video ${landscape ? "landscape" : ""}`}
              onLoadedMetadata={(e) => setLandscape(e.currentTarget.videoWidth > e.currentTarget.videoHeight)}
              data-testid="player-video"
              aria-label={m.player.videoLabel(show.title)}
              videoRef={(v) => (video.current = v)}
              onPlaying={() => setPlaying(true)}
              onFrame={room.frameShown}
              poster={show.coverUrl ?? undefined}
            />
          ) : (
            show.coverUrl && <img class="player-poster" src={show.coverUrl} alt="" />
          )}
          <div class="player-shade" aria-hidden="true" />
        </div>

        <div class="player-top">
          <Link class="icon-btn back" href="/" aria-label={m.player.back}>
            ‹
          </Link>
          <div class="player-title">
            <strong>{show.hostName}</strong>
            <span>{show.title}</span>
          </div>
          {status === "live" && <span class="badge badge-live">{m.player.live}</span>}
          <span class="badge badge-viewers" data-testid="viewer-count" aria-label={m.player.viewers(state.ready ? state.viewers : show.viewerCount)}>
            <EyeIcon /> {fmt.compact(state.ready ? state.viewers : show.viewerCount)}
          </span>
          <ShareButton kind="show" id={show.id} title={show.title} />
          <LanguageSwitch compact />
        </div>

        {state.connection === "reconnecting" && (
          <p class="conn-banner" role="status">
            {m.player.reconnecting}
          </p>
        )}

        {status === "scheduled" && (
          <div class="player-status" role="status">
            <p class="player-status-big">{m.player.startsAt(fmt.when(show.scheduledAt))}</p>
            <p>{m.player.notStarted}</p>
            <PlayerMerchant merchantId={show.merchantId} merchantName={show.merchantName} />
            <ShowActions show={{ id: show.id, status }} dark />
          </div>
        )}
        {status === "ended" && (
          <div class="player-status" role="status">
            <p class="player-status-big">{m.player.ended}</p>
            <Link class="btn btn-small" href="/">
              {m.player.endedMore}
            </Link>
          </div>
        )}
        {status === "live" && !playing && (
          <div class="player-status player-status-soft" aria-hidden="true">
            <Spinner label={m.player.waitingForVideo} />
          </div>
        )}

        {live && <MuteToggle muted={muted} setMuted={setMuted} video={video} />}

        <div class="player-side">
          <LikeButton count={state.likes || show.likeCount} bursts={state.likeBursts} onLike={room.like} />
        </div>

        <div class={`player-bottom ${flash ? "has-flash" : ""}`}>
          <div class="toasts" aria-live="polite">
            {state.notes.map((n) => (
              <p key={n.key} class="toast toast-note">
                🛍️ {m.player.someoneBought(n.note.productTitle, n.note.quantity)}
              </p>
            ))}
            {/* mutes, bans and slow mode are the composer's to say, for as long as they last */}
            {state.error && !RESTRICTION_CODES.has(state.error.code) && (
              <p class="toast toast-error" role="alert">
                {roomErrorText(m, state.error.code, state.error.message)}
              </p>
            )}
          </div>
          <BusyChatNote sampling={state.chatSampling} />
          <ChatOverlay chat={state.chat} questions={state.questions} you={state.you} productTitles={productTitles} />
          {flash && <FlashBanner c={flash} showId={showId} />}
          {showcased && status !== "ended" && <ProductCard product={showcased} showId={showId} framePdt={state.showcasedAtFrame} onOpen={() => (trackFunnel({ kind: "card.tapped", showId, productId: showcased.id }), void openSheet(showcased))} buttonRef={(b) => (cardButton.current = b)} />}
          {user === null ? (
            <Link class="btn btn-primary btn-block sign-in-inline" href={signInHref(`/shows/${showId}`)} data-testid="sign-in-to-chat">
              {m.player.signInToChat}
            </Link>
          ) : status === "ended" ? null : (
            <Composer
              canChat={canChat}
              connected={connected}
              askAvailable
              onSend={room.sendChat}
              onAsk={(text) => room.ask(text, showcased?.id ?? null)}
              restriction={restriction}
            />
          )}
        </div>

        {flash?.sheetOpen && !sheetProduct && <FlashCheckoutSheet key={flash.sale.id} c={flash} />}
        {sheetProduct && <BuySheet product={sheetProduct} showId={showId} signedIn={!!user} onClose={closeSheet} onStale={() => void openSheet(sheetProduct)} />}
      </div>
    </div>
  );
}
