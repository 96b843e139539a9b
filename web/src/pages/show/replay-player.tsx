import { useEffect, useRef, useState } from "preact/hooks";
import { MuteToggle } from "./mute-toggle.tsx";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { ShowTimeline, type Show, type ShowcaseEntry, type ShowStatus } from "../../../../src/shared/contracts/shows.ts";
import { http } from "../../api/client.ts";
import { LanguageSwitch } from "../../components/header.tsx";
import { ShareButton } from "../../components/share-button.tsx";
import { REPLAY_HLS_CONFIG } from "../../components/hls-config.ts";
import { HlsVideo } from "../../components/hls-video.tsx";
import { Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { showcaseIndexAt, sortedTimeline } from "../../room/showcase-at.ts";
import { Link } from "../../router.tsx";
import { useSession } from "../../session.tsx";
import { BuySheet } from "./buy-sheet.tsx";
import { ProductCard } from "./product-card.tsx";
import { trackFunnel } from "../../lib/funnel-tracker.ts";
import { ReplayChat, useReplayChat } from "./replay-chat.tsx";
import { CHAPTER_LEAD_S, ChapterList, ChapterMarks, chaptersOf, type Chapter } from "./replay-chapters.tsx";

/** A replay is finalized a moment after its show ends: ask for it this often, this many times. */
const REPLAY_POLL_MS = 2000;
const REPLAY_POLL_TRIES = 15;
/** Shows that ended longer ago than this and have no replay will not get one. */
const REPLAY_RECENT_MS = 60_000;
const TIMELINE_TRIES = 3;

/**
 * The show page's part in replays: after a show ends, its replay URL arrives a moment later, so a
 * page that watched it end (or opened it just after) asks for the show again for a little while.
 * `endedHere`: the show ended while this page was watching it live; its replay then waits for a tap
 * rather than starting over by itself.
 */
export function useReplayArrival(status: ShowStatus | null, show: Show | null, load: () => Promise<Show | null>): { endedHere: boolean } {
  const sawLive = useRef(false);
  if (status === "live") sawLive.current = true;
  const endedRecently = !!show?.endedAt && Date.now() - Date.parse(show.endedAt) < REPLAY_RECENT_MS;
  const waiting = status === "ended" && !!show && !show.replayUrl && show.startedAt !== null && (sawLive.current || endedRecently);
  useEffect(() => {
    if (!waiting) return;
    let stop = false;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      const s = await load();
      if (!stop && !s?.replayUrl && ++tries < REPLAY_POLL_TRIES) timer = setTimeout(poll, REPLAY_POLL_MS);
    };
    timer = setTimeout(poll, REPLAY_POLL_MS);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [waiting]);
  return { endedHere: sawLive.current };
}

/** The showcase timeline of a show, in order; empty until it arrives (a few tries, then none). */
function useTimeline(showId: string): ShowcaseEntry[] {
  const [timeline, setTimeline] = useState<ShowcaseEntry[]>([]);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fetchIt = async (attempt: number) => {
      try {
        const t = await http.get(`/api/v1/shows/${encodeURIComponent(showId)}/timeline`, ShowTimeline);
        if (!stop) setTimeline(sortedTimeline(t.items));
      } catch {
        if (!stop && attempt + 1 < TIMELINE_TRIES) timer = setTimeout(() => void fetchIt(attempt + 1), 2000 * (attempt + 1));
      }
    };
    void fetchIt(0);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [showId]);
  return timeline;
}

/** "1:05" or "1:02:05" */
export function clockText(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/**
 * The replay of an ended show: its recording (a VOD playlist) in the same player as live, with
 * seeking, and the product card of the showcase in effect on the frame on screen (the latest one of
 * the show's timeline whose instant the frame's program date has reached), to open and buy as live;
 * the chat as it was at that frame (replay-chat.tsx) and "jump to product" chapters (replay-chapters.tsx).
 */
export function ReplayPlayer({ show, reload, autoStart }: { show: Show; reload: () => Promise<Show | null>; autoStart: boolean }) {
  const { m } = useI18n();
  const { user } = useSession();
  const timeline = useTimeline(show.id);
  const [started, setStarted] = useState(autoStart);
  const [muted, setMuted] = useState(true);
  const [playing, setPlaying] = useState(false);
  const [landscape, setLandscape] = useState(false);
  const [position, setPosition] = useState({ time: 0, duration: 0, paused: true });
  // The showcase in effect, and the program date of the frame it appeared on.
  const [card, setCard] = useState<{ index: number; framePdt: number | null }>({ index: -1, framePdt: null });
  const cardIndex = useRef(-1);
  const [sheetProduct, setSheetProduct] = useState<Product | null>(null);
  const video = useRef<HTMLVideoElement | null>(null);
  const cardButton = useRef<HTMLButtonElement | null>(null);
  const chat = useReplayChat(show.id, position.time * 1000, started);
  const chapters = chaptersOf(timeline, show.products);

  // Called for every presented frame: a render only when the showcase in effect, or the chat, changes.
  const onFrame = (pdt: number | null) => {
    chat.onFrame(pdt);
    const i = showcaseIndexAt(timeline, pdt);
    if (i === cardIndex.current) return;
    cardIndex.current = i;
    setCard({ index: i, framePdt: pdt });
  };

  const entry = card.index >= 0 ? timeline[card.index] : undefined;
  const product = entry?.productId ? (show.products.find((p) => p.id === entry.productId) ?? null) : null;

  const openSheet = async (p: Product) => {
    setSheetProduct(p);
    // Read the stock fresh for the sheet.
    const s = await reload();
    const fresh = s?.products.find((x) => x.id === p.id);
    if (fresh) setSheetProduct((cur) => (cur && cur.id === fresh.id ? fresh : cur));
  };
  const closeSheet = () => {
    setSheetProduct(null);
    setTimeout(() => cardButton.current?.focus(), 0);
  };

  const track = (v: HTMLVideoElement) => setPosition({ time: v.currentTime, duration: Number.isFinite(v.duration) ? v.duration : 0, paused: v.paused });
  /** A chapter: a second before its showcase, playing, so that its card comes up as it did live. */
  const jump = (c: Chapter) => {
    const v = video.current;
    if (!v) return;
    v.currentTime = Math.max(0, c.offsetMs / 1000 - CHAPTER_LEAD_S);
    track(v);
    if (v.paused) void v.play().catch(() => undefined);
  };
  const togglePlay = () => {
    const v = video.current;
    if (!v) return;
    if (v.paused) void v.play().catch(() => undefined);
    else v.pause();
  };

  return (
    <div class="player-page">
      <div class="player" data-status="ended" data-mode="replay">
        <div class="player-media">
          {started ? (
            <HlsVideo
              src={show.replayUrl}
              hlsConfig={REPLAY_HLS_CONFIG}
              muted={muted}
              class={`player-video ${landscape ? "landscape" : ""}`}
              onLoadedMetadata={(e) => {
                setLandscape(e.currentTarget.videoWidth > e.currentTarget.videoHeight);
                track(e.currentTarget);
              }}
              onTimeUpdate={(e) => track(e.currentTarget)}
              onDurationChange={(e) => track(e.currentTarget)}
              onPlay={(e) => track(e.currentTarget)}
              onPause={(e) => track(e.currentTarget)}
              onClick={togglePlay}
              data-testid="replay-video"
              aria-label={m.replay.videoLabel(show.title)}
              videoRef={(v) => (video.current = v)}
              onPlaying={() => setPlaying(true)}
              onFrame={onFrame}
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
          <span class="badge badge-replay">{m.replay.badge}</span>
          <ShareButton kind="show" id={show.id} title={show.title} />
          <LanguageSwitch compact />
        </div>

        {!started && (
          <div class="player-status" role="status">
            <p class="player-status-big">{m.player.ended}</p>
            <button type="button" class="btn btn-primary" data-testid="watch-replay" onClick={() => setStarted(true)}>
              ▶ {m.replay.watch}
            </button>
          </div>
        )}
        {started && !playing && (
          <div class="player-status player-status-soft" aria-hidden="true">
            <Spinner label={m.player.waitingForVideo} />
          </div>
        )}

        {started && <MuteToggle muted={muted} setMuted={setMuted} video={video} />}

        <div class="player-bottom">
          {started && <ReplayChat visible={chat.visible} />}
          {product && <ProductCard key={product.id} product={product} showId={show.id} framePdt={card.framePdt} onOpen={() => (trackFunnel({ kind: "card.tapped", showId: show.id, productId: product.id }), void openSheet(product))} buttonRef={(b) => (cardButton.current = b)} />}
          {started && <ChapterList chapters={chapters} current={card.index} clock={clockText} onJump={jump} />}
          {started && (
            <div class="replay-controls">
              <button type="button" class="round-btn replay-play" data-testid="replay-play" aria-label={position.paused ? m.replay.play : m.replay.pause} onClick={togglePlay}>
                {position.paused ? "▶" : "❚❚"}
              </button>
              <span class="replay-track">
                <ChapterMarks chapters={chapters} current={card.index} durationS={position.duration} />
                <input
                  type="range"
                  class="replay-seek"
                  data-testid="replay-seek"
                  min={0}
                  max={position.duration || 0}
                  step={0.1}
                  value={position.time}
                  aria-label={m.replay.seek}
                  aria-valuetext={m.replay.position(clockText(position.time), clockText(position.duration))}
                  onInput={(e) => {
                    const v = video.current;
                    if (v) v.currentTime = Number(e.currentTarget.value);
                  }}
                />
              </span>
              <span class="replay-time" aria-hidden="true">
                {clockText(position.time)} / {clockText(position.duration)}
              </span>
            </div>
          )}
        </div>

        {sheetProduct && <BuySheet product={sheetProduct} showId={show.id} signedIn={!!user} onClose={closeSheet} onStale={() => void openSheet(sheetProduct)} />}
      </div>
    </div>
  );
}
