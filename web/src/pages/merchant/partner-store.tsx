import { useState } from "preact/hooks";
import { api } from "../../api/endpoints.ts";
import { CopyButton, ErrorBox, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";

/**
 * What a merchant enters in its partner store (e.g. its JD.com shop) so the store can report sales of
 * external products: the postback URL, the merchant header and the signing secret, shown once when made.
 */
export function PartnerStorePanel() {
  const { m, fmt, errorText } = useI18n();
  const settings = useAsync(() => api.merchant.partner(), []);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const rotate = async () => {
    if (settings.data?.hasSecret && !confirm(m.partner.rotateConfirm)) return;
    setBusy(true);
    setProblem(null);
    try {
      const r = await api.merchant.rotatePartnerSecret();
      setSecret(r.secret);
      const { secret: _, ...rest } = r;
      settings.setData(rest);
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const s = settings.data;
  return (
    <details class="card partner-store" data-testid="partner-store">
      <summary>
        <strong>{m.partner.title}</strong>
      </summary>
      <p class="hint">{m.partner.intro(s?.attributionDays ?? 7)}</p>
      {settings.error != null && <ErrorBox error={settings.error} onRetry={settings.reload} />}
      {!s && settings.loading && <Spinner />}
      {s && (
        <>
          <div class="field">
            <label for="partner-postback-url">{m.partner.postbackUrl}</label>
            <div class="input-row">
              <input id="partner-postback-url" readOnly value={s.postbackUrl} class="mono" onFocus={(e) => e.currentTarget.select()} />
              <CopyButton text={s.postbackUrl} label={m.partner.postbackUrl} />
            </div>
          </div>
          <div class="field">
            <label for="partner-merchant">{m.partner.merchantHeader}</label>
            <div class="input-row">
              <input id="partner-merchant" readOnly value={s.merchantHeader} class="mono" onFocus={(e) => e.currentTarget.select()} />
              <CopyButton text={s.merchantHeader} label={m.partner.merchantHeader} />
            </div>
          </div>
          {secret ? (
            <div class="field">
              <label for="partner-secret">{m.partner.secret}</label>
              <div class="input-row">
                <input id="partner-secret" data-testid="partner-secret" readOnly value={secret} class="mono" autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
                <CopyButton text={secret} label={m.partner.secret} />
              </div>
              <small class="hint" role="status">
                {m.partner.secretOnce}
              </small>
            </div>
          ) : (
            <p class="muted">{s.hasSecret && s.secretCreatedAt ? m.partner.secretSince(fmt.when(s.secretCreatedAt)) : m.partner.noSecret}</p>
          )}
          <button type="button" class={`btn btn-small ${s.hasSecret ? "btn-danger-ghost" : "btn-primary"}`} onClick={rotate} disabled={busy} data-testid="partner-rotate">
            {s.hasSecret ? m.partner.rotate : m.partner.create}
          </button>
          {problem && (
            <p class="form-error" role="alert">
              {problem}
            </p>
          )}
        </>
      )}
    </details>
  );
}
