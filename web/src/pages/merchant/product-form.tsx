import { useEffect, useRef, useState } from "preact/hooks";
import { externalUrlProblem, type Product, type ProductInput } from "../../../../src/shared/contracts/catalog.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { Field } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { currencyDigits, minorToDecimal, parsePrice } from "../../lib/money.ts";
import { FilePicker, useImageUpload } from "./image-upload.tsx";

const CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "JPY", "CNY"];
const MAX_OPTIONS = 3;

interface Row {
  key: number;
  id?: string;
  sku: string;
  values: string[];
  price: string;
  stock: string;
  /** the stock this form loaded: the server applies the change as a delta, so sales made meanwhile are kept */
  loadedStock?: number;
}

let rowSeq = 0;
const newRow = (optionCount: number): Row => ({ key: ++rowSeq, sku: "", values: Array.from({ length: optionCount }, () => ""), price: "", stock: "0" });

function rowsFrom(product: Product | null): { optionNames: string[]; rows: Row[] } {
  if (!product) return { optionNames: [], rows: [newRow(0)] };
  const optionNames: string[] = [];
  for (const v of product.variants) for (const k of Object.keys(v.options)) if (!optionNames.includes(k)) optionNames.push(k);
  const digits = currencyDigits(product.currency);
  return {
    optionNames,
    rows: product.variants.map((v) => ({
      key: ++rowSeq,
      id: v.id,
      sku: v.sku ?? "",
      values: optionNames.map((n) => v.options[n] ?? ""),
      price: minorToDecimal(v.price, digits),
      stock: String(v.stock),
      loadedStock: v.stock,
    })),
  };
}

type Errors = Record<string, string>;

export function ProductForm({ product, onSaved, onCancel }: { product: Product | null; onSaved(p: Product): void; onCancel(): void }) {
  const { m, fmt, errorText } = useI18n();
  const initial = rowsFrom(product);
  const [title, setTitle] = useState(product?.title ?? "");
  const [description, setDescription] = useState(product?.description ?? "");
  const [currency, setCurrency] = useState(product?.currency ?? "EUR");
  const [status, setStatus] = useState<"active" | "archived">(product?.status ?? "active");
  const [images, setImages] = useState<string[]>(product?.images ?? []);
  // A partner store's product: sold on the store's page (its stock is the store's), shown and clicked here.
  const [external, setExternal] = useState(product?.kind === "external");
  const [externalUrl, setExternalUrl] = useState(product?.externalUrl ?? "");
  const [storeName, setStoreName] = useState(product?.storeName ?? "");
  const [optionNames, setOptionNames] = useState<string[]>(initial.optionNames);
  const [rows, setRows] = useState<Row[]>(initial.rows);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uploader = useImageUpload();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const currencies = CURRENCIES.includes(currency) ? CURRENCIES : [currency, ...CURRENCIES];

  const setRow = (key: number, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const setValue = (key: number, i: number, value: string) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, values: r.values.map((v, j) => (j === i ? value : v)) } : r)));

  const addOption = () => {
    setOptionNames((ns) => [...ns, ""]);
    setRows((rs) => rs.map((r) => ({ ...r, values: [...r.values, ""] })));
  };
  const removeOption = (i: number) => {
    setOptionNames((ns) => ns.filter((_, j) => j !== i));
    setRows((rs) => rs.map((r) => ({ ...r, values: r.values.filter((_, j) => j !== i) })));
  };

  function validate(): { errors: Errors; input?: ProductInput } {
    const es: Errors = {};
    if (!title.trim()) es.title = m.products.required;
    if (external) {
      if (!externalUrl.trim()) es.externalUrl = m.products.required;
      else if (externalUrlProblem(externalUrl.trim())) es.externalUrl = m.products.urlInvalid;
      if (!storeName.trim()) es.storeName = m.products.required;
    }
    const names = optionNames.map((n) => n.trim());
    names.forEach((n, i) => {
      if (!n) es[`opt-${i}`] = m.products.required;
      else if (names.findIndex((x) => x.toLowerCase() === n.toLowerCase()) !== i) es[`opt-${i}`] = m.products.optionNameDuplicate;
    });
    const combos = new Map<string, number>();
    const variants: ProductInput["variants"] = [];
    for (const r of rows) {
      const options: Record<string, string> = {};
      r.values.forEach((v, i) => {
        if (!v.trim()) es[`val-${r.key}-${i}`] = m.products.required;
        else options[names[i]!] = v.trim();
      });
      const combo = JSON.stringify(r.values.map((v) => v.trim().toLowerCase()));
      if (combos.has(combo)) es[`row-${r.key}`] = m.products.duplicateVariant;
      combos.set(combo, r.key);
      const price = parsePrice(r.price, currency);
      if (!price.ok)
        es[`price-${r.key}`] =
          price.reason === "empty"
            ? m.products.required
            : price.reason === "ambiguous"
              ? m.products.priceAmbiguous
              : price.reason === "too_precise"
                ? m.products.priceTooPrecise(currencyDigits(currency))
                : price.reason === "too_large"
                  ? m.products.priceTooLarge
                  : m.products.priceInvalid;
      const stock = external ? 0 : r.stock.trim() === "" ? NaN : Number(r.stock);
      if (!Number.isInteger(stock) || stock < 0 || stock > 10_000_000) es[`stock-${r.key}`] = m.products.stockInvalid;
      if (price.ok) variants.push({ ...(r.id && !external ? { id: r.id, expectedStock: r.loadedStock } : r.id ? { id: r.id } : {}), sku: r.sku.trim() || null, options, price: price.minor, stock });
    }
    if (Object.keys(es).length) return { errors: es };
    const kind = external ? { kind: "external" as const, externalUrl: externalUrl.trim(), storeName: storeName.trim() } : { kind: "own" as const };
    return { errors: es, input: { title: title.trim(), description: description.trim(), currency, images, status, variants, ...kind } };
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    setProblem(null);
    const { errors: es, input } = validate();
    setErrors(es);
    if (!input) {
      setProblem(m.products.fixFields);
      return;
    }
    setBusy(true);
    try {
      onSaved(product ? await api.merchant.updateProduct(product.id, input) : await api.merchant.createProduct(input));
    } catch (err) {
      const detail = isApiError(err) ? Object.entries(err.fieldErrors()).map(([k, v]) => `${k}: ${v}`).join("; ") : "";
      setProblem(detail ? `${errorText(err)} (${detail})` : errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const preview = (r: Row) => {
    const p = parsePrice(r.price, currency);
    return p.ok ? fmt.money(p.minor, currency) : null;
  };

  return (
    <form class="card form product-form" onSubmit={submit} noValidate aria-labelledby="product-form-title">
      <h2 id="product-form-title" ref={heading} tabIndex={-1}>
        {product ? m.products.formEdit(product.title) : m.products.formNew}
      </h2>
      <Field id="p-title" label={m.products.fTitle} error={errors.title}>
        {(a) => <input {...a} data-testid="product-title" value={title} maxLength={140} required onInput={(e) => setTitle(e.currentTarget.value)} />}
      </Field>
      <Field id="p-description" label={m.products.fDescription}>
        {(a) => <textarea {...a} rows={3} maxLength={5000} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />}
      </Field>
      <div class="row-2">
        <Field id="p-currency" label={m.products.fCurrency}>
          {(a) => (
            <select {...a} value={currency} onChange={(e) => setCurrency(e.currentTarget.value)} data-testid="product-currency">
              {currencies.map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="p-status" label={m.products.fStatus}>
          {(a) => (
            <select {...a} value={status} onChange={(e) => setStatus(e.currentTarget.value as "active" | "archived")}>
              <option value="active">{m.products.active}</option>
              <option value="archived">{m.products.archived}</option>
            </select>
          )}
        </Field>
      </div>

      <fieldset class="external-fields">
        <label class="checkbox">
          <input type="checkbox" checked={external} onChange={(e) => setExternal(e.currentTarget.checked)} data-testid="product-external" />
          {m.products.fExternal}
        </label>
        <p class="hint">{m.products.externalHint}</p>
        {external && (
          <>
            <Field id="p-external-url" label={m.products.fExternalUrl} error={errors.externalUrl}>
              {(a) => <input {...a} type="url" inputMode="url" data-testid="product-external-url" value={externalUrl} maxLength={2000} placeholder="https://" onInput={(e) => setExternalUrl(e.currentTarget.value)} />}
            </Field>
            <Field id="p-store-name" label={m.products.fStoreName} error={errors.storeName}>
              {(a) => <input {...a} data-testid="product-store-name" value={storeName} maxLength={60} placeholder={m.products.storeNamePlaceholder} onInput={(e) => setStoreName(e.currentTarget.value)} />}
            </Field>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>{m.products.images}</legend>
        <ul class="image-previews">
          {images.map((url, i) => (
            <li key={url}>
              <img src={url} alt="" />
              <button type="button" class="icon-btn remove" aria-label={m.products.removeImage(i + 1)} onClick={() => setImages((imgs) => imgs.filter((x) => x !== url))}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <FilePicker
          id="p-images"
          label={uploader.busy ? m.products.uploading : m.products.addImages}
          multiple
          disabled={uploader.busy || images.length >= 10}
          onFiles={async (files) => {
            const urls = await uploader.upload(Array.from(files).slice(0, 10 - images.length));
            setImages((imgs) => [...imgs, ...urls].slice(0, 10));
          }}
        />
        <small class="hint">{m.products.imagesHint}</small>
        {uploader.errors.map((e) => (
          <p key={e} class="field-error" role="alert">
            {e}
          </p>
        ))}
      </fieldset>

      <fieldset>
        <legend>{m.products.options}</legend>
        <p class="hint">{m.products.optionsHint}</p>
        <div class="option-names" hidden={optionNames.length === 0}>
          {optionNames.map((n, i) => (
            <div key={i} class="input-row">
              <Field id={`opt-${i}`} label={m.products.optionName(i + 1)} error={errors[`opt-${i}`]}>
                {(a) => <input {...a} value={n} maxLength={30} placeholder={m.products.optionExamples[i] ?? ""} onInput={(e) => setOptionNames((ns) => ns.map((x, j) => (j === i ? e.currentTarget.value : x)))} />}
              </Field>
              <button type="button" class="icon-btn" aria-label={m.products.removeOption(n || String(i + 1))} onClick={() => removeOption(i)}>
                ×
              </button>
            </div>
          ))}
        </div>
        {optionNames.length < MAX_OPTIONS && (
          <button type="button" class="btn btn-small btn-ghost" onClick={addOption}>
            + {m.products.addOption}
          </button>
        )}
      </fieldset>

      <fieldset>
        <legend>{m.products.variantsTitle}</legend>
        <table class="variants-table">
          <thead>
            <tr>
              {optionNames.map((n, i) => (
                <th key={i} scope="col">
                  {n || m.products.optionName(i + 1)}
                </th>
              ))}
              <th scope="col">{m.products.price(currency)}</th>
              {!external && <th scope="col">{m.products.stockCol}</th>}
              <th scope="col">{m.products.sku}</th>
              <th scope="col">
                <span class="visually-hidden">{m.app.close}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r, ri) => {
              const cell = (name: string, label: string, input: preact.JSX.Element, hint?: string | null) => (
                <td data-label={label}>
                  {input}
                  {hint && <small class="hint">{hint}</small>}
                  {errors[name] && (
                    <small class="field-error" id={`${name}-err`}>
                      {errors[name]}
                    </small>
                  )}
                </td>
              );
              return (
                <tr key={r.key} class={errors[`row-${r.key}`] ? "row-invalid" : ""} data-testid="variant-row">
                  {optionNames.map((n, i) =>
                    cell(
                      `val-${r.key}-${i}`,
                      n || m.products.optionName(i + 1),
                      <input
                        aria-label={m.products.optionValue(n || String(i + 1), ri + 1)}
                        aria-invalid={errors[`val-${r.key}-${i}`] ? "true" : undefined}
                        value={r.values[i] ?? ""}
                        maxLength={60}
                        onInput={(e) => setValue(r.key, i, e.currentTarget.value)}
                      />,
                    ),
                  )}
                  {cell(
                    `price-${r.key}`,
                    m.products.price(currency),
                    <input
                      aria-label={m.products.priceOf(ri + 1)}
                      aria-invalid={errors[`price-${r.key}`] ? "true" : undefined}
                      data-testid="variant-price"
                      inputMode="decimal"
                      value={r.price}
                      placeholder={minorToDecimal(0, currencyDigits(currency))}
                      onInput={(e) => setRow(r.key, { price: e.currentTarget.value })}
                    />,
                    errors[`price-${r.key}`] ? null : preview(r),
                  )}
                  {!external && cell(
                    `stock-${r.key}`,
                    m.products.stockCol,
                    <input
                      aria-label={m.products.stockOf(ri + 1)}
                      aria-invalid={errors[`stock-${r.key}`] ? "true" : undefined}
                      data-testid="variant-stock"
                      type="number"
                      inputMode="numeric"
                      min={0}
                      step={1}
                      value={r.stock}
                      onInput={(e) => setRow(r.key, { stock: e.currentTarget.value })}
                    />,
                  )}
                  {cell(`sku-${r.key}`, m.products.sku, <input aria-label={m.products.skuOf(ri + 1)} value={r.sku} maxLength={64} onInput={(e) => setRow(r.key, { sku: e.currentTarget.value })} />)}
                  <td class="row-actions">
                    {/* A removed variant is retired by the server, not deleted: past orders still refer to it. */}
                    {rows.length > 1 && (
                      <button type="button" class="icon-btn" aria-label={m.products.removeVariant(ri + 1)} onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}>
                        ×
                      </button>
                    )}
                    {errors[`row-${r.key}`] && <small class="field-error">{errors[`row-${r.key}`]}</small>}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <button type="button" class="btn btn-small btn-ghost" onClick={() => setRows((rs) => [...rs, newRow(optionNames.length)])} data-testid="add-variant">
          + {m.products.addVariant}
        </button>
      </fieldset>

      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy || uploader.busy} data-testid="save-product">
          {busy ? m.app.saving : m.products.save}
        </button>
        <button type="button" class="btn btn-ghost" onClick={onCancel}>
          {m.app.cancel}
        </button>
      </div>
    </form>
  );
}
