import { useEffect, useRef, useState } from "preact/hooks";
import { Upload, type DetailedError } from "tus-js-client";
import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import type { StudioClip, UploadOptions } from "../../../../src/shared/contracts/videos.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { canHost, signInHref, useSession } from "../../session.tsx";
import "../videos/videos.css";

const ENDPOINT = "/api/v1/uploads/videos";
const POLL_MS = 2000;
const MAX_TAGS = 10;

/** Bytes per PATCH: 8 MB (a dropped connection loses at most that). Tests set a smaller one in localStorage. */
function chunkSize(): number {
  const v = Number(globalThis.localStorage?.getItem("vetrina.uploadChunkBytes"));
  return Number.isInteger(v) && v >= 64 * 1024 ? v : 8 * 1024 * 1024;
}

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; pct: number; offline: boolean }
  | { kind: "processing"; videoId: string; video: StudioClip | null }
  | { kind: "error"; text: string };

/** The problem's code from a tus error (our refusals are problem+json), else null. */
function problemCode(err: unknown): string | null {
  const res = (err as DetailedError)?.originalResponse;
  if (!res) return null;
  try {
    const body = JSON.parse(res.getBody()) as { code?: unknown };
    return typeof body.code === "string" ? body.code : null;
  } catch {
    return null;
  }
}

/**
 * The creator's short videos: upload one (tus, resumable across dropped connections and page reloads:
 * choosing the same file again continues where the server stopped), watch it being processed, and
 * publish or discard the ones they made.
 */
export function UploadPage() {
  const { m } = useI18n();
  const t = m.shortVideos;
  const { user } = useSession();
  useTitle(t.uploadTitle);
  const options = useAsync(() => (canHost(user) ? api.videos.uploadOptions() : Promise.resolve(null)), [user?.id]);
  const [tick, setTick] = useState(0);
  const mine = useAsync(() => (canHost(user) ? api.videos.mine() : Promise.resolve({ items: [] as StudioClip[] })), [user?.id, tick]);

  if (user === undefined) return <Spinner />;
  if (user === null || !canHost(user))
    return (
      <section class="page narrow">
        <h1>{t.uploadTitle}</h1>
        <Link class="btn btn-primary" href={signInHref("/studio/videos")}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  return (
    <section class="page narrow vupload-page">
      <h1>{t.uploadTitle}</h1>
      {options.loading && !options.data ? <Spinner /> : options.error ? <ErrorBox error={options.error} onRetry={options.reload} /> : options.data ? <UploadForm options={options.data} onChanged={() => setTick((n) => n + 1)} /> : null}
      <MyVideos items={mine.data?.items ?? null} onChanged={() => setTick((n) => n + 1)} />
    </section>
  );
}

function UploadForm({ options, onChanged }: { options: UploadOptions; onChanged: () => void }) {
  const { m, fmt, errorText } = useI18n();
  const t = m.shortVideos;
  const [merchantId, setMerchantId] = useState(options.merchants[0]?.id ?? "");
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState("");
  const [caption, setCaption] = useState("");
  const [publish, setPublish] = useState(false);
  const [tags, setTags] = useState<Product[]>([]);
  const [q, setQ] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const upload = useRef<Upload | null>(null);
  // An upload left unfinished in this browser (tus-js-client remembers it): say how to continue it.
  const [unfinished] = useState(() => {
    try {
      return Object.keys(localStorage).some((k) => k.startsWith("tus::"));
    } catch {
      return false;
    }
  });
  const found = useAsync(() => (merchantId ? api.videos.taggable(merchantId, q || undefined) : Promise.resolve({ items: [] as Product[] })), [merchantId, q]);

  useEffect(() => () => void upload.current?.abort(), []);

  // Processing: poll the video until its transcode is done (or failed).
  const processingId = phase.kind === "processing" ? phase.videoId : null;
  useEffect(() => {
    if (!processingId) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout>;
    const look = async () => {
      try {
        const v = await api.videos.studio(processingId);
        if (!live) return;
        setPhase({ kind: "processing", videoId: processingId, video: v });
        if (v.status === "processing") timer = setTimeout(look, POLL_MS);
        else onChanged();
      } catch {
        if (live) timer = setTimeout(look, POLL_MS);
      }
    };
    void look();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [processingId]);

  if (!options.merchants.length) return <p class="empty">{t.noShops}</p>;

  async function start(e: Event) {
    e.preventDefault();
    if (!file || !title.trim() || !merchantId) return;
    const up = new Upload(file, {
      endpoint: ENDPOINT,
      chunkSize: chunkSize(),
      retryDelays: [0, 1000, 2000, 4000, 8000, 15000, 30000],
      removeFingerprintOnSuccess: true,
      metadata: {
        merchantId,
        title: title.trim(),
        ...(caption.trim() ? { caption: caption.trim() } : {}),
        ...(tags.length ? { products: tags.map((p) => p.id).join(",") } : {}),
        publish: publish ? "1" : "0",
        filename: file.name,
        filetype: file.type,
      },
      // Our refusals (4xx) are final; a dropped connection or a server error is retried from the server's offset.
      onShouldRetry: (err) => {
        const status = (err as DetailedError).originalResponse?.getStatus() ?? 0;
        const retry = status === 0 || status >= 500 || status === 409 || status === 423;
        if (retry) setPhase((p) => (p.kind === "uploading" ? { ...p, offline: true } : p));
        return retry;
      },
      onProgress: (sent, total) => setPhase({ kind: "uploading", pct: Math.floor((sent / total) * 100), offline: false }),
      onSuccess: ({ lastResponse }) => {
        const videoId = lastResponse.getHeader("Vetrina-Video-Id");
        upload.current = null;
        setFile(null);
        if (videoId) setPhase({ kind: "processing", videoId, video: null });
        else setPhase({ kind: "idle" });
        onChanged();
      },
      onError: (err) => {
        upload.current = null;
        const code = problemCode(err);
        setPhase({ kind: "error", text: code ? ((m.errors as Record<string, string>)[code] ?? errorText(err)) : errorText(err) });
      },
    });
    upload.current = up;
    // The same file chosen again (after a reload, say): continue the upload the server already has.
    const previous = await up.findPreviousUploads();
    const last = previous.sort((a, b) => b.creationTime.localeCompare(a.creationTime))[0];
    if (last) up.resumeFromPreviousUpload(last);
    setPhase({ kind: "uploading", pct: 0, offline: false });
    up.start();
  }

  const busy = phase.kind === "uploading";
  const addTag = (p: Product) => setTags((ts) => (ts.some((x) => x.id === p.id) || ts.length >= MAX_TAGS ? ts : [...ts, p]));
  const priceOf = (p: Product) => (p.variants.length ? fmt.money(Math.min(...p.variants.map((v) => v.price)), p.currency) : "");

  return (
    <form class="card vupload-form" onSubmit={(e) => void start(e)} data-testid="upload-form">
      <p class="hint">{t.intro(Math.round(options.maxBytes / 1024 / 1024), options.maxSeconds)}</p>
      {unfinished && phase.kind === "idle" && (
        <p class="hint" data-testid="upload-unfinished">
          {t.chooseAgain}
        </p>
      )}
      {options.merchants.length > 1 && (
        <label class="field">
          <span>{t.shop}</span>
          <select value={merchantId} onChange={(e) => (setMerchantId(e.currentTarget.value), setTags([]))} disabled={busy}>
            {options.merchants.map((mm) => (
              <option key={mm.id} value={mm.id}>
                {mm.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label class="field">
        <span>{t.file}</span>
        <input type="file" accept="video/mp4,video/quicktime,.mp4,.mov" required disabled={busy} onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} data-testid="upload-file" />
      </label>
      <label class="field">
        <span>{t.title}</span>
        <input type="text" required maxLength={120} value={title} disabled={busy} onInput={(e) => setTitle(e.currentTarget.value)} data-testid="upload-title" />
      </label>
      <label class="field">
        <span>{t.caption}</span>
        <textarea maxLength={1000} rows={2} value={caption} disabled={busy} onInput={(e) => setCaption(e.currentTarget.value)} />
      </label>
      <fieldset class="vupload-tags">
        <legend>{t.products}</legend>
        {tags.length > 0 && (
          <ul class="vupload-chips" aria-label={t.tagged(tags.length)}>
            {tags.map((p) => (
              <li key={p.id}>
                {p.title}
                <button type="button" class="vupload-chip-x" aria-label={t.remove(p.title)} disabled={busy} onClick={() => setTags((ts) => ts.filter((x) => x.id !== p.id))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        <input type="search" placeholder={t.searchProducts} aria-label={t.searchProducts} value={q} disabled={busy} onInput={(e) => setQ(e.currentTarget.value)} />
        <ul class="vupload-results">
          {(found.data?.items ?? [])
            .filter((p) => !tags.some((x) => x.id === p.id))
            .slice(0, 6)
            .map((p) => (
              <li key={p.id}>
                <button type="button" class="vupload-result" disabled={busy || tags.length >= MAX_TAGS} onClick={() => addTag(p)} aria-label={t.add(p.title)} data-testid="upload-tag">
                  {p.images[0] ? <img src={p.images[0]} alt="" /> : <span class="vupload-noimg" aria-hidden="true" />}
                  <span class="grow">{p.title}</span>
                  <span class="muted">{priceOf(p)}</span>
                </button>
              </li>
            ))}
        </ul>
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={publish} disabled={busy} onChange={(e) => setPublish(e.currentTarget.checked)} />
        {t.publishWhenReady}
      </label>
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy || !file || !title.trim()} data-testid="upload-start">
          {t.start}
        </button>
      </div>
      <div class="vupload-status" aria-live="polite">
        {phase.kind === "uploading" && (
          <div class="vupload-progress" data-testid="upload-progress" data-pct={phase.pct}>
            <progress max={100} value={phase.pct} aria-label={t.uploading(phase.pct)} />
            <span>{phase.offline ? t.offline : t.uploading(phase.pct)}</span>
          </div>
        )}
        {phase.kind === "processing" && (
          <div class="vupload-progress" data-testid="upload-processing" data-status={phase.video?.status ?? "processing"} data-video-id={phase.videoId}>
            {(!phase.video || phase.video.status === "processing") && (
              <>
                <progress max={100} value={Math.round((phase.video?.progress ?? 0) * 100)} aria-label={t.processing(Math.round((phase.video?.progress ?? 0) * 100))} />
                <span>{t.processing(Math.round((phase.video?.progress ?? 0) * 100))}</span>
              </>
            )}
            {phase.video?.status === "draft" && <span>{t.ready}</span>}
            {phase.video?.status === "published" && <span>{t.published}</span>}
            {phase.video?.status === "failed" && <span class="form-error">{t.failed}</span>}
          </div>
        )}
        {phase.kind === "error" && (
          <p class="form-error" role="alert" data-testid="upload-error">
            {phase.text}
          </p>
        )}
      </div>
    </form>
  );
}

function MyVideos({ items, onChanged }: { items: StudioClip[] | null; onChanged: () => void }) {
  const { m, errorText } = useI18n();
  const t = m.shortVideos;
  const c = m.studio.clips;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function act(v: StudioClip, what: "publish" | "discard") {
    setBusy(v.id);
    try {
      await (what === "publish" ? api.videos.publish(v.id) : api.videos.discard(v.id));
      setError(null);
      onChanged();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }
  return (
    <section class="vupload-mine" aria-labelledby="vupload-mine-title">
      <h2 id="vupload-mine-title">{t.mine}</h2>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {items === null ? <Spinner /> : items.length === 0 ? <p class="empty">{t.none}</p> : null}
      <ul class="card-list">
        {(items ?? []).map((v) => (
          <li key={v.id} class="card vupload-item" data-testid="my-video" data-status={v.status} data-video-id={v.id}>
            {v.posterUrl ? <img class="vupload-thumb" src={v.posterUrl} alt="" /> : <span class="vupload-thumb" aria-hidden="true" />}
            <div class="grow">
              <strong>{v.title}</strong>
              <p class="muted">
                <span class={`badge clip-status clip-status-${v.status}`}>{c.status[v.status] ?? v.status}</span>
                {v.status === "processing" && ` ${t.processing(Math.round(v.progress * 100))}`}
                {v.products.length > 0 && ` · ${t.tagged(v.products.length)}`}
              </p>
              {v.status === "failed" && <p class="form-error">{t.failed}</p>}
              <div class="actions">
                {v.status === "published" && (
                  <Link class="btn btn-small" href={`/videos/${v.id}`}>
                    {t.watch}
                  </Link>
                )}
                {v.status === "draft" && (
                  <button type="button" class="btn btn-small btn-primary" disabled={busy === v.id} onClick={() => void act(v, "publish")} data-testid="video-publish">
                    {c.publish}
                  </button>
                )}
                <button type="button" class="btn btn-small btn-ghost" disabled={busy === v.id} onClick={() => void act(v, "discard")} data-testid="video-discard">
                  {c.discard}
                </button>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
