import { useI18n } from "../../i18n/index.tsx";

const STAR = "M12 2.5l2.9 6.1 6.6.8-4.9 4.6 1.3 6.6L12 17.3 6.1 20.6l1.3-6.6L2.5 9.4l6.6-.8z";

/** Five stars filled to `rating` (fractions too); read by screen readers as "4.3 out of 5 stars" unless `label` says more ("": decorative). */
export function Stars({ rating, label, size = 16 }: { rating: number; label?: string; size?: number }) {
  const { m } = useI18n();
  const row = (
    <>
      {[0, 1, 2, 3, 4].map((i) => (
        <svg key={i} viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
          <path d={STAR} />
        </svg>
      ))}
    </>
  );
  return (
    <span class="reviews-stars" {...(label === "" ? { "aria-hidden": "true" as const } : { role: "img", "aria-label": label ?? m.reviews.stars(rating) })}>
      <span class="reviews-stars-base">{row}</span>
      <span class="reviews-stars-fill" style={{ width: `${(Math.max(0, Math.min(5, rating)) / 5) * 100}%` }}>
        {row}
      </span>
    </span>
  );
}

/** The rating input: a radio group (arrow keys move, Space picks), drawn as stars. */
export function StarInput({ value, onChange, name, error }: { value: number | null; onChange(v: number): void; name: string; error?: string | null }) {
  const { m } = useI18n();
  return (
    <fieldset class="reviews-star-input" aria-invalid={error ? true : undefined} aria-describedby={error ? `${name}-error` : undefined}>
      <legend>{m.reviews.rating}</legend>
      <div class="reviews-star-options">
        {[1, 2, 3, 4, 5].map((v) => (
          <label key={v} class={`reviews-star-option ${value !== null && v <= value ? "on" : ""}`}>
            <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} class="visually-hidden" data-testid={`review-rating-${v}`} />
            <svg viewBox="0 0 24 24" width="34" height="34" aria-hidden="true">
              <path d={STAR} />
            </svg>
            <span class="visually-hidden">
              {m.reviews.stars(v)}, {m.reviews.ratingWords[v - 1]}
            </span>
          </label>
        ))}
        <span class="reviews-star-word" aria-hidden="true">
          {value ? m.reviews.ratingWords[value - 1] : ""}
        </span>
      </div>
      {error ? (
        <small id={`${name}-error`} class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </fieldset>
  );
}
