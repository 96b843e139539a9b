import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { User } from "../../../../src/shared/contracts/accounts.ts";
import type { Order } from "../../../../src/shared/contracts/checkout.ts";
import type { FlashAttemptResult, FlashSale } from "../../../../src/shared/contracts/flash-sales.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { useI18n } from "../../i18n/index.tsx";
import { uuid } from "../../lib/ids.ts";
import { formatCountdown, useServerNow } from "../../lib/server-clock.ts";
import {
  discountPercent,
  emptyMine,
  flashPhase,
  flashRemaining,
  loadMine,
  openHold,
  pickSale,
  saleClock,
  saveMine,
  type FlashHold,
  type FlashMine,
  type FlashPhase,
  type SaleClock,
} from "../../room/flash.ts";
import type { Room } from "../../room/use-room.ts";
import { Link } from "../../router.tsx";
import { signInHref } from "../../session.tsx";
import { CheckoutForm } from "./checkout-form.tsx";
import { OrderConfirmation, useSheetKeys } from "./sheet.tsx";

/** Without an answer on the socket after this long, ask again over HTTP with the same key. */
const SOCKET_ANSWER_MS = 5000;
/** An ended sale stays on screen this long (unless the buyer still has a unit to pay). */
const ENDED_VISIBLE_MS = 20_000;

export interface FlashController {
  sale: FlashSale;
  /** the sale's phase at `saleNow` */
  phase: FlashPhase;
  /** the sale's clock: the video's (the frame on screen, see `saleClock`) or the server's */
  saleNow: number;
  clock: SaleClock;
  /**
   * On the video's clock: the program date of the frame on which the banner took its current phase,
   * and of the frame presented before that one.
   */
  phaseFrame: { pdt: number; previous: number | null } | null;
  /** the server's time: holds (this buyer's own units) run on it, whatever the video shows */
  now: number;
  mine: FlashMine;
  hold: FlashHold | null;
  pending: boolean;
  /** a problem with the last tap: no answer (retry keeps the key) or an error */
  problem: string | null;
  /** false only once we know nobody is signed in */
  signedIn: boolean;
  /** the session is known (a tap can be sent) */
  userReady: boolean;
  buy(): void;
  sheetOpen: boolean;
  openSheet(): void;
  closeSheet(): void;
  hide(): void;
  /** paid; the order is null when only the server's "already paid" told us */
  onPaid(holdId: string, order: Order | null): void;
  onExpired(holdId: string): void;
}

/**
 * Everything about the flash sale shown in the player: which one, its phase, and this buyer's
 * attempts. The phase and the countdown run on the video's clock when the player has one (so "buy"
 * appears on the frame the sale opened on, as the host's camera saw it), else on the server's; the
 * buyer's own holds always run on the server's.
 *
 * A tap sends `flash.buy` on the room socket with a fresh key; the same key is sent again only when
 * no answer came back (socket dropped and reconnected, no answer in time: then over HTTP), so a
 * retry can never win a second unit by accident.
 */
export function useFlashSale(room: Room, user: User | null | undefined, showEnded: boolean): FlashController | null {
  const { m, errorText } = useI18n();
  const { state } = room;
  const sales = useMemo(() => Object.values(state.flashSales), [state.flashSales]);
  const [hidden, setHidden] = useState<Set<string>>(() => new Set());
  const [pinned, setPinned] = useState<string | null>(null);
  const now = useServerNow(sales.some((s) => !hidden.has(s.id)), 250);
  const { now: saleNow, clock } = saleClock(now, room.frames.now());
  const candidates = showEnded ? sales.filter((s) => s.id === pinned) : sales;
  const sale = pickSale(candidates, saleNow, hidden, pinned ? new Set([pinned]) : undefined, clock);
  const saleId = sale?.id ?? null;
  const userId = user?.id ?? null;

  const [mine, setMineState] = useState<FlashMine>(emptyMine);
  const mineRef = useRef(mine);
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [sheetOpen, setSheetOpen] = useState(false);
  const via = useRef<"ws" | "http" | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const current = useRef({ saleId, userId });
  current.current = { saleId, userId };

  const setMine = useCallback((fn: (m: FlashMine) => FlashMine) => {
    const { saleId, userId } = current.current;
    const next = fn(mineRef.current);
    mineRef.current = next;
    setMineState(next);
    if (saleId && userId) saveMine(userId, saleId, next);
  }, []);

  const clearTimer = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
  };

  // Another sale (or another account): start from what this browser remembers of it.
  useEffect(() => {
    clearTimer();
    setPending(false);
    setProblem(null);
    setSheetOpen(false);
    const restored = saleId && userId ? loadMine(userId, saleId) : emptyMine();
    mineRef.current = restored;
    setMineState(restored);
    return clearTimer;
  }, [saleId, userId]);

  const apply = useCallback((r: FlashAttemptResult) => {
    if (r.saleId !== current.current.saleId || r.key !== mineRef.current.pendingKey) return;
    clearTimer();
    via.current = null;
    setPending(false);
    setProblem(null);
    setMine((mn) => ({
      pendingKey: null,
      last: r.outcome,
      holds: r.outcome === "won" && r.holdId && r.holdExpiresAt && !mn.holds.some((h) => h.holdId === r.holdId) ? [...mn.holds, { holdId: r.holdId, expiresAt: r.holdExpiresAt }] : mn.holds,
    }));
    if (r.outcome === "won") {
      setPinned(r.saleId);
      setSheetOpen(true);
    }
  }, []);

  const viaHttp = useCallback(async (saleId: string, key: string) => {
    clearTimer();
    via.current = "http";
    setPending(true);
    try {
      apply(await api.flash.attempt(saleId, key));
    } catch (err) {
      if (current.current.saleId !== saleId || mineRef.current.pendingKey !== key) return;
      via.current = null;
      setPending(false);
      // Unknown outcome: keep the key, so that trying again asks about the same attempt.
      if (!(isApiError(err) && err.outcomeUnknown)) setMine((mn) => ({ ...mn, pendingKey: null }));
      setProblem(isApiError(err) && err.outcomeUnknown ? m.flash.noAnswer : errorText(err));
    }
  }, [apply, m]);

  const send = useCallback(
    (saleId: string, key: string) => {
      setPending(true);
      setProblem(null);
      if (room.flashBuy(saleId, key)) {
        via.current = "ws";
        clearTimer();
        timer.current = setTimeout(() => void viaHttp(saleId, key), SOCKET_ANSWER_MS);
      } else {
        void viaHttp(saleId, key);
      }
    },
    [room.flashBuy, viaHttp],
  );

  const buy = useCallback(() => {
    const { saleId, userId } = current.current;
    if (!saleId || !userId || pending) return;
    // Reuse the key only for an attempt that never got an answer; any answer means a new attempt.
    const key = mineRef.current.pendingKey ?? uuid();
    setMine((mn) => ({ ...mn, pendingKey: key }));
    send(saleId, key);
  }, [pending, send, setMine]);

  // The answer on the socket.
  const answered = mine.pendingKey ? state.flashResults[mine.pendingKey] : undefined;
  useEffect(() => {
    if (answered) apply(answered);
  }, [answered, apply]);

  // The socket came back while we were waiting: the answer may have been lost with it, ask again.
  const prevConnection = useRef(state.connection);
  useEffect(() => {
    const was = prevConnection.current;
    prevConnection.current = state.connection;
    const key = mineRef.current.pendingKey;
    if (pending && via.current === "ws" && key && saleId && state.connection === "open" && was !== "open") send(saleId, key);
  }, [state.connection]);

  // The room refused something while we were waiting (rate limit, not signed in…): HTTP gives an
  // answer tied to our key.
  useEffect(() => {
    const key = mineRef.current.pendingKey;
    if (state.error && pending && via.current === "ws" && key && saleId) void viaHttp(saleId, key);
  }, [state.error?.key]);

  // A won unit not paid in time is gone.
  const hold = openHold(mine, now);
  const lapsed = mine.holds.find((h) => !h.paid && !h.expired && Date.parse(h.expiresAt) <= now);
  useEffect(() => {
    if (!lapsed || sheetOpen) return;
    setMine((mn) => ({ ...mn, last: "expired", holds: mn.holds.map((h) => (h.holdId === lapsed.holdId ? { ...h, expired: true } : h)) }));
  }, [lapsed?.holdId, sheetOpen]);

  useEffect(() => {
    if (!hold && !sheetOpen && pinned === saleId) setPinned(null);
  }, [!!hold, sheetOpen]);

  // Ended sales leave the screen after a while.
  const phase: FlashPhase = sale ? flashPhase(sale, saleNow, clock) : "ended";
  // Read when the phase changes: on the video's clock that is the render for the frame that changed it.
  const phaseFrame = useMemo(() => {
    const pdt = clock === "video" ? room.frames.pdt : null;
    return pdt === null ? null : { pdt, previous: room.frames.previousPdt };
  }, [sale?.id, phase, clock]);
  const endedFor = sale && phase === "ended" ? saleNow - Date.parse(sale.endsAt) : 0;
  useEffect(() => {
    if (sale && phase === "ended" && !hold && !sheetOpen && endedFor > ENDED_VISIBLE_MS) setHidden((h) => new Set(h).add(sale.id));
  }, [sale?.id, phase, endedFor > ENDED_VISIBLE_MS, !!hold, sheetOpen]);

  const openSheet = useCallback(() => setSheetOpen(true), []);
  const closeSheet = useCallback(() => setSheetOpen(false), []);

  if (!sale) return null;
  return {
    sale,
    phase,
    saleNow,
    clock,
    phaseFrame,
    now,
    mine,
    hold,
    pending,
    problem,
    signedIn: user !== null,
    userReady: !!user,
    buy,
    sheetOpen,
    openSheet,
    closeSheet,
    hide: () => setHidden((h) => new Set(h).add(sale.id)),
    onPaid: (holdId, order) => setMine((mn) => ({ ...mn, last: "paid", holds: mn.holds.map((h) => (h.holdId === holdId ? { ...h, paid: true, ...(order ? { orderNumber: order.number } : {}) } : h)) })),
    onExpired: (holdId) => setMine((mn) => ({ ...mn, last: "expired", holds: mn.holds.map((h) => (h.holdId === holdId ? { ...h, expired: true } : h)) })),
  };
}

function Prices({ sale }: { sale: FlashSale }) {
  const { m, fmt } = useI18n();
  const pct = discountPercent(sale.regularPrice, sale.salePrice);
  const salePrice = fmt.money(sale.salePrice, sale.currency);
  const regular = fmt.money(sale.regularPrice, sale.currency);
  return (
    <span class="flash-prices">
      <strong class="flash-price" aria-label={m.flash.salePrice(salePrice)}>
        {salePrice}
      </strong>
      {pct !== null && (
        <>
          <s class="flash-regular" aria-label={m.flash.regularPrice(regular)}>
            {regular}
          </s>
          <span class="flash-off">{m.flash.off(pct)}</span>
        </>
      )}
    </span>
  );
}

/** The flash sale over the player: countdown, then Buy with the stock left, then the answer. */
export function FlashBanner({ c, showId }: { c: FlashController; showId: string }) {
  const { m, fmt } = useI18n();
  const { sale, phase, now, mine, hold } = c;
  const remaining = flashRemaining(sale, phase, c.saleNow);
  const left = Math.max(0, sale.available);
  const soldOut = phase !== "countdown" && left === 0;
  const timerText = phase === "countdown" ? m.flash.startsIn(formatCountdown(remaining)) : phase === "open" ? m.flash.endsIn(formatCountdown(remaining)) : m.flash.ended;
  // Units this buyer holds or bought: at the limit, there is nothing more to tap.
  const owned = mine.holds.filter((h) => h.paid || (!h.expired && Date.parse(h.expiresAt) > now)).length;
  const limitReached = mine.last === "limit_reached" || owned >= sale.perBuyerLimit;
  const paidHold = [...mine.holds].reverse().find((h) => h.paid);

  let result: { text: string; tone: "won" | "info" | "bad" } | null = null;
  if (hold) result = { text: m.flash.won(formatCountdown(Date.parse(hold.expiresAt) - now)), tone: "won" };
  else if (c.problem) result = { text: c.problem, tone: "bad" };
  else if (mine.last === "paid" && paidHold) result = { text: paidHold.orderNumber ? m.flash.paid(paidHold.orderNumber) : m.flash.alreadyPaid, tone: "won" };
  else if (mine.last && mine.last !== "won" && mine.last !== "paid") result = { text: m.flash.outcome[mine.last], tone: mine.last === "not_open" ? "info" : "bad" };

  let action;
  if (!c.signedIn) {
    action = phase === "ended" ? null : (
      <Link class="btn btn-primary btn-block flash-btn" href={signInHref(`/shows/${showId}`)} data-testid="flash-sign-in">
        {m.flash.signInToBuy}
      </Link>
    );
  } else if (hold) {
    action = (
      <button type="button" class="btn btn-primary btn-block flash-btn" onClick={c.openSheet} data-testid="flash-open-checkout">
        {m.flash.completePurchase}
      </button>
    );
  } else if (phase === "ended" || (limitReached && phase === "open")) {
    action = null;
  } else if (soldOut) {
    action = (
      <button type="button" class="btn btn-block flash-btn flash-btn-off" data-testid="flash-buy" disabled>
        {m.flash.soldOut}
      </button>
    );
  } else if (phase === "countdown") {
    action = (
      <button type="button" class="btn btn-block flash-btn flash-btn-off" data-testid="flash-buy" disabled>
        {m.flash.getReady}
      </button>
    );
  } else {
    action = (
      <button type="button" class="btn btn-primary btn-block flash-btn" data-testid="flash-buy" onClick={c.buy} disabled={c.pending || !c.userReady} aria-busy={c.pending}>
        {c.pending ? m.flash.trying : c.problem && mine.pendingKey ? m.flash.retry : m.flash.buy}
        {!c.pending && <span class="btn-sub"> · {fmt.money(sale.salePrice, sale.currency)}</span>}
      </button>
    );
  }

  const pctLeft = sale.quantity > 0 ? (left / sale.quantity) * 100 : 0;
  return (
    <section
      class="flash-banner"
      data-testid="flash-banner"
      data-phase={phase}
      data-clock={c.clock}
      data-frame-pdt={c.phaseFrame?.pdt}
      data-previous-frame-pdt={c.phaseFrame?.previous ?? undefined}
      aria-label={m.flash.kicker}
    >
      <div class="flash-top">
        <span class="flash-kicker">
          <span aria-hidden="true">⚡</span> {m.flash.kicker}
        </span>
        <span class={`flash-timer ${phase === "countdown" ? "flash-timer-big" : ""} ${phase === "countdown" && remaining <= 10_000 ? "flash-timer-hot" : ""}`} data-testid="flash-countdown-text" role="timer" aria-live={phase === "countdown" ? "off" : undefined}>
          {timerText}
        </span>
        {phase === "ended" && !hold && (
          <button type="button" class="icon-btn flash-hide" onClick={c.hide} aria-label={m.flash.hide}>
            ×
          </button>
        )}
      </div>
      <div class="flash-main">
        {sale.image ? <img src={sale.image} alt="" width={52} height={52} /> : <span class="flash-noimg" aria-hidden="true" />}
        <div class="flash-info">
          <span class="flash-title">
            {sale.title} <span class="flash-variant">· {sale.variantTitle}</span>
          </span>
          <Prices sale={sale} />
        </div>
      </div>
      {phase === "ended" ? (
        <p class="flash-note" data-testid="flash-left">
          {m.flash.soldOf(sale.sold, sale.quantity)}
        </p>
      ) : (
        <div class="flash-stock">
          <div class="flash-bar" role="progressbar" aria-valuemin={0} aria-valuemax={sale.quantity} aria-valuenow={left} aria-label={m.flash.stockBar(left, sale.quantity)}>
            <span style={{ width: `${phase === "countdown" ? 100 : pctLeft}%` }} />
          </div>
          <span class="flash-left" data-testid="flash-left">
            {phase === "countdown" ? m.flash.atThisPrice(sale.quantity) : m.flash.left(left)}
          </span>
        </div>
      )}
      {soldOut && sale.held > 0 && phase === "open" && !limitReached && <p class="flash-note">{m.flash.mayReturn}</p>}
      {result && (
        <p class={`flash-result flash-result-${result.tone}`} data-testid="flash-result" role="status" aria-live="assertive">
          {result.text}
        </p>
      )}
      {action}
    </section>
  );
}

/** Paying for a won unit: shipping and card, inside the player, against the hold's clock. */
export function FlashCheckoutSheet({ c }: { c: FlashController }) {
  const { m, fmt } = useI18n();
  const { sale, now } = c;
  const heading = useRef<HTMLHeadingElement>(null);
  const sheet = useRef<HTMLDivElement>(null);
  // The hold being paid stays the same even if it lapses while the sheet is open.
  const [holdId] = useState(() => c.hold?.holdId ?? null);
  const hold = c.mine.holds.find((h) => h.holdId === holdId) ?? null;
  const [order, setOrder] = useState<Order | null>(null);
  const [gone, setGone] = useState<null | "expired" | "paid">(null);
  const onClose = c.closeSheet;
  useSheetKeys(sheet, heading, onClose);
  const left = hold ? Date.parse(hold.expiresAt) - now : 0;
  const timeUp = !order && left <= 0;

  useEffect(() => {
    heading.current?.focus();
  }, [order, gone]);

  if (!hold) return null;
  const price = fmt.money(sale.salePrice, sale.currency);
  const title = order ? m.sheet.confirmed : gone === "expired" || timeUp ? m.flash.holdExpiredTitle : gone === "paid" ? m.sheet.confirmed : m.flash.won(formatCountdown(left));

  return (
    <div class="sheet-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="sheet flash-sheet" role="dialog" aria-modal="true" aria-labelledby="flash-sheet-title" ref={sheet} data-testid="flash-checkout">
        <div class="sheet-handle" aria-hidden="true" />
        <div class="sheet-head">
          <h2 id="flash-sheet-title" ref={heading} tabIndex={-1} class={!order && !gone && !timeUp ? "flash-sheet-timer" : ""}>
            {title}
          </h2>
          <button type="button" class="icon-btn" onClick={onClose} aria-label={m.app.close} data-testid="sheet-close">
            ×
          </button>
        </div>
        {order ? (
          <OrderConfirmation order={order} onClose={onClose} />
        ) : gone ? (
          <div class="sheet-body">
            <p class={gone === "expired" ? "form-error" : "flash"} role="alert">
              {gone === "expired" ? m.flash.outcome.expired : m.flash.alreadyPaid}
            </p>
            <button type="button" class="btn btn-primary btn-block" onClick={onClose}>
              {m.sheet.keepWatching}
            </button>
            {gone === "paid" && (
              <Link class="btn btn-ghost btn-block" href="/orders">
                {m.sheet.viewOrders}
              </Link>
            )}
          </div>
        ) : (
          <>
            <div class="sheet-product flash-sheet-product">
              {sale.image && <img src={sale.image} alt="" width={64} height={64} />}
              <div>
                <p class="flash-sheet-name">
                  {sale.title} · {sale.variantTitle}
                </p>
                <Prices sale={sale} />
              </div>
            </div>
            {timeUp && (
              <p class="form-error" role="alert">
                {m.flash.outcome.expired}
              </p>
            )}
            <CheckoutForm
              purchase={hold.holdId}
              summary={m.flash.payHint}
              total={price}
              payTestId="flash-pay"
              disabled={timeUp}
              submit={(payment) => api.flash.payHold(sale.id, hold.holdId, payment)}
              onPaid={(o) => {
                setOrder(o);
                c.onPaid(hold.holdId, o);
              }}
              onError={(err) => {
                if (!isApiError(err)) return false;
                if (err.code === "hold_expired") {
                  setGone("expired");
                  c.onExpired(hold.holdId);
                  return true;
                }
                if (err.code === "conflict") {
                  // Paid already: the answer to an earlier try was lost on the way.
                  setGone("paid");
                  c.onPaid(hold.holdId, null);
                  return true;
                }
                if (err.code === "not_found") {
                  setGone("expired");
                  c.onExpired(hold.holdId);
                  return true;
                }
                return false;
              }}
            />
          </>
        )}
      </div>
    </div>
  );
}
