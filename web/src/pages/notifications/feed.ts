import { useEffect, useState } from "preact/hooks";
import { NotificationStreamEvent, type Notification } from "../../../../src/shared/contracts/notifications.ts";
import { api } from "../../api/endpoints.ts";

/**
 * The signed-in user's notification stream, one EventSource per tab however many components read it
 * (the header's bell, the notifications page): the unread count, and the notifications that arrived
 * since the page was opened (newest first).
 */
export interface Feed {
  unread: number;
  arrived: Notification[];
}

let feed: Feed = { unread: 0, arrived: [] };
let forUser: string | null = null;
let readers = 0;
let es: EventSource | null = null;
let retry: ReturnType<typeof setTimeout> | undefined;
let attempt = 0;
const listeners = new Set<() => void>();

const set = (next: Feed) => {
  feed = next;
  listeners.forEach((l) => l());
};

function onEvent(ev: MessageEvent<string>) {
  let parsed: ReturnType<typeof NotificationStreamEvent.safeParse>;
  try {
    parsed = NotificationStreamEvent.safeParse(JSON.parse(ev.data));
  } catch {
    return;
  }
  if (!parsed.success) return;
  attempt = 0;
  const e = parsed.data;
  if (e.type === "unread") set({ ...feed, unread: e.unread });
  else set({ unread: e.unread, arrived: [e.notification, ...feed.arrived.filter((n) => n.id !== e.notification.id)].slice(0, 50) });
}

function open() {
  es = new EventSource(api.notify.streamUrl, { withCredentials: true });
  es.addEventListener("unread", onEvent as EventListener);
  es.addEventListener("notification", onEvent as EventListener);
  es.onerror = () => {
    // Still connecting: the browser retries by itself. Closed (an error answer): retry later, slower each time.
    if (!es || es.readyState !== EventSource.CLOSED) return;
    es.close();
    es = null;
    retry = setTimeout(open, Math.min(60_000, 2000 * 2 ** attempt++));
  };
}

function close() {
  clearTimeout(retry);
  es?.close();
  es = null;
}

/** Reads the feed of `userId` (nothing when signed out). */
export function useNotificationFeed(userId: string | null | undefined): Feed {
  const [, force] = useState(0);
  useEffect(() => {
    if (!userId) return;
    if (forUser !== userId) {
      close();
      forUser = userId;
      feed = { unread: 0, arrived: [] };
    }
    const l = () => force((n) => n + 1);
    listeners.add(l);
    if (readers++ === 0 || !es) open();
    return () => {
      listeners.delete(l);
      if (--readers === 0) close();
    };
  }, [userId]);
  return userId && forUser === userId ? feed : { unread: 0, arrived: [] };
}

/** After marking read here: the count at once (the stream confirms it). */
export function setUnread(unread: number) {
  set({ ...feed, unread });
}
