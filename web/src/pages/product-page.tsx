import { api } from "../api/endpoints.ts";
import { isApiError } from "../api/client.ts";
import { ShareButton } from "../components/share-button.tsx";
import { ErrorBox, Spinner, useAsync, useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link } from "../router.tsx";
import { RatingSummary, ReviewsSection } from "./reviews/reviews-section.tsx";

/** A product's own page (a shared product link lands here): the product, and the shows where it is sold. */
export function ProductPage({ productId }: { productId: string }) {
  const { m, fmt } = useI18n();
  const data = useAsync(() => Promise.all([api.products.get(productId), api.products.shows(productId)]), [productId]);
  const product = data.data?.[0];
  // The rating summary is a read model of its own: reloaded when the viewer's review changes it.
  const summary = useAsync(() => api.reviews.summary(productId), [productId]);
  useTitle(product?.title);

  if (data.error != null)
    return <section class="page narrow">{isApiError(data.error) && data.error.status === 404 ? <p>{m.productPage.notFound}</p> : <ErrorBox error={data.error} onRetry={data.reload} />}</section>;
  if (!product) return <Spinner />;
  const shows = data.data![1].items;
  const cheapest = product.variants.length ? Math.min(...product.variants.map((v) => v.price)) : null;

  return (
    <section class="page narrow product-page">
      {product.images[0] && <img class="product-page-image" src={product.images[0]} alt="" />}
      <div class="product-page-head">
        <h1>{product.title}</h1>
        <ShareButton kind="product" id={product.id} title={product.title} class="btn btn-small" />
      </div>
      <RatingSummary summary={summary.data} />
      {cheapest !== null && <p class="product-page-price">{m.productPage.from(fmt.money(cheapest, product.currency))}</p>}
      {product.description && <p>{product.description}</p>}
      <h2>{m.productPage.shows}</h2>
      {shows.length === 0 && <p class="empty">{m.productPage.noShows}</p>}
      <ul class="card-list" data-testid="product-shows">
        {shows.map((s) => (
          <li key={s.id} class="card">
            <Link href={`/shows/${s.id}`}>
              <strong>{s.title}</strong>
            </Link>
            <p class="muted small">
              <span class={`badge ${s.status === "live" ? "badge-live" : ""}`}>{m.showStatus[s.status]}</span> · {s.hostName} · {fmt.when(s.scheduledAt)}
            </p>
          </li>
        ))}
      </ul>
      <ReviewsSection productId={product.id} summary={summary.data} onChanged={summary.reload} />
    </section>
  );
}
