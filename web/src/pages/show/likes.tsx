import { useEffect, useRef, useState } from "preact/hooks";
import { useI18n } from "../../i18n/index.tsx";

interface Heart {
  id: number;
  x: number;
  hue: number;
  scale: number;
}

let heartSeq = 0;
const MAX_HEARTS = 24;

export function HeartIcon({ size = 28 }: { size?: number }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true" fill="currentColor">
      <path d="M12 21s-7.5-4.6-10-9.3C.4 8.3 2.4 4 6.4 4c2.3 0 3.9 1.3 5.6 3.3C13.7 5.3 15.3 4 17.6 4c4 0 6 4.3 4.4 7.7C19.5 16.4 12 21 12 21z" />
    </svg>
  );
}

/** The like button with its floating hearts: one per own tap, and a few when others like too. */
export function LikeButton({ count, bursts, onLike }: { count: number; bursts: number; onLike(): void }) {
  const { m, fmt } = useI18n();
  const [hearts, setHearts] = useState<Heart[]>([]);
  const lastBurst = useRef(bursts);

  const spawn = () => {
    const h: Heart = { id: ++heartSeq, x: Math.round(Math.random() * 36 - 18), hue: Math.round(330 + Math.random() * 50) % 360, scale: 0.8 + Math.random() * 0.5 };
    setHearts((hs) => [...hs.slice(-(MAX_HEARTS - 1)), h]);
  };

  useEffect(() => {
    if (bursts !== lastBurst.current) {
      lastBurst.current = bursts;
      spawn();
    }
  }, [bursts]);

  return (
    <div class="like-wrap">
      <div class="hearts" aria-hidden="true">
        {hearts.map((h) => (
          <span
            key={h.id}
            class="heart"
            style={{ "--x": `${h.x}px`, "--s": String(h.scale), color: `hsl(${h.hue} 95% 62%)` }}
            onAnimationEnd={() => setHearts((hs) => hs.filter((x) => x.id !== h.id))}
          >
            <HeartIcon size={26} />
          </span>
        ))}
      </div>
      <button
        type="button"
        class="round-btn like-btn"
        data-testid="like-button"
        aria-label={m.player.like}
        onClick={() => {
          onLike();
          spawn();
        }}
      >
        <HeartIcon />
      </button>
      <span class="like-count" data-testid="like-count" aria-label={m.player.likes(count)}>
        {fmt.compact(count)}
      </span>
    </div>
  );
}
