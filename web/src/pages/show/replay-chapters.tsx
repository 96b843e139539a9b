import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import type { ShowcaseEntry } from "../../../../src/shared/contracts/shows.ts";
import { useI18n } from "../../i18n/index.tsx";

/** A "jump to product" chapter: a showcase of the timeline (`index` in it) and where the replay reaches it. */
export interface Chapter {
  index: number;
  offsetMs: number;
  product: Product;
}

/** A jump lands this long before the showcase, so the viewer sees the host bring the product up. */
export const CHAPTER_LEAD_S = 1;

/** The chapters of a replay: every showcase of a product of the show whose place in the replay is known, in order. */
export function chaptersOf(timeline: readonly ShowcaseEntry[], products: readonly Product[]): Chapter[] {
  const out: Chapter[] = [];
  timeline.forEach((e, index) => {
    const product = e.productId ? products.find((p) => p.id === e.productId) : undefined;
    if (product && e.offsetMs !== undefined) out.push({ index, offsetMs: e.offsetMs, product });
  });
  return out;
}

/** The chapters as a row of buttons (thumbnail, title, time); the one on screen now is marked. */
export function ChapterList({ chapters, current, clock, onJump }: { chapters: Chapter[]; current: number; clock: (seconds: number) => string; onJump(c: Chapter): void }) {
  const { m } = useI18n();
  if (chapters.length === 0) return null;
  return (
    <nav class="replay-chapters" aria-label={m.replay.chapters} data-testid="replay-chapters">
      <ol>
        {chapters.map((c) => {
          const at = clock(c.offsetMs / 1000);
          const on = c.index === current;
          return (
            <li key={c.index}>
              <button
                type="button"
                class={`chapter ${on ? "chapter-current" : ""}`}
                data-testid="replay-chapter"
                data-product-id={c.product.id}
                aria-current={on ? "true" : undefined}
                aria-label={m.replay.jumpTo(c.product.title, at)}
                onClick={() => onJump(c)}
              >
                {c.product.images[0] ? <img src={c.product.images[0]} alt="" width={32} height={32} /> : <span class="chapter-noimg" aria-hidden="true" />}
                <span class="chapter-title">{c.product.title}</span>
                <span class="chapter-time">{at}</span>
              </button>
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** The chapters' marks on the seek bar (decorative: the list above is what keyboards and screen readers use). */
export function ChapterMarks({ chapters, current, durationS }: { chapters: Chapter[]; current: number; durationS: number }) {
  if (!durationS || chapters.length === 0) return null;
  return (
    <span class="replay-marks" aria-hidden="true">
      {chapters.map((c) => (
        <span key={c.index} class={`replay-mark ${c.index === current ? "replay-mark-current" : ""}`} data-testid="replay-mark" style={{ "--p": String(Math.min(1, c.offsetMs / 1000 / durationS)) }} />
      ))}
    </span>
  );
}
