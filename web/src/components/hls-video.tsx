import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type Hls from "hls.js";
import { LIVE_HLS_CONFIG, REPLAY_HLS_CONFIG } from "./hls-config.ts";
import { LATENCY_TRIM_INTERVAL_MS, latencyTrim } from "./latency-trim.ts";

type VideoProps = Omit<JSX.VideoHTMLAttributes<HTMLVideoElement>, "src" | "ref" | "muted"> & {
  src: string | null;
  muted: boolean;
  onPlaying?: () => void;
  videoRef?: (v: HTMLVideoElement | null) => void;
  /**
   * Every presented frame's instant on the stream's clock (EXT-X-PROGRAM-DATE-TIME, epoch ms), or
   * null when the player has none. Frame-exact where requestVideoFrameCallback exists (Chromium,
   * Safari), else at each timeupdate.
   */
  onFrame?: (pdt: number | null) => void;
  /** hls.js settings; default: the live, low-latency ones */
  hlsConfig?: typeof LIVE_HLS_CONFIG | typeof REPLAY_HLS_CONFIG;
  /** false: load (buffer) but stay paused, e.g. the next item of a feed; default true */
  autoPlay?: boolean;
};

type FrameMeta = { mediaTime: number };
type FrameVideo = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: FrameMeta) => void) => number;
  cancelVideoFrameCallback?: (id: number) => void;
  getStartDate?: () => Date;
};

/**
 * (Low-Latency) HLS playback: hls.js where Media Source Extensions exist, the browser's own HLS
 * elsewhere (Safari on iPhone, which speaks LL-HLS natively). Always starts muted so that autoplay is allowed; recovers from network and
 * media errors instead of giving up, since a live playlist can briefly 404 while a stream starts.
 */
export function HlsVideo({ src, muted, onPlaying, videoRef, onFrame, hlsConfig = LIVE_HLS_CONFIG, autoPlay = true, ...rest }: VideoProps) {
  const ref = useRef<HTMLVideoElement>(null);
  const autoPlayRef = useRef(autoPlay);
  autoPlayRef.current = autoPlay;
  const hlsRef = useRef<Hls | null>(null);
  const onFrameRef = useRef(onFrame);
  onFrameRef.current = onFrame;

  // The presented frame's program date: hls.js maps the playhead through the playlist's
  // PROGRAM-DATE-TIME; Safari's own player gives the stream's start date.
  useEffect(() => {
    const video = ref.current as FrameVideo | null;
    if (!video) return;
    const pdtOf = (mediaTime: number): number | null => {
      const playing = hlsRef.current?.playingDate;
      if (playing) return playing.getTime() + (mediaTime - video.currentTime) * 1000;
      const start = video.getStartDate?.().getTime();
      return start !== undefined && Number.isFinite(start) ? start + mediaTime * 1000 : null;
    };
    if (video.requestVideoFrameCallback) {
      let id = 0;
      const tick = (_now: number, meta: FrameMeta) => {
        onFrameRef.current?.(pdtOf(meta.mediaTime));
        id = video.requestVideoFrameCallback!(tick);
      };
      id = video.requestVideoFrameCallback(tick);
      return () => video.cancelVideoFrameCallback?.(id);
    }
    const onTime = () => onFrameRef.current?.(pdtOf(video.currentTime));
    video.addEventListener("timeupdate", onTime);
    return () => video.removeEventListener("timeupdate", onTime);
  }, []);

  useEffect(() => {
    const video = ref.current;
    if (!video || !src) return;
    let hls: Hls | null = null;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let trim: ReturnType<typeof setInterval> | null = null;
    const play = () => {
      if (autoPlayRef.current) void video.play().catch(() => undefined);
    };

    const useNative = () => {
      video.src = src;
      video.addEventListener("loadedmetadata", play, { once: true });
      video.load();
    };

    // hls.js is loaded on demand: pages without video do not pay for it.
    import("hls.js/light")
      .then(({ default: HlsCtor }) => {
        if (cancelled) return;
        if (!HlsCtor.isSupported()) {
          if (video.canPlayType("application/vnd.apple.mpegurl")) useNative();
          return;
        }
        const h = new HlsCtor({ ...hlsConfig });
        hls = h;
        hlsRef.current = h;
        h.on(HlsCtor.Events.MANIFEST_PARSED, play);
        h.on(HlsCtor.Events.ERROR, (_e, data) => {
          if (!data.fatal) return;
          if (data.type === HlsCtor.ErrorTypes.MEDIA_ERROR) h.recoverMediaError();
          else {
            // Network trouble or a playlist that is not there yet: start again in a moment.
            if (retry) clearTimeout(retry);
            retry = setTimeout(() => {
              if (cancelled) return;
              h.loadSource(src);
              h.startLoad();
            }, 2000);
          }
        });
        h.loadSource(src);
        h.attachMedia(video);
        // Live streams: keep the playhead at hls.js's target distance (see latency-trim.ts).
        if (hlsConfig.lowLatencyMode) {
          trim = setInterval(() => {
            if (video.paused || video.seeking || !h.latestLevelDetails?.live) return;
            const b = video.buffered;
            const jump = latencyTrim(h.latency, h.targetLatency, video.currentTime, b.length ? b.end(b.length - 1) : null);
            if (jump > 0) video.currentTime += jump;
          }, LATENCY_TRIM_INTERVAL_MS);
        }
      })
      .catch(() => {
        if (!cancelled && video.canPlayType("application/vnd.apple.mpegurl")) useNative();
      });

    return () => {
      cancelled = true;
      if (retry) clearTimeout(retry);
      if (trim) clearInterval(trim);
      hls?.destroy();
      hlsRef.current = null;
      video.removeAttribute("src");
      video.load();
    };
  }, [src]);

  useEffect(() => {
    if (ref.current) ref.current.muted = muted;
  }, [muted]);

  // Started or paused from outside (a feed plays only the item on screen); a live stream catches up by itself (latency trim).
  const first = useRef(true);
  useEffect(() => {
    const video = ref.current;
    if (first.current || !video) {
      first.current = false;
      return;
    }
    if (autoPlay) void video.play().catch(() => undefined);
    else video.pause();
  }, [autoPlay]);

  return (
    <video
      ref={(v) => {
        ref.current = v;
        videoRef?.(v);
      }}
      muted={muted}
      autoplay={autoPlay}
      playsInline
      onPlaying={onPlaying}
      {...rest}
    />
  );
}
