import type { FollowState } from "../../src/shared/contracts/creators.ts";
import type { MerchantPage, MyReminders, NotificationPage, NotificationSettings, NotificationStreamEvent, ReminderState, UnreadCount } from "../../src/shared/contracts/notifications.ts";
import type { ApiClient } from "./client.ts";

/** Follows, reminders, the notification inbox and its settings, as a signed-in user uses them. */
export const notifyApi = (c: ApiClient) => ({
  merchant: (id: string) => c.request<MerchantPage>("GET", `/api/v1/merchants/${id}`),
  followMerchant: (id: string) => c.request<FollowState>("POST", `/api/v1/merchants/${id}/follow`),
  unfollowMerchant: (id: string) => c.request<FollowState>("DELETE", `/api/v1/merchants/${id}/follow`),
  remind: (showId: string) => c.request<ReminderState>("POST", `/api/v1/shows/${showId}/reminder`),
  unremind: (showId: string) => c.request<ReminderState>("DELETE", `/api/v1/shows/${showId}/reminder`),
  reminders: () => c.request<MyReminders>("GET", "/api/v1/me/reminders"),
  list: (q = "") => c.request<NotificationPage>("GET", `/api/v1/me/notifications${q}`),
  unread: () => c.request<UnreadCount>("GET", "/api/v1/me/notifications/unread"),
  read: (body: unknown) => c.request<UnreadCount>("POST", "/api/v1/me/notifications/read", body),
  settings: () => c.request<NotificationSettings>("GET", "/api/v1/me/notification-settings"),
  setSettings: (body: unknown) => c.request<NotificationSettings>("PUT", "/api/v1/me/notification-settings", body),
  calendar: (showId: string) => c.request<string>("GET", `/api/v1/shows/${showId}/calendar.ics`),
});

/** Opens the notification stream and hands each server-sent event to the caller; `close()` ends it. */
export async function openNotificationStream(c: ApiClient): Promise<{ next(timeoutMs?: number): Promise<NotificationStreamEvent>; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(`${c.baseUrl}/api/v1/me/notifications/stream`, { headers: { cookie: c.cookie, accept: "text/event-stream" }, signal: ac.signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream refused: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const queue: NotificationStreamEvent[] = [];
  return {
    async next(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const cut = buffer.indexOf("\n\n");
        if (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split("\n").find((l) => l.startsWith("data: "));
          if (data) queue.push(JSON.parse(data.slice(6)) as NotificationStreamEvent);
          if (queue.length) return queue.shift()!;
          continue;
        }
        if (Date.now() > deadline) throw new Error("no server-sent event in time");
        const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no server-sent event in time")), Math.max(1, deadline - Date.now())));
        const { value, done } = await Promise.race([reader.read(), timer]);
        if (done) throw new Error("stream ended");
        buffer += value;
      }
    },
    close: () => ac.abort(),
  };
}
