import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  BANNED_WORD_MAX_LENGTH,
  BANNED_WORDS_MAX,
  SLOW_MODE_MAX_SECONDS,
  type ModerationSettings,
  type ModerationSettingsInput,
  type Moderator,
  type Sanction,
  type SanctionKind,
} from "../../../../src/shared/contracts/moderation.ts";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { ErrorLine, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import type { ChatLine, RoomYou } from "../../room/use-room.ts";

/** Slow-mode choices offered; a value set some other way (the API) is offered too. */
const SLOW_MODE_CHOICES = [0, 5, 10, 30, 60, 120, 300].filter((s) => s <= SLOW_MODE_MAX_SECONDS);
const MUTE_CHOICES = [5, 10, 60];
/** Mutes and bans by other moderators are not pushed to the studio: read them again now and then. */
const SANCTIONS_POLL_MS = 30_000;
const NOTICE_MS = 4000;

export interface StudioModeration {
  settings: ModerationSettings | null;
  /** why the rules could not be read (forbidden: not a moderator of this show) */
  error: unknown;
  sanctions: Sanction[];
  moderators: Moderator[];
  moderatorIds: Set<string>;
  notice: string | null;
  say(text: string): void;
  saveSettings(input: ModerationSettingsInput): Promise<ModerationSettings>;
  sanction(userId: string, kind: SanctionKind, minutes?: number): Promise<Sanction>;
  lift(userId: string, kind: SanctionKind): Promise<void>;
  deleteMessage(messageId: string): Promise<void>;
  addModerator(email: string): Promise<Moderator>;
  removeModerator(userId: string): Promise<void>;
}

/**
 * A show's moderation as the studio sees it: the rules, active mutes and bans, moderators, and the
 * actions on them (each a REST call; the room then tells every viewer). `liveSlowMode` is the room's
 * current value, which follows changes made by other moderators.
 */
export function useStudioModeration(showId: string, userId: string | undefined, liveSlowMode: number | null): StudioModeration {
  const settingsReq = useAsync(() => api.moderation.settings(showId), [showId, userId]);
  const sanctionsReq = useAsync(() => api.moderation.sanctions(showId), [showId, userId]);
  const moderatorsReq = useAsync(() => api.moderation.moderators(showId), [showId, userId]);
  const [notice, setNotice] = useState<string | null>(null);

  const settings = settingsReq.data ?? null;
  const setSettings = settingsReq.setData;

  // Someone else changed slow mode: the room says so.
  useEffect(() => {
    if (liveSlowMode !== null && settings && settings.slowModeSeconds !== liveSlowMode) setSettings({ ...settings, slowModeSeconds: liveSlowMode });
  }, [liveSlowMode]);

  useEffect(() => {
    if (!settings) return;
    const t = setInterval(sanctionsReq.reload, SANCTIONS_POLL_MS);
    return () => clearInterval(t);
  }, [!!settings]);

  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(t);
  }, [notice]);

  const sanctions = sanctionsReq.data?.items ?? [];
  const moderators = moderatorsReq.data?.items ?? [];
  const moderatorIds = useMemo(() => new Set(moderators.map((m) => m.userId)), [moderators]);

  return {
    settings,
    error: settingsReq.error ?? null,
    sanctions,
    moderators,
    moderatorIds,
    notice,
    say: setNotice,
    async saveSettings(input) {
      const next = await api.moderation.updateSettings(showId, input);
      setSettings(next);
      return next;
    },
    async sanction(userId, kind, minutes) {
      const s = await api.moderation.sanction(showId, kind === "mute" ? { kind, userId, minutes: minutes ?? MUTE_CHOICES[0]! } : { kind, userId, ...(minutes ? { minutes } : {}) });
      sanctionsReq.setData({ items: [s, ...sanctions.filter((x) => !(x.userId === userId && x.kind === kind))] });
      return s;
    },
    async lift(userId, kind) {
      try {
        await api.moderation.lift(showId, userId, kind);
      } finally {
        // Lifted now, or already over (not_found): either way it is no longer active.
        sanctionsReq.reload();
      }
    },
    async deleteMessage(messageId) {
      await api.moderation.deleteMessage(showId, messageId);
    },
    async addModerator(email) {
      const mod = await api.moderation.addModerator(showId, email);
      moderatorsReq.setData({ items: [...moderators, mod] });
      // Appointing lifts a mute or ban.
      sanctionsReq.reload();
      return mod;
    },
    async removeModerator(userId) {
      await api.moderation.removeModerator(showId, userId);
      moderatorsReq.setData({ items: moderators.filter((m) => m.userId !== userId) });
    },
  };
}

/** Runs one action at a time, keeping its error (and a short note once done) to show next to the control. */
function useAction() {
  const { errorText } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    if (!done) return;
    const t = setTimeout(() => setDone(null), NOTICE_MS);
    return () => clearTimeout(t);
  }, [done]);
  const run = useCallback(
    async (fn: () => Promise<unknown>, messages: Partial<Record<string, string>> = {}) => {
      setBusy(true);
      setError(null);
      setDone(null);
      try {
        await fn();
        return true;
      } catch (err) {
        setError((isApiError(err) && messages[err.code]) || errorText(err));
        return false;
      } finally {
        setBusy(false);
      }
    },
    [errorText],
  );
  return { busy, error, setError, done, setDone, run };
}

function untilText(m: ReturnType<typeof useI18n>["m"], fmt: ReturnType<typeof useI18n>["fmt"], until: string | null): string {
  if (until === null) return m.moderation.untilLifted;
  return new Date(until).toDateString() === new Date().toDateString() ? m.moderation.until(fmt.time(until)) : m.moderation.untilDay(fmt.dateTime(until));
}

function SlowMode({ mod }: { mod: StudioModeration }) {
  const { m } = useI18n();
  const { busy, error, done, setDone, run } = useAction();
  const value = mod.settings?.slowModeSeconds ?? 0;
  const choices = SLOW_MODE_CHOICES.includes(value) ? SLOW_MODE_CHOICES : [...SLOW_MODE_CHOICES, value].sort((a, b) => a - b);
  return (
    <div class={`field mod-slow ${error ? "field-invalid" : ""}`}>
      <label for="mod-slow">{m.moderation.slowMode}</label>
      <select
        id="mod-slow"
        data-testid="slow-mode"
        value={String(value)}
        disabled={busy || !mod.settings}
        aria-describedby="mod-slow-hint"
        onChange={(e) => {
          const slowModeSeconds = Number(e.currentTarget.value);
          void run(async () => {
            await mod.saveSettings({ slowModeSeconds });
            setDone(slowModeSeconds > 0 ? m.moderation.slowModeOn(slowModeSeconds) : m.moderation.slowModeIsOff);
          });
        }}
      >
        {choices.map((s) => (
          <option key={s} value={String(s)}>
            {s === 0 ? m.moderation.slowModeOff : m.moderation.slowModeSeconds(s)}
          </option>
        ))}
      </select>
      <small id="mod-slow-hint" class="hint">
        {m.moderation.slowModeHint}
      </small>
      <small class="mod-ok" role="status">
        {done}
      </small>
      <ErrorLine small text={error} />
    </div>
  );
}

function BannedWords({ mod }: { mod: StudioModeration }) {
  const { m } = useI18n();
  const { busy, error, setError, run } = useAction();
  const [word, setWord] = useState("");
  const input = useRef<HTMLInputElement>(null);
  const words = mod.settings?.bannedWords ?? [];
  const invalid = { validation_failed: m.moderation.wordInvalid };

  const add = async (e: Event) => {
    e.preventDefault();
    const w = word.trim().replace(/\s+/g, " ");
    if (!w) return;
    if (w.length > BANNED_WORD_MAX_LENGTH) return setError(m.moderation.wordTooLong(BANNED_WORD_MAX_LENGTH));
    if (words.some((x) => x.toLocaleLowerCase() === w.toLocaleLowerCase())) return setError(m.moderation.wordDuplicate(w));
    if (words.length >= BANNED_WORDS_MAX) return setError(m.moderation.wordsFull(BANNED_WORDS_MAX));
    let grew = true;
    const ok = await run(async () => {
      const next = await mod.saveSettings({ bannedWords: [...words, w] });
      grew = next.bannedWords.length > words.length;
    }, invalid);
    if (!ok) return;
    setWord("");
    // The server drops a word it already has in another spelling ("SC4M" when "scam" is there).
    if (!grew) setError(m.moderation.wordDuplicate(w));
    input.current?.focus();
  };

  const remove = (w: string) => void run(() => mod.saveSettings({ bannedWords: words.filter((x) => x !== w) }), invalid);

  return (
    <div class="mod-section">
      <h3 id="mod-words-title">{m.moderation.bannedWords}</h3>
      <p class="hint" id="mod-words-hint">
        {m.moderation.bannedWordsHint}
      </p>
      <form class="input-row" onSubmit={add}>
        <label class="visually-hidden" for="mod-word">
          {m.moderation.wordLabel}
        </label>
        <input
          id="mod-word"
          ref={input}
          data-testid="banned-word-input"
          value={word}
          maxLength={BANNED_WORD_MAX_LENGTH}
          autocomplete="off"
          placeholder={m.moderation.wordPlaceholder}
          aria-describedby="mod-words-hint"
          aria-invalid={error ? "true" : undefined}
          disabled={!mod.settings}
          onInput={(e) => {
            setWord(e.currentTarget.value);
            setError(null);
          }}
        />
        <button type="submit" class="btn btn-small" data-testid="banned-word-add" disabled={busy || !word.trim() || !mod.settings}>
          {m.moderation.addWord}
        </button>
      </form>
      <ErrorLine text={error} />
      {words.length === 0 ? (
        <p class="empty">{m.moderation.noWords}</p>
      ) : (
        <ul class="word-chips" data-testid="banned-words" aria-labelledby="mod-words-title">
          {words.map((w) => (
            <li key={w} class="word-chip" data-testid="banned-word">
              <span>{w}</span>
              <button type="button" class="word-chip-x" aria-label={m.moderation.removeWord(w)} title={m.moderation.removeWord(w)} disabled={busy} onClick={() => remove(w)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function SanctionRow({ s, mod, onLifted }: { s: Sanction; mod: StudioModeration; onLifted(text: string): void }) {
  const { m, fmt } = useI18n();
  const { busy, error, run } = useAction();
  const action = s.kind === "mute" ? m.moderation.liftMute : m.moderation.liftBan;
  return (
    <li class="mod-row" data-testid="sanction" data-user-id={s.userId} data-kind={s.kind}>
      <span class="grow">
        <strong>{s.userName}</strong> <span class={`badge badge-${s.kind}`}>{m.moderation.kind[s.kind]}</span>{" "}
        <span class="muted small">{untilText(m, fmt, s.until)}</span>
        {s.reason && <span class="muted small block">{s.reason}</span>}
      </span>
      <button
        type="button"
        class="btn btn-small btn-ghost"
        data-testid="lift-sanction"
        aria-label={m.moderation.liftLabel(action, s.userName)}
        disabled={busy}
        onClick={() =>
          void run(async () => {
            await mod.lift(s.userId, s.kind);
            onLifted(m.moderation.lifted(s.userName));
          })
        }
      >
        {action}
      </button>
      {error && (
        <p class="field-error mod-row-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function ModeratorRow({ mod, person, canManage }: { mod: StudioModeration; person: Moderator; canManage: boolean }) {
  const { m } = useI18n();
  const { busy, error, run } = useAction();
  return (
    <li class="mod-row" data-testid="moderator">
      <strong class="grow">{person.name}</strong>
      {canManage && (
        <button type="button" class="btn btn-small btn-ghost" aria-label={m.moderation.removeModerator(person.name)} disabled={busy} onClick={() => void run(() => mod.removeModerator(person.userId))}>
          {m.moderation.remove}
        </button>
      )}
      {error && (
        <p class="field-error mod-row-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

function Moderators({ mod, canManage }: { mod: StudioModeration; canManage: boolean }) {
  const { m } = useI18n();
  const { busy, error, done, setDone, run } = useAction();
  const [email, setEmail] = useState("");
  const appoint = async (e: Event) => {
    e.preventDefault();
    const ok = await run(
      async () => {
        const added = await mod.addModerator(email.trim());
        setDone(m.moderation.appointed(added.name));
      },
      { not_found: m.moderation.noSuchAccount, conflict: m.moderation.alreadyModerator },
    );
    if (ok) setEmail("");
  };
  return (
    <div class="mod-section">
      <h3>{m.moderation.moderators}</h3>
      <p class="hint">{m.moderation.moderatorsHint}</p>
      <ul class="mod-list" data-testid="moderators">
        {mod.moderators.length === 0 && <li class="empty">{m.moderation.noModerators}</li>}
        {mod.moderators.map((p) => (
          <ModeratorRow key={p.userId} mod={mod} person={p} canManage={canManage} />
        ))}
      </ul>
      {canManage && (
        <form class="input-row mod-appoint" onSubmit={appoint}>
          <label class="visually-hidden" for="mod-email">
            {m.moderation.appointLabel}
          </label>
          <input
            id="mod-email"
            data-testid="moderator-email"
            type="email"
            autocomplete="off"
            value={email}
            maxLength={254}
            placeholder={m.moderation.appointPlaceholder}
            aria-invalid={error ? "true" : undefined}
            onInput={(e) => setEmail(e.currentTarget.value)}
            required
          />
          <button type="submit" class="btn btn-small" data-testid="moderator-add" disabled={busy || !email.trim()}>
            {m.moderation.appoint}
          </button>
        </form>
      )}
      <ErrorLine text={error} />
      <p class="mod-ok" role="status">
        {done}
      </p>
    </div>
  );
}

function Sanctions({ mod }: { mod: StudioModeration }) {
  const { m } = useI18n();
  const [notice, setNotice] = useState<string | null>(null);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(t);
  }, [notice]);
  const now = Date.now();
  // A timed one may have run out since the list was read.
  const active = mod.sanctions.filter((s) => s.until === null || Date.parse(s.until) > now);
  return (
    <div class="mod-section">
      <h3>
        {m.moderation.sanctions} {active.length > 0 && <span class="count-pill">{active.length}</span>}
      </h3>
      <ul class="mod-list" data-testid="sanctions">
        {active.length === 0 && <li class="empty">{m.moderation.noSanctions}</li>}
        {active.map((s) => (
          <SanctionRow key={`${s.kind}-${s.userId}`} s={s} mod={mod} onLifted={setNotice} />
        ))}
      </ul>
      <p class="mod-ok" role="status">
        {notice}
      </p>
    </div>
  );
}

/**
 * The studio's moderation card: slow mode, banned words, who is muted or banned (with lift buttons)
 * and the show's moderators. `canManage`: may appoint and remove moderators (host and staff).
 */
export function ModerationPanel({ mod, canManage }: { mod: StudioModeration; canManage: boolean }) {
  const { m, errorText } = useI18n();
  return (
    <section class="card mod-panel" aria-labelledby="mod-title" data-testid="moderation-panel">
      <h2 id="mod-title" class="card-title">
        {m.moderation.title}
      </h2>
      <p class="hint">{canManage ? m.moderation.hint : m.moderation.moderatorView}</p>
      {mod.error ? (
        <p class="form-error" role="alert">
          {m.moderation.loadError} {errorText(mod.error)}
        </p>
      ) : null}
      <SlowMode mod={mod} />
      <BannedWords mod={mod} />
      <Sanctions mod={mod} />
      <Moderators mod={mod} canManage={canManage} />
    </section>
  );
}

/**
 * A chat line's moderation actions in the studio: delete it; mute its author for a few minutes or ban
 * them. Not on one's own messages; no mute or ban for hosts, staff and moderators (the server refuses).
 */
export function ChatLineActions({ line, you, mod }: { line: ChatLine; you: RoomYou | null; mod: StudioModeration }) {
  const { m } = useI18n();
  const [open, setOpen] = useState(false);
  const { busy, error, run } = useAction();
  if (line.pending || !you || line.author.id === you.id) return null;
  const name = line.author.name;
  const sanctionable = line.author.role === "viewer" && !mod.moderatorIds.has(line.author.id);
  const refused = { forbidden: m.moderation.cannotSanction };
  const menuId = `mod-actions-${line.id}`;

  const sanction = (kind: SanctionKind, minutes?: number) =>
    void run(async () => {
      await mod.sanction(line.author.id, kind, minutes);
      mod.say(kind === "mute" ? m.moderation.didMute(name, minutes!) : m.moderation.didBan(name));
      setOpen(false);
    }, refused);

  return (
    <>
      <button
        type="button"
        class="chat-mod-toggle"
        data-testid="chat-moderate"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={m.moderation.actions(name)}
        title={m.moderation.actions(name)}
        onClick={() => setOpen((o) => !o)}
      >
        ⋯
      </button>
      {open && (
        <div class="chat-mod-actions" id={menuId} role="group" aria-label={m.moderation.actions(name)}>
          <button
            type="button"
            class="btn btn-small btn-danger-ghost"
            data-testid="chat-delete"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await mod.deleteMessage(line.id);
                mod.say(m.moderation.didDelete);
              })
            }
          >
            {m.moderation.deleteMessage}
          </button>
          {sanctionable &&
            MUTE_CHOICES.map((min) => (
              <button key={min} type="button" class="btn btn-small" data-testid={`chat-mute-${min}`} aria-label={m.moderation.muteLabel(name, min)} disabled={busy} onClick={() => sanction("mute", min)}>
                {m.moderation.mute(min)}
              </button>
            ))}
          {sanctionable && (
            <button
              type="button"
              class="btn btn-small btn-danger"
              data-testid="chat-ban"
              aria-label={m.moderation.banLabel(name)}
              disabled={busy}
              onClick={() => {
                if (confirm(m.moderation.banConfirm(name))) sanction("ban");
              }}
            >
              {m.moderation.ban}
            </button>
          )}
          <ErrorLine text={error} />
        </div>
      )}
    </>
  );
}
