import { useEffect, useState } from "preact/hooks";
import type { StudioClip } from "../../../../src/shared/contracts/videos.ts";
import { api } from "../../api/endpoints.ts";
import { useI18n } from "../../i18n/index.tsx";

const POLL_MS = 2000;

/** mm:ss (h:mm:ss past an hour) of a place in the replay */
function clockOf(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * After the show: the clip of each showcase, cut from the replay by a media job. Each can be
 * previewed, then published (to the feed) or discarded. Polls while clips are still being cut.
 */
export function ClipsPanel({ showId }: { showId: string }) {
  const { m, errorText } = useI18n();
  const t = m.studio.clips;
  const [clips, setClips] = useState<StudioClip[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    api.videos
      .clips(showId)
      .then((r) => {
        if (!live) return;
        setClips(r.items);
        setError(null);
      })
      .catch((err) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [showId, tick]);

  // Clips still being cut (or none yet: the replay may still be finalizing): look again shortly.
  const pending = clips === null || clips.length === 0 || clips.some((c) => c.status === "processing");
  useEffect(() => {
    if (!pending) return;
    const id = setTimeout(() => setTick((n) => n + 1), clips?.length === 0 ? POLL_MS * 3 : POLL_MS);
    return () => clearTimeout(id);
  }, [pending, tick]);

  async function act(clip: StudioClip, what: "publish" | "discard") {
    setBusy(clip.id);
    try {
      const updated = await (what === "publish" ? api.videos.publish(clip.id) : api.videos.discard(clip.id));
      setClips((cs) => cs?.map((c) => (c.id === updated.id ? updated : c)) ?? null);
      setError(null);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="card clips-panel" aria-labelledby="clips-title" data-testid="clips-panel">
      <h2 id="clips-title" class="card-title">
        {t.title}
      </h2>
      <p class="hint">{t.intro}</p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {clips && clips.length === 0 && <p class="empty">{t.none}</p>}
      {clips && clips.length > 0 && (
        <ul class="clip-list">
          {clips.map((c) => (
            <li key={c.id} class={`clip clip-${c.status}`} data-testid="clip" data-status={c.status}>
              <div class="clip-media">
                {c.mediaUrl && c.status !== "discarded" ? (
                  <video src={c.mediaUrl} poster={c.posterUrl ?? undefined} controls muted playsInline preload="metadata" aria-label={t.preview(c.title)} data-testid="clip-video" />
                ) : (
                  <div class="clip-placeholder" aria-hidden="true">
                    {c.product?.imageUrl && <img src={c.product.imageUrl} alt="" />}
                  </div>
                )}
              </div>
              <div class="clip-body">
                <strong class="clip-title">{c.title}</strong>
                <span class={`badge clip-status clip-status-${c.status}`}>{t.status[c.status] ?? c.status}</span>
                {c.showcaseOffsetMs !== null && <span class="clip-at">{t.at(clockOf(c.showcaseOffsetMs))}</span>}
                {c.status === "processing" && (
                  <div class="clip-progress">
                    <progress max={100} value={Math.round(c.progress * 100)} aria-label={t.processing(Math.round(c.progress * 100))} />
                    <span>{t.processing(Math.round(c.progress * 100))}</span>
                  </div>
                )}
                {c.error && <span class="form-error">{c.error}</span>}
                <div class="clip-actions">
                  {(c.status === "draft" || c.status === "processing") && (
                    <button type="button" class="btn btn-small btn-primary" disabled={c.status !== "draft" || busy === c.id} onClick={() => void act(c, "publish")} data-testid="clip-publish">
                      {t.publish}
                    </button>
                  )}
                  <button type="button" class="btn btn-small btn-ghost" hidden={c.status === "discarded"} disabled={busy === c.id} onClick={() => void act(c, "discard")} data-testid="clip-discard">
                    {t.discard}
                  </button>
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
