import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ReplayChatPage } from "../../../../src/shared/contracts/replays.ts";
import { http } from "../../api/client.ts";
import { useI18n } from "../../i18n/index.tsx";
import { appendPage, blockOf, nextFetch, prependPage, reachedCount, SHOWN_MESSAGES, type ChatBlock } from "../../room/replay-chat.ts";

/** after a failed page, wait this long before asking again */
const RETRY_MS = 3000;

/**
 * A replay's chat, fetched lazily around the playhead (`GET /api/v1/shows/:id/replay/chat`, paged by
 * time): a new block wherever the viewer seeks, the next page while playing on, earlier pages when
 * too few messages are held before the playhead. `onFrame` (every presented frame's program date)
 * re-renders only when another message is reached.
 */
export function useReplayChat(showId: string, playheadMs: number, enabled: boolean) {
  const [block, setBlock] = useState<ChatBlock | null>(null);
  const blockRef = useRef<ChatBlock | null>(null);
  blockRef.current = block;
  const busy = useRef(false);
  const failedAt = useRef(0);
  const generation = useRef(0);
  const pdt = useRef<number | null>(null);
  const playhead = useRef(playheadMs);
  playhead.current = playheadMs;
  const shown = useRef(0);
  const [tick, rerender] = useState(0);

  useEffect(() => {
    if (!enabled || busy.current || Date.now() - failedAt.current < RETRY_MS) return;
    const want = nextFetch(block, playheadMs);
    if (!want) return;
    const gen = want.kind === "reset" ? ++generation.current : generation.current;
    const url = (q: string) => `/api/v1/shows/${encodeURIComponent(showId)}/replay/chat?${q}`;
    const get = (q: string) => http.get(url(q), ReplayChatPage);
    busy.current = true;
    const run = async () => {
      if (want.kind === "reset") {
        const at = Math.max(0, Math.round(want.at));
        const [before, from] = await Promise.all([get(`before=${at}&limit=${SHOWN_MESSAGES}`), get(`from=${at}&limit=100`)]);
        return (): ChatBlock => blockOf(before, from);
      }
      if (want.kind === "newer") {
        const page = await get(`cursor=${encodeURIComponent(want.cursor)}&limit=100`);
        return (b: ChatBlock | null): ChatBlock => (b ? appendPage(b, page, playhead.current) : b!);
      }
      const page = await get(`cursor=${encodeURIComponent(want.cursor)}&limit=${SHOWN_MESSAGES}`);
      return (b: ChatBlock | null): ChatBlock => (b ? prependPage(b, page) : b!);
    };
    run().then(
      (apply) => {
        busy.current = false;
        // A seek started another block meanwhile: this page is of no use.
        if (gen !== generation.current) return rerender((n) => n + 1);
        const cur = blockRef.current;
        if (want.kind === "reset" || cur) setBlock(apply(cur));
      },
      () => {
        busy.current = false;
        failedAt.current = Date.now();
        setTimeout(() => rerender((n) => n + 1), RETRY_MS);
      },
    );
  }, [enabled, block, Math.floor(playheadMs / 250), showId, tick]);

  const items = block?.items ?? [];
  const count = reachedCount(items, pdt.current, playheadMs);
  shown.current = count;
  return {
    visible: items.slice(Math.max(0, count - SHOWN_MESSAGES), count),
    onFrame(p: number | null) {
      pdt.current = p;
      const b = blockRef.current;
      if (b && reachedCount(b.items, p, playhead.current) !== shown.current) rerender((n) => n + 1);
    },
  };
}

/** The chat as it was at the playhead: the live chat's look, read only. */
export function ReplayChat({ visible }: { visible: ReturnType<typeof useReplayChat>["visible"] }) {
  const { m } = useI18n();
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const last = visible[visible.length - 1]?.id;
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [last, visible.length]);
  if (visible.length === 0) return null;
  return (
    <section class="replay-chat" aria-labelledby="replay-chat-label" data-testid="replay-chat">
      <h2 id="replay-chat-label" class="replay-chat-label">
        {m.replay.chat}
      </h2>
      <ol
        ref={list}
        class="chat-list"
        data-testid="replay-chat-list"
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {visible.map((msg) => (
          <li key={msg.id} class={`chat-line ${msg.author.role !== "viewer" ? "chat-staff" : ""}`} data-testid="replay-chat-line" data-message-id={msg.id} data-offset-ms={msg.offsetMs}>
            <span class="chat-author">{msg.author.name}</span> <span class="chat-text">{msg.text}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
