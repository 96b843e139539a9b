import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { CHAT_MAX_LENGTH } from "../../../../src/shared/contracts/room.ts";
import type { Question } from "../../../../src/shared/contracts/shows.ts";
import { useI18n } from "../../i18n/index.tsx";
import type { ChatLine, RoomState, RoomYou } from "../../room/use-room.ts";

type Item = { kind: "chat"; at: string; line: ChatLine } | { kind: "question"; at: string; q: Question };

/**
 * Chat and questions, oldest first, overlaid on the video. Messages are rendered as text nodes
 * only. New lines are announced politely to screen readers.
 */
export function ChatOverlay({
  chat,
  questions,
  you,
  productTitles,
  actions,
}: {
  chat: ChatLine[];
  questions: Question[];
  you: RoomYou | null;
  productTitles: Map<string, string>;
  /** extra controls after a chat line (the studio's moderation actions) */
  actions?: (line: ChatLine) => ComponentChildren;
}) {
  const { m } = useI18n();
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);

  const items = useMemo<Item[]>(() => {
    const visible = questions.filter((q) => q.status === "answered" || (q.status === "open" && q.author.id === you?.id));
    const all: Item[] = [
      ...chat.map((line): Item => ({ kind: "chat", at: line.at, line })),
      ...visible.map((q): Item => ({ kind: "question", at: q.answeredAt ?? q.createdAt, q })),
    ];
    return all.sort((a, b) => a.at.localeCompare(b.at)).slice(-60);
  }, [chat, questions, you?.id]);

  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [items]);

  return (
    <ol
      ref={list}
      class="chat-list"
      data-testid="chat-list"
      aria-label={m.player.chat}
      aria-live="polite"
      aria-relevant="additions"
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {items.map((it) =>
        it.kind === "chat" ? (
          <li
            key={it.line.id}
            class={`chat-line ${it.line.pending ? "chat-pending" : ""} ${it.line.author.role !== "viewer" ? "chat-staff" : ""} ${actions ? "chat-line-actions" : ""}`}
            data-testid="chat-line"
            data-message-id={it.line.pending ? undefined : it.line.id}
          >
            {actions ? (
              <>
                <span class="chat-body">
                  <span class="chat-author">{it.line.pending ? (you?.name ?? "") : it.line.author.name}</span> <span class="chat-text">{it.line.text}</span>
                  {it.line.pending && <span class="visually-hidden"> ({m.player.sending})</span>}
                </span>
                {actions(it.line)}
              </>
            ) : (
              <>
                <span class="chat-author">{it.line.pending ? (you?.name ?? "") : it.line.author.name}</span> <span class="chat-text">{it.line.text}</span>
                {it.line.pending && <span class="visually-hidden"> ({m.player.sending})</span>}
              </>
            )}
          </li>
        ) : (
          <li key={`q-${it.q.id}`} class="chat-line chat-question">
            <span class="q-badge">{m.player.question}</span>
            {it.q.productId && productTitles.get(it.q.productId) && <span class="q-product">{productTitles.get(it.q.productId)}</span>}
            <span class="chat-author">{it.q.author.name}</span> <span class="chat-text">{it.q.text}</span>
            {it.q.status === "answered" && it.q.answer ? (
              <span class="q-answer">
                <span class="q-badge q-badge-answer">{m.player.answer}</span> {it.q.answer}
              </span>
            ) : (
              <span class="q-waiting">{m.player.awaitingAnswer}</span>
            )}
          </li>
        ),
      )}
    </ol>
  );
}

/** Says so while the room shows only a sample of a chat running faster than anyone can read. */
export function BusyChatNote({ sampling }: { sampling: RoomState["chatSampling"] }) {
  const { m } = useI18n();
  if (!sampling) return null;
  return (
    <p class="chat-busy" data-testid="chat-sampling" title={m.player.busyChatHint}>
      <span aria-hidden="true">⚡</span> {m.player.busyChat(sampling.shown, sampling.received)}
      {/* the numbers change every second: screen readers hear the reason once, not each update */}
      <span class="visually-hidden" role="status">
        {m.player.busyChatHint}
      </span>
    </p>
  );
}

/** What keeps this viewer from chatting now, or what they should know before they do. */
export interface ChatRestriction {
  kind: "banned" | "muted" | "wait" | "slow";
  text: string;
  /** sending is pointless until it passes */
  blocked: boolean;
  /** said once to screen readers when it starts (the visible text may count down) */
  announce: string;
}

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/**
 * The composer's notice from the room: banned (the room closed us), muted until a time, the wait
 * after a slow-mode refusal (counting down), or that slow mode is on. Refusals are remembered
 * here, so they outlive the error toast. Hosts and moderators are never slowed down: `exempt`.
 */
export function useChatRestriction(state: RoomState, exempt: boolean): ChatRestriction | null {
  const { m, fmt } = useI18n();
  const [refusal, setRefusal] = useState<{ code: "muted" | "slow_mode" | "banned"; until: number | null } | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const e = state.error;
    if (!e || (e.code !== "muted" && e.code !== "slow_mode" && e.code !== "banned")) return;
    setRefusal({ code: e.code, until: e.retryAfterMs !== undefined ? e.at + e.retryAfterMs : null });
    setNow(Date.now());
  }, [state.error?.key]);

  // Count down while a refusal runs; forget it once it has passed.
  useEffect(() => {
    if (!refusal || refusal.until === null) return;
    if (refusal.until <= Date.now()) return setRefusal(null);
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (refusal.until !== null && n >= refusal.until) setRefusal(null);
    }, 250);
    return () => clearInterval(t);
  }, [refusal]);

  if (state.connection === "banned" || refusal?.code === "banned") return { kind: "banned", text: m.errors.banned, blocked: true, announce: m.errors.banned };
  if (refusal?.code === "muted") {
    if (refusal.until === null) return { kind: "muted", text: m.errors.muted, blocked: false, announce: m.errors.muted };
    const until = new Date(refusal.until);
    const text = sameDay(until, new Date(now)) ? m.player.mutedUntil(fmt.time(until)) : m.player.mutedUntilDay(fmt.dateTime(until));
    // Not blocked: a mute lifted early is not announced to the room, and trying again costs nothing.
    return { kind: "muted", text, blocked: false, announce: text };
  }
  if (exempt) return null;
  if (refusal?.code === "slow_mode" && refusal.until !== null) {
    const seconds = Math.max(1, Math.ceil((refusal.until - now) / 1000));
    return { kind: "wait", text: m.player.slowModeWait(seconds), blocked: true, announce: m.errors.slow_mode };
  }
  if (state.slowModeSeconds > 0) {
    const text = m.player.slowMode(state.slowModeSeconds);
    return { kind: "slow", text, blocked: false, announce: text };
  }
  return null;
}

export function Composer({
  canChat,
  connected,
  askAvailable,
  onSend,
  onAsk,
  restriction = null,
}: {
  canChat: boolean;
  connected: boolean;
  askAvailable: boolean;
  onSend(text: string): boolean;
  onAsk(text: string): boolean;
  /** shown above the input; `blocked` holds the send button back */
  restriction?: ChatRestriction | null;
}) {
  const { m } = useI18n();
  const [text, setText] = useState("");
  const [asking, setAsking] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!askAvailable) setAsking(false);
  }, [askAvailable]);

  const submit = (e: Event) => {
    e.preventDefault();
    const t = text.trim();
    if (!t || restriction?.blocked) return;
    const ok = asking ? onAsk(t) : onSend(t);
    if (ok) {
      setText("");
      if (asking) setAsking(false);
    }
  };

  const banned = restriction?.kind === "banned";
  return (
    <>
      {restriction && (
        <p id="chat-restriction" class={`composer-note composer-note-${restriction.kind}`} data-testid="chat-restriction" data-kind={restriction.kind}>
          {restriction.text}
        </p>
      )}
      {/* announced once when it starts: the visible text may count down */}
      <span class="visually-hidden" role="status">
        {restriction?.announce ?? ""}
      </span>
      <form class="composer" onSubmit={submit}>
        {askAvailable && (
          <button
            type="button"
            class={`round-btn ask-toggle ${asking ? "on" : ""}`}
            aria-pressed={asking}
            aria-label={m.player.askToggle}
            title={m.player.askToggle}
            data-testid="ask-toggle"
            onClick={() => {
              setAsking((a) => !a);
              input.current?.focus();
            }}
          >
            ?
          </button>
        )}
        <label class="visually-hidden" for="chat-input">
          {asking ? m.player.askPlaceholder : m.player.chatPlaceholder}
        </label>
        <input
          id="chat-input"
          ref={input}
          data-testid="chat-input"
          class="chat-input"
          type="text"
          enterKeyHint="send"
          autocomplete="off"
          maxLength={CHAT_MAX_LENGTH}
          placeholder={banned ? "" : !connected ? m.player.reconnecting : asking ? m.player.askPlaceholder : m.player.chatPlaceholder}
          value={text}
          disabled={!canChat || banned}
          aria-describedby={restriction ? "chat-restriction" : undefined}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="send-btn" data-testid="chat-send" disabled={!canChat || !connected || !text.trim() || !!restriction?.blocked}>
          {asking ? m.player.ask : m.player.send}
        </button>
      </form>
    </>
  );
}
