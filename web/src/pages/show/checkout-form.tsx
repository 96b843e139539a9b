import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { ShippingAddress, type CardInput, type Order } from "../../../../src/shared/contracts/checkout.ts";
import { isApiError } from "../../api/client.ts";
import { Field } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { uuid } from "../../lib/ids.ts";
import { storage } from "../../lib/storage.ts";

const SHIPPING_KEY = "vetrina.shipping";

interface Form {
  name: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  country: string;
  cardNumber: string;
  expMonth: string;
  expYear: string;
  cvc: string;
}
type FieldName = keyof Form;

function savedShipping(): Partial<Form> {
  const raw = storage.get(SHIPPING_KEY);
  if (!raw) return {};
  try {
    const p = ShippingAddress.safeParse(JSON.parse(raw));
    return p.success ? { ...p.data, line2: p.data.line2 ?? "" } : {};
  } catch {
    return {};
  }
}

/** Groups card digits in fours as the buyer types, the way the card is printed. */
function formatCardNumber(s: string): string {
  return s
    .replace(/\D/g, "")
    .slice(0, 19)
    .replace(/(\d{4})(?=\d)/g, "$1 ");
}

const TEST_CARDS = [
  ["4242 4242 4242 4242", "testCardOk"],
  ["4000 0000 0000 0002", "testCardDeclined"],
  ["4000 0000 0000 9995", "testCardFunds"],
  ["4000 0000 0000 0119", "testCardError"],
] as const;

export interface Payment {
  shipping: ShippingAddress;
  card: CardInput;
}

/**
 * Shipping and card, then one POST (`submit`: buy now, or paying a flash-sale hold). The
 * Idempotency-Key is made once per purchase attempt and reused when the same purchase is retried
 * after an answer we never got (network drop, server failure), so a retry can never charge twice;
 * any definite answer, or a change to the purchase, starts a new attempt.
 */
export function CheckoutForm({
  purchase,
  summary,
  total,
  submit: send,
  onPaid,
  onError,
  payTestId = "pay-button",
  disabled = false,
}: {
  /** identifies what is being bought: a different one starts a new attempt (new key) */
  purchase: string;
  summary: ComponentChildren;
  /** the amount on the pay button, formatted */
  total: string;
  submit(payment: Payment, idempotencyKey: string): Promise<Order>;
  onPaid(order: Order): void;
  /** a definite error the caller handles itself (true); otherwise it is shown in the form */
  onError?(err: unknown): boolean;
  payTestId?: string;
  disabled?: boolean;
}) {
  const { m, errorText } = useI18n();
  const [form, setForm] = useState<Form>(() => ({ name: "", line1: "", line2: "", city: "", postalCode: "", country: "", cardNumber: "", expMonth: "", expYear: "", cvc: "", ...savedShipping() }));
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const attempt = useRef<{ key: string; fingerprint: string } | null>(null);

  const set = (k: FieldName) => (e: { currentTarget: HTMLInputElement }) => {
    let v = e.currentTarget.value;
    if (k === "country") v = v.toUpperCase().replace(/[^A-Z]/g, "").slice(0, 2);
    if (k === "cardNumber") v = formatCardNumber(v);
    if (k === "expMonth" || k === "expYear" || k === "cvc") v = v.replace(/\D/g, "");
    setForm((f) => ({ ...f, [k]: v }));
    if (errors[k]) setErrors((es) => ({ ...es, [k]: undefined }));
  };

  function validate(f: Form): Partial<Record<FieldName, string>> {
    const es: Partial<Record<FieldName, string>> = {};
    for (const k of ["name", "line1", "city", "postalCode", "country", "cardNumber", "expMonth", "expYear", "cvc"] as const) if (!f[k].trim()) es[k] = m.sheet.required;
    if (f.country && !/^[A-Z]{2}$/.test(f.country)) es.country = m.sheet.invalidCountry;
    const digits = f.cardNumber.replace(/\D/g, "");
    if (digits && (digits.length < 12 || digits.length > 19)) es.cardNumber = m.sheet.invalidCard;
    const month = Number(f.expMonth);
    const year = Number(f.expYear);
    if (f.expMonth && !(month >= 1 && month <= 12)) es.expMonth = m.sheet.invalidMonth;
    if (f.expYear && !(f.expYear.length === 4 && year >= 2000 && year <= 2100)) es.expYear = m.sheet.invalidYear;
    if (!es.expMonth && !es.expYear && f.expMonth && f.expYear) {
      const now = new Date();
      if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) es.expYear = m.sheet.expired;
    }
    if (f.cvc && !/^\d{3,4}$/.test(f.cvc)) es.cvc = m.sheet.invalidCvc;
    return es;
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    setProblem(null);
    const es = validate(form);
    setErrors(es);
    const firstBad = (Object.keys(es) as FieldName[]).find((k) => es[k]);
    if (firstBad) {
      setProblem(m.sheet.fixFields);
      document.getElementById(`co-${firstBad}`)?.focus();
      return;
    }
    const body: Payment = {
      shipping: {
        name: form.name.trim(),
        line1: form.line1.trim(),
        ...(form.line2.trim() ? { line2: form.line2.trim() } : {}),
        city: form.city.trim(),
        postalCode: form.postalCode.trim(),
        country: form.country,
      },
      card: { number: form.cardNumber.replace(/\D/g, ""), expMonth: Number(form.expMonth), expYear: Number(form.expYear), cvc: form.cvc },
    };
    const fingerprint = JSON.stringify([purchase, body]);
    if (!attempt.current || attempt.current.fingerprint !== fingerprint) attempt.current = { key: uuid(), fingerprint };
    setBusy(true);
    try {
      const order = await send(body, attempt.current.key);
      attempt.current = null;
      storage.set(SHIPPING_KEY, JSON.stringify(body.shipping));
      onPaid(order);
    } catch (err) {
      // Keep the key only when we do not know what happened, so that the retry is the same attempt.
      if (!(isApiError(err) && err.outcomeUnknown)) attempt.current = null;
      if (onError?.(err)) return;
      if (isApiError(err) && err.code === "validation_failed") {
        const map: Record<string, FieldName> = {
          "shipping.name": "name",
          "shipping.line1": "line1",
          "shipping.line2": "line2",
          "shipping.city": "city",
          "shipping.postalCode": "postalCode",
          "shipping.country": "country",
          "card.number": "cardNumber",
          "card.expMonth": "expMonth",
          "card.expYear": "expYear",
          "card.cvc": "cvc",
        };
        const fe: Partial<Record<FieldName, string>> = {};
        for (const [path, msg] of Object.entries(err.fieldErrors())) {
          const k = map[path];
          if (k) fe[k] = msg;
        }
        setErrors(fe);
      }
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const input = (k: FieldName, label: string, opts: { testid?: string; autocomplete?: string; inputMode?: "numeric" | "text"; maxLength?: number; hint?: string; placeholder?: string; optional?: boolean; cls?: string }) => (
    <Field id={`co-${k}`} label={label} error={errors[k]} hint={opts.hint} class={opts.cls}>
      {(a) => (
        <input
          {...a}
          data-testid={opts.testid}
          type="text"
          value={form[k]}
          onInput={set(k)}
          autocomplete={opts.autocomplete}
          inputMode={opts.inputMode}
          maxLength={opts.maxLength}
          placeholder={opts.placeholder}
          required={!opts.optional}
          spellcheck={false}
        />
      )}
    </Field>
  );

  return (
    <form class="sheet-body checkout" onSubmit={submit} noValidate>
      <p class="checkout-summary">{summary}</p>
      <fieldset>
        <legend>{m.sheet.shipping}</legend>
        {input("name", m.sheet.name, { testid: "ship-name", autocomplete: "shipping name", maxLength: 100 })}
        {input("line1", m.sheet.line1, { testid: "ship-line1", autocomplete: "shipping address-line1", maxLength: 200 })}
        {input("line2", m.sheet.line2, { testid: "ship-line2", autocomplete: "shipping address-line2", maxLength: 200, optional: true })}
        <div class="row-2">
          {input("city", m.sheet.city, { testid: "ship-city", autocomplete: "shipping address-level2", maxLength: 100 })}
          {input("postalCode", m.sheet.postalCode, { testid: "ship-postal", autocomplete: "shipping postal-code", maxLength: 20 })}
        </div>
        {input("country", m.sheet.country, { testid: "ship-country", autocomplete: "shipping country", maxLength: 2, hint: m.sheet.countryHint, placeholder: "IT", cls: "field-short" })}
      </fieldset>
      <fieldset>
        <legend>{m.sheet.payment}</legend>
        {input("cardNumber", m.sheet.cardNumber, { testid: "card-number", autocomplete: "cc-number", inputMode: "numeric", maxLength: 23, placeholder: "4242 4242 4242 4242" })}
        <div class="row-3">
          {input("expMonth", m.sheet.expMonth, { testid: "card-exp-month", autocomplete: "cc-exp-month", inputMode: "numeric", maxLength: 2, placeholder: "12" })}
          {input("expYear", m.sheet.expYear, { testid: "card-exp-year", autocomplete: "cc-exp-year", inputMode: "numeric", maxLength: 4, placeholder: "2030" })}
          {input("cvc", m.sheet.cvc, { testid: "card-cvc", autocomplete: "cc-csc", inputMode: "numeric", maxLength: 4, placeholder: "123" })}
        </div>
        <details class="test-cards" open>
          <summary>{m.sheet.testCards}</summary>
          <ul>
            {TEST_CARDS.map(([n, k]) => (
              <li key={n}>
                <code>{n}</code> — {m.sheet[k]}
              </li>
            ))}
          </ul>
          <p class="muted">{m.sheet.testCardAny}</p>
        </details>
      </fieldset>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="btn btn-primary btn-block pay-btn" data-testid={payTestId} disabled={busy || disabled} aria-busy={busy}>
        {busy ? m.sheet.paying : m.sheet.pay(total)}
      </button>
    </form>
  );
}
