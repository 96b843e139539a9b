import { useEffect, useRef, useState } from "preact/hooks";
import { OrderStatus, type Order } from "../../../../src/shared/contracts/checkout.ts";
import { MerchantFeedEvent } from "../../../../src/shared/contracts/room.ts";
import { api, MERCHANT_FEED_URL } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Spinner } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { OrderStatusBadge, ShippingLines } from "../orders.tsx";

type Transition = "shipped" | "delivered" | "cancelled";
const NEXT: Partial<Record<Order["status"], Transition[]>> = { paid: ["shipped", "cancelled"], shipped: ["delivered"] };

/** The merchant's order feed (server-sent events); EventSource reconnects by itself. */
function useOrderFeed(onEvent: (e: MerchantFeedEvent) => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const es = new EventSource(MERCHANT_FEED_URL, { withCredentials: true });
    const receive = (ev: MessageEvent) => {
      try {
        const parsed = MerchantFeedEvent.safeParse(JSON.parse(String(ev.data)));
        if (parsed.success) handler.current(parsed.data);
      } catch {
        /* a comment or keep-alive */
      }
    };
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(es.readyState === EventSource.OPEN);
    es.addEventListener("message", receive);
    es.addEventListener("order.created", receive as EventListener);
    es.addEventListener("order.updated", receive as EventListener);
    return () => es.close();
  }, []);
  return live;
}

function OrderRow({ order, fresh, onChanged }: { order: Order; fresh: boolean; onChanged(o: Order): void }) {
  const { m, fmt, errorText } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const total = fmt.money(order.total, order.currency);
  const act = async (to: Transition) => {
    if (to === "cancelled" && !confirm(m.orders.cancelConfirm(order.number, total))) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.merchant.setOrderStatus(order.id, to));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const label: Record<Transition, string> = { shipped: m.orders.markShipped, delivered: m.orders.markDelivered, cancelled: m.orders.cancelRefund };
  return (
    <tr data-testid="order-row" data-order-id={order.id} class={fresh ? "row-fresh" : ""}>
      <td data-label={m.orders.number}>
        <div>
          <strong class="mono">{order.number}</strong>
          {fresh && <span class="chip chip-new">{m.orders.newBadge}</span>}
          <time class="muted block small" dateTime={order.createdAt}>
            {fmt.dateTime(order.createdAt)}
          </time>
          {order.showTitle && <span class="muted block small">{m.orders.fromShow(order.showTitle)}</span>}
        </div>
      </td>
      <td data-label={m.orders.buyer}>
        <div>
          <strong>{order.buyerName}</strong>
          <ShippingLines order={order} />
        </div>
      </td>
      <td data-label={m.orders.items}>
        <ul class="plain">
          {order.items.map((i) => (
            <li key={i.variantId}>{m.orders.line(i.quantity, i.title, i.variantTitle)}</li>
          ))}
        </ul>
      </td>
      <td data-label={m.orders.total}>
        <div>
          <strong>{total}</strong>
          <span class="muted block small">{m.orders.card(order.cardLast4)}</span>
        </div>
      </td>
      <td data-label={m.orders.status}>
        <div>
          <OrderStatusBadge status={order.status} />
          <details class="history">
            <summary>{m.orders.history}</summary>
            <ol class="plain">
              {order.history.map((h, i) => (
                <li key={i}>
                  {m.orderStatus[h.status]} · <time dateTime={h.at}>{fmt.dateTime(h.at)}</time>
                </li>
              ))}
            </ol>
          </details>
        </div>
      </td>
      <td data-label={m.orders.actions}>
        <div class="order-actions">
          {(NEXT[order.status] ?? []).map((to) => (
            <button key={to} type="button" class={`btn btn-small ${to === "cancelled" ? "btn-danger-ghost" : ""}`} disabled={busy} onClick={() => void act(to)} data-testid={`order-${to}`}>
              {label[to]}
            </button>
          ))}
          <ErrorLine text={error} />
        </div>
      </td>
    </tr>
  );
}

export function OrdersTab() {
  const { m } = useI18n();
  const [status, setStatus] = useState<Order["status"] | "">("");
  const [items, setItems] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [announce, setAnnounce] = useState("");
  const statusRef = useRef(status);
  statusRef.current = status;

  const fetchPage = async (after: string | null, replace: boolean) => {
    setLoading(true);
    setError(null);
    try {
      const r = await api.merchant.orders({ status, cursor: after });
      setItems((cur) => (replace ? r.items : [...cur, ...r.items.filter((o) => !cur.some((c) => c.id === o.id))]));
      setCursor(r.nextCursor);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void fetchPage(null, true), [status]);

  const upsert = (o: Order) => setItems((cur) => (cur.some((c) => c.id === o.id) ? cur.map((c) => (c.id === o.id ? o : c)) : [o, ...cur]));

  const live = useOrderFeed(async (e) => {
    try {
      const order = await api.merchant.order(e.orderId);
      if (e.type === "order.created") {
        if (statusRef.current && statusRef.current !== order.status) return;
        upsert(order);
        setFresh((s) => new Set(s).add(order.id));
        setAnnounce(m.orders.newOrderAnnounce(order.number));
      } else {
        setItems((cur) => cur.map((c) => (c.id === order.id ? order : c)));
      }
    } catch {
      /* the next full load will show it */
    }
  });

  return (
    <section aria-label={m.merchant.orders}>
      <div class="toolbar">
        <label class="inline-field">
          <span>{m.orders.filter}</span>
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as Order["status"] | "")} data-testid="order-status-filter">
            <option value="">{m.orders.all}</option>
            {OrderStatus.options.map((s) => (
              <option key={s} value={s}>
                {m.orderStatus[s]}
              </option>
            ))}
          </select>
        </label>
        <span class={`feed-state ${live ? "on" : ""}`} role="status">
          <span class="dot" aria-hidden="true" /> {live ? m.orders.feedLive : m.orders.feedOffline}
        </span>
      </div>
      <p class="visually-hidden" aria-live="polite">
        {announce}
      </p>
      {error != null && <ErrorBox error={error} onRetry={() => void fetchPage(null, true)} />}
      <table class="orders-table" data-testid="orders-table">
        <thead>
          <tr>
            <th scope="col">{m.orders.number}</th>
            <th scope="col">{m.orders.buyer}</th>
            <th scope="col">{m.orders.items}</th>
            <th scope="col">{m.orders.total}</th>
            <th scope="col">{m.orders.status}</th>
            <th scope="col">{m.orders.actions}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <OrderRow key={o.id} order={o} fresh={fresh.has(o.id)} onChanged={upsert} />
          ))}
        </tbody>
      </table>
      {!loading && !error && items.length === 0 && <p class="empty">{status ? m.orders.noneWithStatus : m.orders.noneYet}</p>}
      {loading && <Spinner />}
      {!loading && cursor && (
        <button type="button" class="btn btn-ghost btn-block" onClick={() => void fetchPage(cursor, false)}>
          {m.app.loadMore}
        </button>
      )}
    </section>
  );
}
