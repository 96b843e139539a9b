import { useI18n } from "../../i18n/index.tsx";

/**
 * The player's sound button: players start muted (browsers only autoplay muted video), so a muted
 * player offers "Tap to unmute" (which also resumes playback the browser may have paused), an
 * unmuted one a small mute button.
 */
export function MuteToggle({ muted, setMuted, video }: { muted: boolean; setMuted(muted: boolean): void; video: { current: HTMLVideoElement | null } }) {
  const { m } = useI18n();
  if (!muted)
    return (
      <button type="button" class="round-btn mute-btn" aria-label={m.player.mute} onClick={() => setMuted(true)}>
        🔊
      </button>
    );
  return (
    <button
      type="button"
      class="unmute"
      onClick={() => {
        setMuted(false);
        const v = video.current;
        if (v) {
          v.muted = false;
          void v.play().catch(() => undefined);
        }
      }}
    >
      🔇 {m.player.unmute}
    </button>
  );
}
