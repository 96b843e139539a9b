import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { FollowState } from "../../shared/contracts/creators.ts";
import { MarkReadBody, MerchantPage, MyReminders, NotificationPage, NotificationQuery, NotificationSettings, NotificationSettingsInput, ReminderState, UnreadCount } from "../../shared/contracts/notifications.ts";
import type { Http } from "../platform/http.ts";
import { AppError, unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Notifications } from "./service.ts";

const ShowParams = z.object({ showId: Id });
const MerchantParams = z.object({ merchantId: Id });
const UnsubscribeQuery = z.object({ token: z.string().min(1).max(300) });

type UnsubscribeState = "confirm" | "done" | "invalid";
const PAGE_TEXT: Record<"en" | "it", Record<UnsubscribeState, [string, string]> & { button: string }> = {
  en: {
    confirm: ["Unsubscribe?", "Stop notification e-mails from Vetrina. In-app notifications go on, and you can turn e-mails back on in your notification settings."],
    done: ["Unsubscribed", "You will not get notification e-mails any more. You can turn them back on in your notification settings."],
    invalid: ["Link not valid", "This unsubscribe link is not valid. Sign in and turn e-mails off in your notification settings."],
    button: "Unsubscribe",
  },
  it: {
    confirm: ["Vuoi disiscriverti?", "Non ricevere più e-mail di notifica da Vetrina. Le notifiche nell'app continuano e puoi riattivare le e-mail nelle impostazioni delle notifiche."],
    done: ["Disiscrizione fatta", "Non riceverai più e-mail di notifica. Puoi riattivarle nelle impostazioni delle notifiche."],
    invalid: ["Link non valido", "Questo link per la disiscrizione non è valido. Accedi e disattiva le e-mail nelle impostazioni delle notifiche."],
    button: "Disiscriviti",
  },
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (lang: "en" | "it", state: UnsubscribeState, token: string) => {
  const t = PAGE_TEXT[lang];
  const [title, text] = t[state];
  const form = state === "confirm" ? `<form method="post" action="/unsubscribe?token=${escapeHtml(encodeURIComponent(token))}"><button type="submit" style="font:inherit;padding:.6rem 1.2rem">${t.button}</button></form>` : "";
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title} · Vetrina</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5"><h1>${title}</h1><p>${text}</p>${form}<p><a href="/notifications">Vetrina</a></p></body></html>`;
};

export function notificationsRoutes(app: Http, deps: { notifications: Notifications }) {
  const { notifications } = deps;

  app.get("/api/v1/me/notifications", { schema: { tags: ["notifications"], summary: "Your notifications, newest first", querystring: NotificationQuery, response: { 200: NotificationPage } } }, async (req) => {
    const user = requireUser(req);
    return unwrap(await notifications.list(user.id, req.query)).page;
  });

  app.get("/api/v1/me/notifications/unread", { schema: { tags: ["notifications"], response: { 200: UnreadCount } } }, async (req) => ({
    unread: await notifications.unreadCount(requireUser(req).id),
  }));

  app.post("/api/v1/me/notifications/read", { schema: { tags: ["notifications"], summary: "Mark notifications read: {all: true} or {ids}", body: MarkReadBody, response: { 200: UnreadCount } } }, async (req) => ({
    unread: await notifications.markRead(requireUser(req).id, req.body),
  }));

  app.get("/api/v1/me/notifications/stream", { schema: { tags: ["notifications"], summary: "Server-sent events: `unread` at once, then each `notification`" } }, async (req, reply) => {
    const user = requireUser(req);
    const unread = await notifications.unreadCount(user.id);
    notifications.hub.open(req, reply, user.id, { type: "unread", unread });
  });

  app.get("/api/v1/me/notification-settings", { schema: { tags: ["notifications"], response: { 200: NotificationSettings } } }, async (req) => notifications.settings(requireUser(req).id));

  app.put("/api/v1/me/notification-settings", { schema: { tags: ["notifications"], summary: "E-mail notifications on or off (and their language)", body: NotificationSettingsInput, response: { 200: NotificationSettings } } }, async (req) =>
    notifications.updateSettings(requireUser(req).id, req.body),
  );

  app.get("/api/v1/me/reminders", { schema: { tags: ["notifications"], response: { 200: MyReminders } } }, async (req) => ({ showIds: await notifications.reminders(requireUser(req).id) }));

  app.post("/api/v1/shows/:showId/reminder", { schema: { tags: ["notifications"], summary: "Remind me when this upcoming show starts", params: ShowParams, response: { 200: ReminderState } } }, async (req) => {
    const user = requireUser(req);
    const { reminded } = unwrap(await notifications.remind(user.id, req.params.showId));
    return { showId: req.params.showId, reminded };
  });

  app.delete("/api/v1/shows/:showId/reminder", { schema: { tags: ["notifications"], params: ShowParams, response: { 200: ReminderState } } }, async (req) => {
    const user = requireUser(req);
    const { reminded } = unwrap(await notifications.unremind(user.id, req.params.showId));
    return { showId: req.params.showId, reminded };
  });

  app.get("/api/v1/shows/:showId/calendar.ics", { schema: { tags: ["notifications"], summary: "The show as an iCalendar event", params: ShowParams } }, async (req, reply) => {
    const { ics, filename } = unwrap(await notifications.calendar(req.params.showId));
    return reply.type("text/calendar; charset=utf-8").header("content-disposition", `attachment; filename="${filename}"`).send(ics);
  });

  app.get("/api/v1/merchants/:merchantId", { schema: { tags: ["notifications"], summary: "A merchant's public page: followers, live and upcoming shows", params: MerchantParams, response: { 200: MerchantPage } } }, async (req) => {
    const page = await notifications.merchantPage(req.params.merchantId, req.user?.id ?? null);
    if (!page) throw new AppError("not_found", "No such merchant.");
    return page;
  });

  app.post("/api/v1/merchants/:merchantId/follow", { schema: { tags: ["notifications"], params: MerchantParams, response: { 200: FollowState } } }, async (req) => {
    const { following, followerCount } = unwrap(await notifications.followMerchant(requireUser(req).id, req.params.merchantId));
    return { following, followerCount };
  });

  app.delete("/api/v1/merchants/:merchantId/follow", { schema: { tags: ["notifications"], params: MerchantParams, response: { 200: FollowState } } }, async (req) => {
    const { following, followerCount } = unwrap(await notifications.unfollowMerchant(requireUser(req).id, req.params.merchantId));
    return { following, followerCount };
  });

  // The link in every notification e-mail. GET only asks (mail scanners and link previews fetch links
  // by themselves, and must not unsubscribe anyone); the page's button and RFC 8058's one-click POST
  // (a form body "List-Unsubscribe=One-Click", which only this route reads) act. No sign-in either way.
  const respond = (req: FastifyRequest<{ Querystring: { token: string } }>, reply: FastifyReply, state: UnsubscribeState) => {
    const lang = /^it\b/i.test(req.headers["accept-language"] ?? "") ? "it" : "en";
    return reply
      .status(state === "invalid" ? 404 : 200)
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(page(lang, state, req.query.token));
  };
  const unsubscribe = async (req: FastifyRequest<{ Querystring: { token: string } }>, reply: FastifyReply) =>
    respond(req, reply, (await notifications.unsubscribe(req.query.token)).ok ? "done" : "invalid");
  const confirm = async (req: FastifyRequest<{ Querystring: { token: string } }>, reply: FastifyReply) =>
    respond(req, reply, (await notifications.unsubscribeTokenValid(req.query.token)) ? "confirm" : "invalid");
  app.get("/unsubscribe", { schema: { hide: true, querystring: UnsubscribeQuery } }, confirm);
  app.register(async (scope) => {
    scope.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 1024 }, (_req, body, done) => done(null, body));
    scope.post("/unsubscribe", { schema: { hide: true, querystring: UnsubscribeQuery } }, unsubscribe);
  });
}
