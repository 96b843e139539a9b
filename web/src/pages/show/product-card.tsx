import type { Product } from "../../../../src/shared/contracts/catalog.ts";
import { useI18n } from "../../i18n/index.tsx";

/** The lowest price among the variants still in stock (or among all, when everything is sold out). */
export function priceRange(product: Product): { min: number; varies: boolean; soldOut: boolean } {
  const inStock = product.variants.filter((v) => v.stock > 0);
  const pool = inStock.length ? inStock : product.variants;
  const prices = pool.map((v) => v.price);
  const min = prices.length ? Math.min(...prices) : 0;
  return { min, varies: prices.some((p) => p !== min), soldOut: inStock.length === 0 };
}

export function ProductCard({ product, onOpen, buttonRef, framePdt }: { product: Product; onOpen(): void; buttonRef?: (b: HTMLButtonElement | null) => void; framePdt?: number | null }) {
  const { m, fmt } = useI18n();
  const { min, varies, soldOut } = priceRange(product);
  const price = fmt.money(min, product.currency);
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
