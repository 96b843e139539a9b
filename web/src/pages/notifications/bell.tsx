import { useI18n } from "../../i18n/index.tsx";
import { Link, useLocation } from "../../router.tsx";
import { useSession } from "../../session.tsx";
import { useNotificationFeed } from "./feed.ts";
import "./notifications.css";

/** The header's bell: the unread count, live; opens the notifications page. */
export function NotificationBell() {
  const { m } = useI18n();
  const { user } = useSession();
  const { path } = useLocation();
  const { unread } = useNotificationFeed(user?.id);
  if (!user) return null;
  return (
    <Link href="/notifications" class="bell" aria-label={m.notify.bell(unread)} title={m.notify.title} aria-current={path === "/notifications" ? "page" : undefined} data-testid="notification-bell">
      <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="currentColor">
        <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z" />
      </svg>
      {unread > 0 && (
        <span class="bell-count" data-testid="bell-count">
          {unread > 99 ? "99+" : unread}
        </span>
      )}
    </Link>
  );
}
