import type { Locale } from "../../shared/contracts/accounts.ts";
import type { NotificationKind } from "../../shared/contracts/notifications.ts";
import type { NotificationPayload } from "./schema.ts";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Times in e-mails are UTC, said so: the server does not know the reader's time zone. */
const when = (locale: Locale, ms: number) =>
  `${new Intl.DateTimeFormat(locale === "it" ? "it-IT" : "en-GB", { dateStyle: "full", timeStyle: "short", timeZone: "UTC" }).format(new Date(ms))} UTC`;

const copy = {
  en: {
    subject: { show_scheduled: (t: string) => `New show: ${t}`, show_starting_soon: (t: string) => `Starting soon: ${t}`, show_live: (t: string) => `Live now: ${t}` },
    line: {
      show_scheduled: (p: NotificationPayload, at: string) => `${p.hostName} scheduled “${p.showTitle}” (${p.merchantName}) for ${at}.`,
      show_starting_soon: (p: NotificationPayload, at: string) => `“${p.showTitle}” with ${p.hostName} starts soon: ${at}.`,
      show_live: (p: NotificationPayload) => `“${p.showTitle}” with ${p.hostName} is live now.`,
    },
    watch: "Watch the show",
    calendar: "Add to calendar",
    why: "You get this e-mail because you follow this account or asked for a reminder on Vetrina.",
    unsubscribe: "Unsubscribe from these e-mails",
  },
  it: {
    subject: { show_scheduled: (t: string) => `Nuovo show: ${t}`, show_starting_soon: (t: string) => `Sta per iniziare: ${t}`, show_live: (t: string) => `In diretta ora: ${t}` },
    line: {
      show_scheduled: (p: NotificationPayload, at: string) => `${p.hostName} ha in programma “${p.showTitle}” (${p.merchantName}) per ${at}.`,
      show_starting_soon: (p: NotificationPayload, at: string) => `“${p.showTitle}” con ${p.hostName} sta per iniziare: ${at}.`,
      show_live: (p: NotificationPayload) => `“${p.showTitle}” con ${p.hostName} è in diretta ora.`,
    },
    watch: "Guarda lo show",
    calendar: "Aggiungi al calendario",
    why: "Ricevi questa e-mail perché segui questo account o hai chiesto un promemoria su Vetrina.",
    unsubscribe: "Non ricevere più queste e-mail",
  },
} satisfies Record<Locale, unknown>;

export function renderEmail(a: { locale: Locale; kind: NotificationKind; payload: NotificationPayload; showUrl: string; calendarUrl: string; unsubscribeUrl: string }): RenderedEmail {
  const c = copy[a.locale];
  const line = c.line[a.kind](a.payload, when(a.locale, a.payload.scheduledAt));
  const text = [line, "", `${c.watch}: ${a.showUrl}`, ...(a.kind === "show_live" ? [] : [`${c.calendar}: ${a.calendarUrl}`]), "", "--", c.why, `${c.unsubscribe}: ${a.unsubscribeUrl}`, ""].join("\n");
  const body = `<!doctype html><html lang="${a.locale}"><body style="font-family:system-ui,sans-serif;line-height:1.5">
<p>${html(line)}</p>
<p><a href="${html(a.showUrl)}">${html(c.watch)}</a>${a.kind === "show_live" ? "" : ` · <a href="${html(a.calendarUrl)}">${html(c.calendar)}</a>`}</p>
<hr><p style="color:#666;font-size:12px">${html(c.why)}<br><a href="${html(a.unsubscribeUrl)}">${html(c.unsubscribe)}</a></p>
</body></html>`;
  return { subject: c.subject[a.kind](a.payload.showTitle), text, html: body };
}
