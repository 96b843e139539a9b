import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { Locale } from "../../shared/contracts/accounts.ts";
import type { Db } from "../platform/db.ts";
import type { Accounts } from "../accounts/service.ts";
import { renderEmail } from "./email-templates.ts";
import type { NotificationPayload, NotificationsTables } from "./schema.ts";
import type { UnsubscribeTokens } from "./unsubscribe.ts";

/** One message for the SMTP server. */
export interface MailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

/** Where e-mail goes: SMTP through nodemailer; tests use a real SMTP server too. */
export interface MailTransport {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export function smtpTransport(url: string): MailTransport {
  const t = nodemailer.createTransport(url);
  return {
    async send(m) {
      await t.sendMail({ from: m.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, headers: m.headers });
    },
    close: () => t.close(),
  };
}

const CLAIM_MS = 60_000;
const MAX_ATTEMPTS = 8;
const BATCH = 20;
/** 30 s, 1 min, 2 min … capped at an hour. */
const backoff = (attempts: number) => Math.min(3_600_000, 30_000 * 2 ** Math.max(0, attempts - 1));

/**
 * Sends the e-mail outbox: claims due rows (a claim expires, so a crashed sender's rows are sent by
 * the next pass), sends each, marks it sent; a failure is retried with growing delays and given up
 * after 8 attempts. A user who unsubscribed since the row was queued gets nothing (`skipped`).
 * Delivery is at least once: a crash between the SMTP server's acceptance and the mark repeats one
 * e-mail, with the same Message-ID so mail systems can tell.
 */
export function createMailer(deps: { db: Db; transport: MailTransport; tokens: UnsubscribeTokens; accounts: Pick<Accounts, "getUser">; publicUrl: string; from: string; clock: () => number; log: Logger }) {
  const db = deps.db.withTables<NotificationsTables>();
  const host = new URL(deps.publicUrl).hostname || "vetrina.local";
  let running: Promise<number> | null = null;
  let again = false;

  async function claim(now: number): Promise<string[]> {
    const due = await db
      .selectFrom("email_outbox")
      .select("id")
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
      .orderBy("next_attempt_at")
      .limit(BATCH)
      .execute();
    const mine: string[] = [];
    for (const { id } of due) {
      const r = await db
        .updateTable("email_outbox")
        .set((eb) => ({ claimed_until: now + CLAIM_MS, attempts: eb("attempts", "+", 1) }))
        .where("id", "=", id)
        .where("status", "=", "pending")
        .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<", now)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 1) mine.push(id);
    }
    return mine;
  }

  async function deliver(id: string): Promise<void> {
    const row = await db
      .selectFrom("email_outbox")
      .innerJoin("notifications", "notifications.id", "email_outbox.notification_id")
      .leftJoin("notification_settings", "notification_settings.user_id", "email_outbox.user_id")
      .select(["email_outbox.id", "email_outbox.user_id", "email_outbox.attempts", "notifications.kind", "notifications.show_id", "notifications.payload", "notification_settings.email", "notification_settings.locale"])
      .where("email_outbox.id", "=", id)
      .executeTakeFirst();
    if (!row) return;
    const user = await deps.accounts.getUser(row.user_id);
    if (!user || row.email !== 1) {
      await db.updateTable("email_outbox").set({ status: "skipped", claimed_until: null }).where("id", "=", id).execute();
      return;
    }
    const locale: Locale = row.locale ?? "en";
    const unsubscribeUrl = `${deps.publicUrl}/unsubscribe?token=${encodeURIComponent(deps.tokens.tokenFor(row.user_id))}`;
    const mail = renderEmail({
      locale,
      kind: row.kind,
      payload: JSON.parse(row.payload) as NotificationPayload,
      showUrl: `${deps.publicUrl}/shows/${row.show_id}`,
      calendarUrl: `${deps.publicUrl}/api/v1/shows/${row.show_id}/calendar.ics`,
      unsubscribeUrl,
    });
    try {
      await deps.transport.send({
        from: deps.from,
        to: user.email,
        ...mail,
        messageId: `<${row.id}@${host}>`,
        // RFC 2369 and RFC 8058: mail clients show an unsubscribe button that POSTs to the link.
        headers: { "List-Unsubscribe": `<${unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      });
    } catch (err) {
      const failed = row.attempts >= MAX_ATTEMPTS;
      deps.log.warn({ err, outboxId: id, attempts: row.attempts, givingUp: failed }, "notification e-mail not sent");
      await db
        .updateTable("email_outbox")
        .set({ status: failed ? "failed" : "pending", claimed_until: null, next_attempt_at: deps.clock() + backoff(row.attempts), last_error: String(err).slice(0, 500) })
        .where("id", "=", id)
        .execute();
      return;
    }
    await db.updateTable("email_outbox").set({ status: "sent", sent_at: deps.clock(), claimed_until: null, last_error: null }).where("id", "=", id).execute();
  }

  async function drainOnce(): Promise<number> {
    let sent = 0;
    for (;;) {
      const ids = await claim(deps.clock());
      if (!ids.length) return sent;
      for (const id of ids) await deliver(id);
      sent += ids.length;
    }
  }

  return {
    /** Sends everything due now; concurrent calls share one run (and a call during a run makes it go round again). */
    drain(): Promise<number> {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let n = 0;
        do {
          again = false;
          n += await drainOnce();
        } while (again);
        return n;
      })().finally(() => (running = null));
      return running;
    },
    /** Waits for a run in progress (at shutdown). */
    async idle() {
      await running?.catch(() => {});
    },
  };
}

export type Mailer = ReturnType<typeof createMailer>;
