import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { useI18n } from "../../i18n/index.tsx";
import { trackFunnel } from "../../lib/funnel-tracker.ts";

/** The lowest price among the variants still in stock (or among all, when everything is sold out). */
export function priceRange(product: Product): { min: number; varies: boolean; soldOut: boolean } {
  const inStock = product.variants.filter((v) => v.stock > 0);
  const pool = inStock.length ? inStock : product.variants;
  const prices = pool.map((v) => v.price);
  const min = prices.length ? Math.min(...prices) : 0;
  return { min, varies: prices.some((p) => p !== min), soldOut: inStock.length === 0 };
}

export function ProductCard({
  product,
  showId,
  onOpen,
  buttonRef,
  framePdt,
}: {
  product: Product;
  /** the show the card is in: a partner-store product's card links to its click-recording redirect */
  showId?: string;
  onOpen(): void;
  buttonRef?: (b: HTMLButtonElement | null) => void;
  framePdt?: number | null;
}) {
  const { m, fmt } = useI18n();
  const { min, varies, soldOut } = priceRange(product);
  const price = fmt.money(min, product.currency);
  if (product.kind === "external" && product.storeName && showId) return <ExternalProductCard product={product} showId={showId} storeName={product.storeName} framePdt={framePdt} />;
  return (
    <button type="button" class="product-card" data-testid="product-card" data-frame-pdt={framePdt ?? undefined} onClick={onOpen} ref={buttonRef} aria-label={m.player.openProduct(product.title)} aria-haspopup="dialog">
      {product.images[0] ? <img src={product.images[0]} alt="" width={56} height={56} /> : <span class="product-card-noimg" aria-hidden="true" />}
      <span class="product-card-text">
        <span class="product-card-kicker">{m.player.onScreen}</span>
        <span class="product-card-title">{product.title}</span>
        <span class="product-card-price">{soldOut ? m.player.soldOut : varies ? m.player.from(price) : price}</span>
      </span>
      <span class="product-card-cta" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="22" height="22" fill="currentColor">
          <path d="M7 7V6a5 5 0 0 1 10 0v1h3l-1 14H5L4 7h3zm2 0h6V6a3 3 0 0 0-6 0v1z" />
        </svg>
      </span>
    </button>
  );
}

/**
 * A partner store's product: bought on the store's page, in a new tab (the show keeps playing here).
 * The link goes through /go/…, which records the click and appends its id for the store to report back.
 */
function ExternalProductCard({ product, showId, storeName, framePdt }: { product: Product; showId: string; storeName: string; framePdt?: number | null }) {
  const { m, fmt } = useI18n();
  const prices = product.variants.map((v) => v.price);
  const min = prices.length ? Math.min(...prices) : 0;
  const price = fmt.money(min, product.currency);
  return (
    <a
      class="product-card product-card-external"
      data-testid="product-card"
      data-external="true"
      data-frame-pdt={framePdt ?? undefined}
      href={`/go/${encodeURIComponent(showId)}/${encodeURIComponent(product.id)}`}
      // The redirect records the click; the funnel counts the tap like any card's (the store has no buy sheet).
      onClick={() => trackFunnel({ kind: "card.tapped", showId, productId: product.id })}
      target="_blank"
      rel="noopener"
      aria-label={m.player.openExternal(product.title, storeName)}
    >
      {product.images[0] ? <img src={product.images[0]} alt="" width={56} height={56} /> : <span class="product-card-noimg" aria-hidden="true" />}
      <span class="product-card-text">
        <span class="product-card-kicker">{m.player.onScreen}</span>
        <span class="product-card-title">{product.title}</span>
        <span class="product-card-price">{prices.some((p) => p !== min) ? m.player.from(price) : price}</span>
        <span class="product-card-store">
          {m.player.buyOn(storeName)} <span aria-hidden="true">↗</span>
        </span>
      </span>
      <span class="product-card-cta" aria-hidden="true">
        <svg viewBox="0 0 24 24" width="20" height="20" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">
          <path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
        </svg>
      </span>
    </a>
  );
}
