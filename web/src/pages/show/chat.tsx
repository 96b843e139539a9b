import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { CHAT_MAX_LENGTH } from "../../../../src/shared/contracts/room.ts";
import type { Question } from "../../../../src/shared/contracts/shows.ts";
import { useI18n } from "../../i18n/index.tsx";
import type { ChatLine, RoomYou } from "../../room/use-room.ts";

type Item = { kind: "chat"; at: string; line: ChatLine } | { kind: "question"; at: string; q: Question };

/**
 * Chat and questions, oldest first, overlaid on the video. Messages are rendered as text nodes
 * only. New lines are announced politely to screen readers.
 */
export function ChatOverlay({ chat, questions, you, productTitles }: { chat: ChatLine[]; questions: Question[]; you: RoomYou | null; productTitles: Map<string, string> }) {
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
          <li key={it.line.id} class={`chat-line ${it.line.pending ? "chat-pending" : ""} ${it.line.author.role !== "viewer" ? "chat-staff" : ""}`}>
            <span class="chat-author">{it.line.pending ? (you?.name ?? "") : it.line.author.name}</span> <span class="chat-text">{it.line.text}</span>
            {it.line.pending && <span class="visually-hidden"> ({m.player.sending})</span>}
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

export function Composer({
  canChat,
  connected,
  askAvailable,
  onSend,
  onAsk,
}: {
  canChat: boolean;
  connected: boolean;
  askAvailable: boolean;
  onSend(text: string): boolean;
  onAsk(text: string): boolean;
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
    if (!t) return;
    const ok = asking ? onAsk(t) : onSend(t);
    if (ok) {
      setText("");
      if (asking) setAsking(false);
    }
  };

  return (
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
        placeholder={!connected ? m.player.reconnecting : asking ? m.player.askPlaceholder : m.player.chatPlaceholder}
        value={text}
        disabled={!canChat}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" class="send-btn" data-testid="chat-send" disabled={!canChat || !connected || !text.trim()}>
        {asking ? m.player.ask : m.player.send}
      </button>
    </form>
  );
}
