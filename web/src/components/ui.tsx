import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { useI18n } from "../i18n/index.tsx";
import { copyText } from "../lib/clipboard.ts";

export function Spinner({ label }: { label?: string }) {
  const { m } = useI18n();
  return (
    <div class="spinner" role="status">
      <span class="spinner-dot" aria-hidden="true" />
      <span>{label ?? m.app.loading}</span>
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { m, errorText } = useI18n();
  return (
    <div class="error-box" role="alert">
      <p>{errorText(error)}</p>
      {onRetry && (
        <button type="button" class="btn btn-small" onClick={onRetry}>
          {m.app.retry}
        </button>
      )}
    </div>
  );
}

/** A refusal next to the control that caused it (nothing when there is none). */
export function ErrorLine({ text, small }: { text: string | null | undefined; small?: boolean }) {
  if (!text) return null;
  return small ? (
    <small class="field-error" role="alert">
      {text}
    </small>
  ) : (
    <p class="field-error" role="alert">
      {text}
    </p>
  );
}

export function Price({ minor, currency }: { minor: number; currency: string }) {
  const { fmt } = useI18n();
  return <span class="price">{fmt.money(minor, currency)}</span>;
}

/** A labelled form control with its hint and error, wired with aria-describedby / aria-invalid. */
export function Field({
  id,
  label,
  hint,
  error,
  children,
  class: cls,
}: {
  id: string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  children: (a11y: { id: string; "aria-invalid"?: "true"; "aria-describedby"?: string }) => JSX.Element;
  class?: string;
}) {
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field ${error ? "field-invalid" : ""} ${cls ?? ""}`}>
      <label for={id}>{label}</label>
      {children({ id, "aria-describedby": described, ...(error ? { "aria-invalid": "true" as const } : {}) })}
      {hint && (
        <small id={`${id}-hint`} class="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  );
}

export function CopyButton({ text, label }: { text: string; label?: string }) {
  const { m } = useI18n();
  const [copied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const copy = async () => {
    await copyText(text);
    setCopied(true);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" class="btn btn-small" onClick={copy} aria-label={label ? `${m.app.copy}: ${label}` : undefined}>
      <span aria-live="polite">{copied ? m.app.copied : m.app.copy}</span>
    </button>
  );
}

/** Loads something async, with loading / error / reload. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ data: s.data, loading: true }));
    load(ac.signal).then(
      (data) => !ac.signal.aborted && setState({ data, loading: false }),
      (error) => !ac.signal.aborted && setState({ error, loading: false }),
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1), setData: (data: T) => setState({ data, loading: false }) };
}

/** Sets the document title while a page is shown ("Autumn drop · Vetrina"). */
export function useTitle(title: string | null | undefined) {
  useEffect(() => {
    document.title = title ? `${title} · Vetrina` : "Vetrina";
  }, [title]);
}
