import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import type Hls from "hls.js";
import { LIVE_HLS_CONFIG } from "./hls-config.ts";

type VideoProps = Omit<JSX.VideoHTMLAttributes<HTMLVideoElement>, "src" | "ref" | "muted"> & {
  src: string | null;
  muted: boolean;
  onPlaying?: () => void;
  videoRef?: (v: HTMLVideoElement | null) => void;
};

/**
 * (Low-Latency) HLS playback: hls.js where Media Source Extensions exist, the browser's own HLS
 * elsewhere (Safari on iPhone, which speaks LL-HLS natively). Always starts muted so that autoplay is allowed; recovers from network and
 * media errors instead of giving up, since a live playlist can briefly 404 while a stream starts.
 */
export function HlsVideo({ src, muted, onPlaying, videoRef, ...rest }: VideoProps) {
  const ref = useRef<HTMLVideoElement>(null);

  useEffect(() => {
    const video = ref.current;
    if (!video || !src) return;
    let hls: Hls | null = null;
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const play = () => void video.play().catch(() => undefined);

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
        const h = new HlsCtor({ ...LIVE_HLS_CONFIG });
        hls = h;
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
      })
      .catch(() => {
        if (!cancelled && video.canPlayType("application/vnd.apple.mpegurl")) useNative();
      });

    return () => {
      cancelled = true;
      if (retry) clearTimeout(retry);
      hls?.destroy();
      video.removeAttribute("src");
      video.load();
    };
  }, [src]);

  useEffect(() => {
    if (ref.current) ref.current.muted = muted;
  }, [muted]);

  return (
    <video
      ref={(v) => {
        ref.current = v;
        videoRef?.(v);
      }}
      muted={muted}
      autoplay
      playsInline
      onPlaying={onPlaying}
      {...rest}
    />
  );
}
