import { useEffect, useState } from "preact/hooks";
import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorLine } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import "./notifications.css";

/** The signed-in user's reminders, loaded once per user for every "Remind me" on the page. */
let reminders: { userId: string; ids: Set<string>; loading: Promise<void> | null } | null = null;
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

function useReminders(userId: string | undefined): Set<string> | null {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    if (userId && reminders?.userId !== userId) {
      const r: NonNullable<typeof reminders> = { userId, ids: new Set(), loading: null };
      reminders = r;
      r.loading = api.notify.reminders().then(
        (res) => {
          res.showIds.forEach((id) => r.ids.add(id));
          r.loading = null;
          changed();
        },
        () => {
          r.loading = null;
          changed();
        },
      );
    }
    return () => void listeners.delete(l);
  }, [userId]);
  return userId && reminders?.userId === userId && !reminders.loading ? reminders.ids : null;
}

/** "Remind me" and "Add to calendar" for an upcoming show. */
export function ShowActions({ show, dark }: { show: Pick<ShowSummary, "id" | "status">; dark?: boolean }) {
  const { m, errorText } = useI18n();
  const { user } = useSession();
  const ids = useReminders(user?.id);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (show.status !== "scheduled") return null;
  const reminded = !!ids?.has(show.id);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = reminded ? await api.notify.unremind(show.id) : await api.notify.remind(show.id);
      if (r.reminded) ids?.add(show.id);
      else ids?.delete(show.id);
      changed();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={`show-actions ${dark ? "show-actions-dark" : ""}`}>
      {user === null ? (
        <Link class="btn btn-small" href={signInHref(location.pathname)} data-testid="remind-sign-in">
          <BellIcon /> {m.notify.remind}
        </Link>
      ) : (
        <button type="button" class={`btn btn-small ${reminded ? "btn-on" : ""}`} aria-pressed={reminded} disabled={busy || !ids} onClick={() => void toggle()} data-testid="remind">
          <BellIcon /> {reminded ? m.notify.reminded : m.notify.remind}
        </button>
      )}
      <a class="btn btn-small" href={api.notify.calendarUrl(show.id)} download data-testid="add-to-calendar">
        <CalendarIcon /> {m.notify.addToCalendar}
      </a>
      <ErrorLine text={error} small />
    </div>
  );
}

export function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="currentColor">
      <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z" />
    </svg>
  );
}

function CalendarIcon() {
  return (
    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" fill="currentColor">
      <path d="M7 2h2v2h6V2h2v2h3a1 1 0 0 1 1 1v15a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h3V2zm12 8H5v9h14v-9z" />
    </svg>
  );
}
