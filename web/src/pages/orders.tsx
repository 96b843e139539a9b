import { useEffect, useState } from "preact/hooks";
import type { Order } from "../../../src/shared/contracts/checkout.ts";
import { api } from "../api/endpoints.ts";
import { ErrorBox, Spinner, useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link } from "../router.tsx";
import { signInHref, useSession } from "../session.tsx";

export function OrderStatusBadge({ status }: { status: Order["status"] }) {
  const { m } = useI18n();
  return <span class={`badge badge-order badge-${status}`}>{m.orderStatus[status]}</span>;
}

export function ShippingLines({ order }: { order: Order }) {
  const { m, locale } = useI18n();
  const s = order.shipping;
  let country = s.country;
  try {
    country = new Intl.DisplayNames([locale], { type: "region" }).of(s.country) ?? s.country;
  } catch {
    /* keep the code */
  }
  return (
    <address class="shipping">
      <span class="visually-hidden">{m.orders.shipTo}: </span>
      {s.name}
      <br />
      {s.line1}
      {s.line2 && (
        <>
          <br />
          {s.line2}
        </>
      )}
      <br />
      {s.postalCode} {s.city}, {country}
    </address>
  );
}

export function BuyerOrdersPage() {
  const { m, fmt } = useI18n();
  const { user } = useSession();
  useTitle(m.orders.title);
  const [items, setItems] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  // Products bought and not reviewed yet: their lines get a "Review" link (to the product page's form).
  const [reviewable, setReviewable] = useState<Set<string>>(new Set());

  const fetchPage = async (after: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.buyer.orders(after);
      setItems((cur) => (after ? [...cur, ...r.items.filter((o) => !cur.some((c) => c.id === o.id))] : r.items));
      setCursor(r.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    if (user) void fetchPage(null);
    if (user)
      api.reviews.reviewable().then(
        (r) => setReviewable(new Set(r.items.map((i) => i.productId))),
        () => setReviewable(new Set()),
      );
  }, [user?.id]);

  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.orders.title}</h1>
        <p>{m.orders.signIn}</p>
        <Link class="btn btn-primary" href={signInHref("/orders")}>
          {m.nav.signIn}
        </Link>
      </section>
    );

  return (
    <section class="page narrow">
      <h1>{m.orders.title}</h1>
      {error != null && <ErrorBox error={error} onRetry={() => void fetchPage(null)} />}
      {!loading && !error && items.length === 0 && <p class="empty">{m.orders.none}</p>}
      <ul class="card-list" data-testid="my-orders">
        {items.map((o) => (
          <li key={o.id} class="card order-card" data-testid="my-order">
            <div class="order-card-head">
              <strong class="mono">{o.number}</strong>
              <OrderStatusBadge status={o.status} />
            </div>
            <p class="muted small">
              <time dateTime={o.createdAt}>{m.orders.placed(fmt.dateTime(o.createdAt))}</time> · {m.orders.seller(o.merchantName)}
              {o.showTitle && <> · {m.orders.fromShow(o.showTitle)}</>}
            </p>
            <ul class="plain">
              {o.items.map((i) => (
                <li key={i.variantId}>
                  {m.orders.line(i.quantity, i.title, i.variantTitle)} — {fmt.money(i.unitPrice * i.quantity, o.currency)}
                  {o.status !== "cancelled" && o.status !== "refunded" && reviewable.has(i.productId) ? (
                    <>
                      {" "}
                      <Link href={`/products/${i.productId}#reviews`} class="btn btn-small order-review-link" aria-label={m.reviews.orderLinkLabel(i.title)} data-testid="order-review-link">
                        {m.reviews.orderLink}
                      </Link>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
            <p class="order-total">
              {m.orders.total}: <strong>{fmt.money(o.total, o.currency)}</strong>
            </p>
          </li>
        ))}
      </ul>
      {loading && <Spinner />}
      {!loading && cursor && (
        <button type="button" class="btn btn-ghost btn-block" onClick={() => void fetchPage(cursor)}>
          {m.app.loadMore}
        </button>
      )}
    </section>
  );
}
