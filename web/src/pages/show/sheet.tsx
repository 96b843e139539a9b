import type { RefObject } from "preact";
import { useEffect } from "preact/hooks";
import type { Order } from "../../../../src/shared/contracts/checkout.ts";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";

/** Escape closes the sheet; Tab stays inside it while it is open. */
export function useSheetKeys(sheet: RefObject<HTMLElement>, heading: RefObject<HTMLElement>, onClose: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
      if (e.key === "Tab" && sheet.current) {
        const focusable = Array.from(sheet.current.querySelectorAll<HTMLElement>("button:not([disabled]), a[href], input:not([disabled]), select, textarea, summary, [tabindex='0']"));
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (!first || !last) return;
        if (e.shiftKey && (document.activeElement === first || document.activeElement === heading.current)) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onClose]);
}

/** The end of a purchase, in the sheet: number, what was bought, where to find it. */
export function OrderConfirmation({ order, onClose }: { order: Order; onClose(): void }) {
  const { m, fmt } = useI18n();
  return (
    <div class="sheet-body confirmation" data-testid="order-confirmation" role="status" aria-live="assertive">
      <div class="confirm-check" aria-hidden="true">
        ✓
      </div>
      <p class="confirm-number">{m.sheet.orderNumber(order.number)}</p>
      <p>
        {order.items.map((i) => m.orders.line(i.quantity, i.title, i.variantTitle)).join(", ")} — <strong>{fmt.money(order.total, order.currency)}</strong>
      </p>
      <p class="muted">{m.sheet.confirmedBody}</p>
      <button type="button" class="btn btn-primary btn-block" onClick={onClose}>
        {m.sheet.keepWatching}
      </button>
      <Link class="btn btn-ghost btn-block" href="/orders">
        {m.sheet.viewOrders}
      </Link>
    </div>
  );
}
