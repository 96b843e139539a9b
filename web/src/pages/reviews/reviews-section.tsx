import { useEffect, useRef, useState } from "preact/hooks";
import { REVIEW_PHOTOS_MAX, REVIEW_TEXT_MAX, type Review, type ReviewSort, type ReviewSummary } from "../../../../src/shared/contracts/reviews.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Field, Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { StarInput, Stars } from "./stars.tsx";
import "./reviews.css";

const PAGE = 10;

/** Next to a product's title: stars and count, a link to the reviews ("4.3 out of 5, 27 reviews"). */
export function RatingSummary({ summary }: { summary: ReviewSummary | undefined }) {
  const { m } = useI18n();
  if (!summary || summary.count === 0 || summary.average === null) return null;
  return (
    <a href="#reviews" class="reviews-summary-line" data-testid="rating-summary" aria-label={m.reviews.summary(summary.average, summary.count)}>
      <Stars rating={summary.average} label="" />
      <span aria-hidden="true">
        <strong>{m.reviews.average(summary.average)}</strong> · {m.reviews.count(summary.count)}
      </span>
    </a>
  );
}

/**
 * A product's reviews: the histogram, the signed-in buyer's own review (or the form to write one when
 * they bought the product), then everyone's, a page at a time in the chosen order.
 */
export function ReviewsSection({ productId, summary, onChanged }: { productId: string; summary: ReviewSummary | undefined; onChanged(): void }) {
  const { m } = useI18n();
  const { user } = useSession();
  const [sort, setSort] = useState<ReviewSort>("recent");
  const [items, setItems] = useState<Review[]>([]);
  const [mine, setMine] = useState<Review | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [eligible, setEligible] = useState(false);
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [photo, setPhoto] = useState<{ src: string; alt: string } | null>(null);

  const fetchPage = async (after: string | null, order = sort) => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.reviews.list(productId, { cursor: after, sort: order, limit: PAGE });
      setItems((cur) => (after ? [...cur, ...r.items.filter((i) => !cur.some((c) => c.id === i.id))] : r.items));
      setMine(r.mine);
      setCursor(r.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void fetchPage(null), [productId, sort, user?.id]);
  useEffect(() => {
    if (!user) return setEligible(false);
    api.reviews.reviewable(productId).then(
      (r) => setEligible(r.items.length > 0),
      () => setEligible(false),
    );
  }, [productId, user?.id, mine?.id]);

  // Arriving from the order page's "Review" link (`#reviews`): the section is rendered late, so scroll to it once.
  const arrived = useRef(false);
  useEffect(() => {
    if (arrived.current || loading || window.location.hash !== "#reviews") return;
    arrived.current = true;
    document.getElementById("reviews")?.scrollIntoView({ block: "start" });
  }, [loading]);

  const changed = (text: string) => {
    setNotice(text);
    setEditing(false);
    onChanged();
    void fetchPage(null);
  };
  const remove = async () => {
    if (!mine || !window.confirm(m.reviews.deleteConfirm)) return;
    try {
      await api.reviews.remove(mine.id);
      changed(m.reviews.deleted);
    } catch (err) {
      setError(err);
    }
  };
  const vote = async (r: Review) => {
    try {
      const updated = await api.reviews.helpful(r.id, !r.votedHelpful);
      setItems((cur) => cur.map((c) => (c.id === updated.id ? updated : c)));
    } catch (err) {
      setError(err);
    }
  };
  const others = items.filter((r) => r.id !== mine?.id);

  return (
    <section class="reviews" id="reviews" aria-labelledby="reviews-title" data-testid="reviews">
      <h2 id="reviews-title">{m.reviews.title}</h2>
      {summary && summary.count > 0 && summary.average !== null ? <Histogram summary={summary} /> : null}
      <p class="reviews-notice" role="status">
        {notice}
      </p>

      {mine && !editing ? (
        <div class="reviews-mine" data-testid="my-review">
          <h3>{m.reviews.yourReview}</h3>
          {mine.hidden ? <p class="reviews-hidden-notice">{m.reviews.hiddenNotice}</p> : null}
          <ReviewCard review={mine} onPhoto={setPhoto} />
          <div class="reviews-mine-actions">
            <button type="button" class="btn btn-small" onClick={() => setEditing(true)} data-testid="review-edit">
              {m.reviews.editMine}
            </button>
            <button type="button" class="btn btn-small btn-ghost" onClick={() => void remove()}>
              {m.reviews.delete}
            </button>
          </div>
        </div>
      ) : null}
      {(eligible && !mine) || (mine && editing) ? (
        <ReviewForm productId={productId} review={mine && editing ? mine : null} onDone={(r, created) => changed(created ? m.reviews.posted : m.reviews.saved)} onCancel={mine ? () => setEditing(false) : undefined} />
      ) : null}
      {user === null ? (
        <p class="muted small">
          <Link href={signInHref(`/products/${productId}#reviews`)}>{m.reviews.signInToReview}</Link>
        </p>
      ) : null}

      {others.length > 1 || cursor ? (
        <label class="reviews-sort">
          {m.reviews.sort}{" "}
          <select value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as ReviewSort)} data-testid="review-sort">
            <option value="recent">{m.reviews.sortRecent}</option>
            <option value="helpful">{m.reviews.sortHelpful}</option>
            <option value="rating">{m.reviews.sortRating}</option>
          </select>
        </label>
      ) : null}
      {error != null ? <ErrorBox error={error} onRetry={() => void fetchPage(null)} /> : null}
      {!loading && !error && !others.length && !mine ? <p class="empty">{eligible ? m.reviews.noneBuyer : m.reviews.none}</p> : null}
      <ul class="reviews-list" data-testid="review-list">
        {others.map((r) => (
          <li key={r.id}>
            <ReviewCard review={r} onPhoto={setPhoto} onHelpful={user && !r.mine ? () => void vote(r) : undefined} />
          </li>
        ))}
      </ul>
      {loading ? <Spinner /> : null}
      {!loading && cursor ? (
        <button type="button" class="btn btn-ghost btn-block" onClick={() => void fetchPage(cursor)}>
          {m.reviews.more}
        </button>
      ) : null}
      <PhotoViewer photo={photo} onClose={() => setPhoto(null)} />
    </section>
  );
}

function Histogram({ summary }: { summary: ReviewSummary }) {
  const { m } = useI18n();
  const max = Math.max(1, ...summary.histogram);
  return (
    <div class="reviews-histogram">
      <p class="reviews-histogram-score">
        <strong aria-hidden="true">{m.reviews.average(summary.average!)}</strong>
        <Stars rating={summary.average!} size={18} label={m.reviews.summary(summary.average!, summary.count)} />
      </p>
      <ul class="plain">
        {[5, 4, 3, 2, 1].map((star) => (
          <li key={star}>
            <span class="visually-hidden">{m.reviews.histogramRow(star, summary.histogram[star - 1]!)}</span>
            <span aria-hidden="true">{star}★</span>
            <span class="reviews-bar" aria-hidden="true">
              <span style={{ width: `${(summary.histogram[star - 1]! / max) * 100}%` }} />
            </span>
            <span aria-hidden="true" class="muted">
              {summary.histogram[star - 1]}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ReviewCard({ review, onPhoto, onHelpful }: { review: Review; onPhoto(p: { src: string; alt: string }): void; onHelpful?: () => void }) {
  const { m, fmt } = useI18n();
  return (
    <article class="reviews-card" data-testid="review">
      <header class="reviews-card-head">
        <strong>{review.authorName}</strong>
        {review.verifiedBuyer ? (
          <span class="reviews-verified" data-testid="review-verified">
            <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">
              <path d="M5 12.5l4.5 4.5L19 7.5" fill="none" stroke="currentColor" stroke-width="3" stroke-linecap="round" stroke-linejoin="round" />
            </svg>
            {m.reviews.verified}
          </span>
        ) : null}
      </header>
      <p class="reviews-card-meta">
        <Stars rating={review.rating} />
        <time dateTime={review.createdAt} class="muted small">
          {fmt.date(review.createdAt)}
          {review.editedAt ? ` · ${m.reviews.edited}` : ""}
        </time>
      </p>
      <p class="reviews-text">{review.text}</p>
      {review.photos.length ? (
        <ul class="reviews-photos plain">
          {review.photos.map((src, i) => (
            <li key={src}>
              <button type="button" class="reviews-photo" onClick={() => onPhoto({ src, alt: m.reviews.photoAlt(review.authorName, i + 1) })} aria-label={m.reviews.enlarge(i + 1)}>
                <img src={src} alt={m.reviews.photoAlt(review.authorName, i + 1)} loading="lazy" />
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {review.reply ? (
        <div class="reviews-reply">
          <strong>{m.reviews.shopReply}</strong>
          <p>{review.reply.text}</p>
        </div>
      ) : null}
      {onHelpful ? (
        <button type="button" class="btn btn-small btn-ghost reviews-helpful" aria-pressed={review.votedHelpful} onClick={onHelpful}>
          {m.reviews.helpfulCount(review.helpfulCount)}
        </button>
      ) : review.helpfulCount ? (
        <p class="muted small">{m.reviews.helpfulCount(review.helpfulCount)}</p>
      ) : null}
    </article>
  );
}

/** A photo, large, in a modal dialog (Escape or the button closes it; focus returns to the thumbnail). */
function PhotoViewer({ photo, onClose }: { photo: { src: string; alt: string } | null; onClose(): void }) {
  const { m } = useI18n();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (photo && !d.open) d.showModal();
    if (!photo && d.open) d.close();
  }, [photo]);
  return (
    <dialog ref={ref} class="reviews-viewer" onClose={onClose} onClick={(e) => e.target === ref.current && onClose()} data-testid="review-photo-viewer">
      {photo ? <img src={photo.src} alt={photo.alt} /> : null}
      <button type="button" class="btn btn-small" onClick={onClose} autoFocus>
        {m.reviews.closePhoto}
      </button>
    </dialog>
  );
}

/** Write (review null) or edit one's review: stars as a radio group, text, photos through the image upload. */
function ReviewForm({ productId, review, onDone, onCancel }: { productId: string; review: Review | null; onDone(r: Review, created: boolean): void; onCancel?: () => void }) {
  const { m, errorText } = useI18n();
  const [rating, setRating] = useState<number | null>(review?.rating ?? null);
  const [text, setText] = useState(review?.text ?? "");
  const [photos, setPhotos] = useState<string[]>(review?.photos ?? []);
  const [uploading, setUploading] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ rating?: string; text?: string; photos?: string; form?: string }>({});

  const addPhotos = async (files: FileList | null) => {
    if (!files?.length) return;
    setUploading(true);
    setErrors((e) => ({ ...e, photos: undefined }));
    try {
      const room = REVIEW_PHOTOS_MAX - photos.length;
      const added: string[] = [];
      for (const f of [...files].slice(0, room)) added.push((await api.reviews.uploadPhoto(f)).url);
      setPhotos((p) => [...p, ...added].slice(0, REVIEW_PHOTOS_MAX));
    } catch (err) {
      setErrors((e) => ({ ...e, photos: errorText(err) }));
    } finally {
      setUploading(false);
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const next: typeof errors = {};
    if (!rating) next.rating = m.reviews.ratingRequired;
    if (!text.trim()) next.text = m.reviews.textRequired;
    setErrors(next);
    if (next.rating || next.text) return;
    setBusy(true);
    try {
      const body = { rating: rating!, text: text.trim(), photos };
      const saved = review ? await api.reviews.edit(review.id, body) : await api.reviews.post(productId, body);
      onDone(saved, !review);
    } catch (err) {
      setErrors({ form: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="reviews-form card" onSubmit={submit} noValidate data-testid="review-form" aria-labelledby="review-form-title">
      <h3 id="review-form-title">{review ? m.reviews.editMine : m.reviews.write}</h3>
      <StarInput value={rating} onChange={setRating} name="review-rating" error={errors.rating} />
      <Field id="review-text" label={m.reviews.text} hint={m.reviews.textHint} error={errors.text}>
        {(a) => <textarea {...a} rows={4} maxLength={REVIEW_TEXT_MAX} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} data-testid="review-text" />}
      </Field>
      <div class="field">
        <span class="reviews-photos-label" id="review-photos-label">
          {m.reviews.photos}
        </span>
        {photos.length ? (
          <ul class="reviews-photos plain" aria-labelledby="review-photos-label">
            {photos.map((src, i) => (
              <li key={src} class="reviews-photo-edit">
                <img src={src} alt="" />
                <button type="button" class="reviews-photo-remove" aria-label={m.reviews.removePhoto(i + 1)} onClick={() => setPhotos((p) => p.filter((x) => x !== src))}>
                  ×
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        {photos.length < REVIEW_PHOTOS_MAX ? (
          <label class="btn btn-small reviews-add-photo">
            {uploading ? m.reviews.uploading : m.reviews.addPhotos}
            <input
              type="file"
              accept="image/png,image/jpeg,image/webp,image/gif"
              multiple
              class="visually-hidden"
              disabled={uploading}
              aria-describedby="review-photos-hint"
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                void addPhotos(input.files).then(() => (input.value = ""));
              }}
              data-testid="review-photo-input"
            />
          </label>
        ) : null}
        <small id="review-photos-hint" class="hint">
          {m.reviews.photosHint(REVIEW_PHOTOS_MAX)}
        </small>
        <ErrorLine text={errors.photos} small />
      </div>
      <ErrorLine text={errors.form} />
      <div class="reviews-form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || uploading} data-testid="review-submit">
          {review ? m.reviews.save : m.reviews.submit}
        </button>
        {onCancel ? (
          <button type="button" class="btn btn-ghost" onClick={onCancel}>
            {m.reviews.cancel}
          </button>
        ) : null}
      </div>
    </form>
  );
}
