import { useEffect, useRef, useState } from "preact/hooks";
import type { Product, Variant } from "../../../../src/shared/contracts/catalog.ts";
import type { Order } from "../../../../src/shared/contracts/checkout.ts";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref } from "../../session.tsx";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { CheckoutForm } from "./checkout-form.tsx";
import { ShareButton } from "../../components/share-button.tsx";
import { trackFunnel } from "../../lib/funnel-tracker.ts";
import { OrderConfirmation, useSheetKeys } from "./sheet.tsx";

type Step = { name: "choose" } | { name: "pay"; variant: Variant; quantity: number } | { name: "done"; order: Order };

const MAX_QUANTITY = 20;

/**
 * The purchase, inside the player: choose a variant and quantity, then shipping and card, then
 * the confirmation. The video keeps playing behind it.
 */
export function BuySheet({
  product,
  showId,
  signedIn,
  onClose,
  onStale,
}: {
  product: Product;
  showId: string;
  signedIn: boolean;
  onClose(): void;
  /** stock changed under us: fetch the product again */
  onStale(): void;
}) {
  const { m, fmt } = useI18n();
  const [step, setStep] = useState<Step>({ name: "choose" });
  const [variantId, setVariantId] = useState<string | null>(() => {
    const inStock = product.variants.filter((v) => v.stock > 0);
    return inStock.length === 1 ? inStock[0]!.id : null;
  });
  const [quantity, setQuantity] = useState(1);
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const sheet = useRef<HTMLDivElement>(null);

  const variant = product.variants.find((v) => v.id === variantId) ?? null;
  const maxQ = Math.max(1, Math.min(MAX_QUANTITY, variant?.stock ?? MAX_QUANTITY));

  // Fresh stock may arrive while the sheet is open.
  useEffect(() => {
    if (variant && variant.stock === 0) setVariantId(null);
    if (quantity > maxQ) setQuantity(maxQ);
  }, [product]);

  useEffect(() => {
    heading.current?.focus();
  }, [step.name]);

  useSheetKeys(sheet, heading, onClose);

  const title = step.name === "done" ? m.sheet.confirmed : product.title;

  return (
    <div class="sheet-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="sheet" role="dialog" aria-modal="true" aria-labelledby="sheet-title" ref={sheet}>
        <div class="sheet-handle" aria-hidden="true" />
        <div class="sheet-head">
          {step.name === "pay" && (
            <button type="button" class="icon-btn" onClick={() => setStep({ name: "choose" })} aria-label={m.app.back}>
              ‹
            </button>
          )}
          <h2 id="sheet-title" ref={heading} tabIndex={-1}>
            {title}
          </h2>
          {step.name === "choose" && <ShareButton kind="product" id={product.id} title={product.title} />}
          <button type="button" class="icon-btn" onClick={onClose} aria-label={m.app.close} data-testid="sheet-close">
            ×
          </button>
        </div>

        {step.name === "choose" && (
          <div class="sheet-body">
            <div class="sheet-product">
              {product.images[0] && <img src={product.images[0]} alt="" width={96} height={96} />}
              <div>
                <p class="sheet-price">{fmt.money(variant?.price ?? Math.min(...product.variants.map((v) => v.price)), product.currency)}</p>
                {product.description && <p class="sheet-desc">{product.description}</p>}
              </div>
            </div>

            <fieldset class="variants">
              <legend>{m.sheet.options}</legend>
              <div class="variant-grid">
                {product.variants.map((v) => (
                  <button
                    key={v.id}
                    type="button"
                    class="variant-option"
                    data-testid="variant-option"
                    aria-pressed={v.id === variantId}
                    disabled={v.stock === 0}
                    onClick={() => {
                      setVariantId(v.id);
                      setNotice(null);
                      setQuantity((q) => Math.min(q, Math.max(1, Math.min(MAX_QUANTITY, v.stock))));
                    }}
                  >
                    <span class="variant-name">{v.title}</span>
                    <span class="variant-stock">{v.stock === 0 ? m.sheet.soldOut : m.sheet.left(v.stock)}</span>
                  </button>
                ))}
              </div>
            </fieldset>

            <div class="qty-row">
              <label for="quantity">{m.sheet.quantity}</label>
              <div class="stepper">
                <button type="button" class="icon-btn" aria-label={m.sheet.decrease} disabled={quantity <= 1} onClick={() => setQuantity((q) => Math.max(1, q - 1))}>
                  −
                </button>
                <input
                  id="quantity"
                  data-testid="quantity"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={maxQ}
                  value={quantity}
                  onInput={(e) => {
                    const n = Number.parseInt(e.currentTarget.value, 10);
                    if (Number.isFinite(n)) setQuantity(Math.max(1, Math.min(maxQ, n)));
                  }}
                />
                <button type="button" class="icon-btn" aria-label={m.sheet.increase} disabled={quantity >= maxQ} onClick={() => setQuantity((q) => Math.min(maxQ, q + 1))}>
                  +
                </button>
              </div>
            </div>

            {notice && (
              <p class="form-error" role="alert">
                {notice}
              </p>
            )}

            {signedIn ? (
              <button
                type="button"
                class="btn btn-primary btn-block"
                data-testid="buy-now"
                disabled={!variant || variant.stock === 0}
                onClick={() => {
                  if (!variant) return;
                  // The checkout starts: the funnel's third step (the server counts the card shown and the payment itself).
                  trackFunnel({ kind: "checkout.started", showId, productId: product.id });
                  setStep({ name: "pay", variant, quantity });
                }}
              >
                {m.sheet.buyNow}
                {variant && <span class="btn-sub"> · {fmt.money(variant.price * quantity, product.currency)}</span>}
              </button>
            ) : (
              <div class="sign-in-prompt">
                <p>{m.sheet.signInToBuyBody}</p>
                <Link class="btn btn-primary btn-block" href={signInHref(`/shows/${showId}`)} data-testid="sign-in-to-buy">
                  {m.sheet.signInToBuy}
                </Link>
              </div>
            )}
          </div>
        )}

        {step.name === "pay" && (
          <CheckoutForm
            purchase={`${step.variant.id}:${step.quantity}`}
            summary={
              <>
                {m.orders.line(step.quantity, product.title, step.variant.title)} — <strong>{fmt.money(step.variant.price * step.quantity, product.currency)}</strong>
              </>
            }
            total={fmt.money(step.variant.price * step.quantity, product.currency)}
            submit={(payment, key) => api.buyer.buyNow({ showId, variantId: step.variant.id, quantity: step.quantity, ...payment }, key)}
            onPaid={(order) => setStep({ name: "done", order })}
            onError={(err) => {
              if (!(isApiError(err) && err.code === "out_of_stock")) return false;
              setNotice(m.sheet.stockChanged);
              setStep({ name: "choose" });
              onStale();
              return true;
            }}
          />
        )}

        {step.name === "done" && <OrderConfirmation order={step.order} onClose={onClose} />}
      </div>
    </div>
  );
}
