import { useEffect, useRef, useState } from "preact/hooks";
import type { ShareKind } from "../../../src/shared/contracts/sharing.ts";
import { api } from "../api/endpoints.ts";
import { useI18n } from "../i18n/index.tsx";
import { copyText } from "../lib/clipboard.ts";

const TOAST_MS = 3000;

/**
 * Share a show, a product or a short video: the link carries the signed-in sharer's token (a plain link otherwise).
 * The phone's share sheet when there is one, else the link is copied; a toast says what happened.
 */
export function ShareButton({ kind, id, title, class: cls = "icon-btn" }: { kind: ShareKind; id: string; title: string; class?: string }) {
  const { m } = useI18n();
  const [toast, setToast] = useState<{ text: string; url?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const say = (t: { text: string; url?: string }, ms = TOAST_MS) => {
    setToast(t);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setToast(null), ms);
  };

  const share = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const link = await api.shares.create({ kind, id });
      // The address this browser uses for the site: what the person it is sent to can open.
      const url = location.origin + link.path;
      if (typeof navigator.share === "function") {
        try {
          await navigator.share({ title: m.share.text(title), url });
          return;
        } catch (err) {
          if (err instanceof DOMException && err.name === "AbortError") return;
          // No share sheet after all: copy instead.
        }
      }
      if (await copyText(url)) say({ text: m.share.copied, url });
      else say({ text: m.share.copyThis, url }, 10_000);
    } catch {
      say({ text: m.share.failed });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" class={`${cls} share-btn`} onClick={() => void share()} aria-label={m.share.button} title={m.share.button} data-testid="share-button" disabled={busy}>
        <ShareIcon />
      </button>
      {toast && (
        <p class="toast share-toast" role="status" data-testid="share-toast" data-url={toast.url}>
          {toast.text}
          {toast.url && toast.text === m.share.copyThis && <span class="share-toast-url">{toast.url}</span>}
        </p>
      )}
    </>
  );
}

export function ShareIcon() {
  return (
    <svg width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
      <path d="M4 12v7a1 1 0 0 0 1 1h14a1 1 0 0 0 1-1v-7" />
      <path d="M12 3v12" />
      <path d="M7 8l5-5 5 5" />
    </svg>
  );
}
