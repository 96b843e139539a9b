import { useState } from "preact/hooks";
import type { Notification, NotificationSettings } from "../../../../src/shared/contracts/notifications.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link, navigate } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { setUnread, useNotificationFeed } from "./feed.ts";
import "./notifications.css";

function Item({ n, onOpen }: { n: Notification; onOpen(n: Notification): void }) {
  const { m, fmt } = useI18n();
  const text = n.kind === "show_scheduled" ? m.notify.scheduled(n.hostName, n.showTitle) : n.kind === "show_starting_soon" ? m.notify.startingSoon(n.showTitle) : m.notify.live(n.hostName, n.showTitle);
  return (
    <li>
      <Link
        href={n.url}
        class={`notification ${n.readAt ? "" : "notification-unread"}`}
        data-testid="notification"
        data-kind={n.kind}
        onClick={(e) => {
          e.preventDefault();
          onOpen(n);
        }}
      >
        <span class={`notification-dot notification-${n.kind}`} aria-hidden="true" />
        <span class="notification-text">
          <strong>{text}</strong>
          <span class="muted">
            {n.kind === "show_live" ? m.player.live : m.home.startsAt(fmt.when(n.scheduledAt))} · {n.merchantName}
          </span>
          <time class="muted small" dateTime={n.createdAt}>
            {fmt.dateTime(n.createdAt)}
          </time>
        </span>
        {!n.readAt && <span class="visually-hidden">{m.notify.unread}</span>}
      </Link>
    </li>
  );
}

function EmailSetting() {
  const { m, locale, errorText } = useI18n();
  const settings = useAsync(() => api.notify.settings(), []);
  const [state, setState] = useState<{ busy: boolean; error: string | null; saved: boolean }>({ busy: false, error: null, saved: false });
  const s = settings.data;
  const save = async (email: boolean) => {
    setState({ busy: true, error: null, saved: false });
    try {
      const next: NotificationSettings = await api.notify.setSettings({ email, locale });
      settings.setData(next);
      setState({ busy: false, error: null, saved: true });
    } catch (err) {
      setState({ busy: false, error: errorText(err), saved: false });
    }
  };
  return (
    <section class="card notify-settings" aria-labelledby="notify-email">
      <h2 id="notify-email">{m.notify.emailTitle}</h2>
      {!s ? (
        settings.error ? <ErrorBox error={settings.error} onRetry={settings.reload} /> : <Spinner />
      ) : (
        <>
          <label class="check">
            <input type="checkbox" checked={s.email} disabled={state.busy || (!s.emailAvailable && !s.email)} onChange={(e) => void save(e.currentTarget.checked)} data-testid="email-toggle" />
            <span>{m.notify.emailToggle}</span>
          </label>
          <p class="muted small">{s.emailAvailable ? m.notify.emailHelp : m.notify.emailUnavailable}</p>
          {state.saved && (
            <p class="ok small" role="status">
              {m.notify.saved}
            </p>
          )}
          <ErrorLine text={state.error} small />
        </>
      )}
    </section>
  );
}

export function NotificationsPage() {
  const { m, errorText } = useI18n();
  const { user } = useSession();
  useTitle(m.notify.title);
  const feed = useNotificationFeed(user?.id);
  const first = useAsync(() => (user ? api.notify.list() : Promise.resolve(null)), [user?.id]);
  const [more, setMore] = useState<{ items: Notification[]; cursor: string | null; loading: boolean } | null>(null);
  const [readIds, setReadIds] = useState<Set<string>>(new Set());
  const [allReadAt, setAllReadAt] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.notify.title}</h1>
        <Link class="btn btn-primary" href={signInHref("/notifications")}>
          {m.nav.signIn}
        </Link>
      </section>
    );

  const loaded = first.data?.items ?? [];
  const seen = new Set(loaded.map((n) => n.id));
  const items = [...feed.arrived.filter((n) => !seen.has(n.id) && (!first.data || n.createdAt >= (loaded[0]?.createdAt ?? ""))), ...loaded, ...(more?.items ?? [])].map((n) =>
    n.readAt || !(readIds.has(n.id) || (allReadAt && n.createdAt <= allReadAt)) ? n : { ...n, readAt: allReadAt ?? new Date().toISOString() },
  );
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);

  const open = async (n: Notification) => {
    if (!n.readAt) {
      setReadIds((s) => new Set(s).add(n.id));
      api.notify.read({ ids: [n.id] }).then((r) => setUnread(r.unread), () => {});
    }
    navigate(n.url);
  };
  const markAll = async () => {
    setError(null);
    try {
      const r = await api.notify.read({ all: true });
      setAllReadAt(new Date().toISOString());
      setUnread(r.unread);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const loadMore = async () => {
    if (!cursor) return;
    setMore((s) => ({ items: s?.items ?? [], cursor, loading: true }));
    try {
      const p = await api.notify.list(cursor);
      setMore((s) => ({ items: [...(s?.items ?? []), ...p.items], cursor: p.nextCursor, loading: false }));
    } catch (err) {
      setError(errorText(err));
      setMore((s) => (s ? { ...s, loading: false } : null));
    }
  };

  return (
    <div class="page narrow notifications-page">
      <div class="notifications-head">
        <h1>{m.notify.title}</h1>
        {feed.unread > 0 && (
          <button type="button" class="btn btn-small" onClick={() => void markAll()} data-testid="mark-all-read">
            {m.notify.markAllRead}
          </button>
        )}
      </div>
      <ErrorLine text={error} />
      {first.loading && !first.data ? (
        <Spinner />
      ) : first.error ? (
        <ErrorBox error={first.error} onRetry={first.reload} />
      ) : items.length === 0 ? (
        <p class="empty">{m.notify.empty}</p>
      ) : (
        <ul class="plain notification-list" data-testid="notification-list">
          {items.map((n) => (
            <Item key={n.id} n={n} onOpen={(x) => void open(x)} />
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="btn" disabled={more?.loading} onClick={() => void loadMore()}>
          {m.app.loadMore}
        </button>
      )}
      <EmailSetting />
    </div>
  );
}
