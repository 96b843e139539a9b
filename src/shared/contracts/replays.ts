import { z } from "zod";
import { ChatMessage } from "./room.ts";

/**
 * A page position in a replay's chat: just after (`a`) or just before (`b`) one message, named by its
 * instant (epoch ms) and id, as the chat is ordered. Opaque to clients, which only pass on the
 * `older`/`newer` of a page (or make one from a message they hold, with `replayChatCursor`).
 */
export const ReplayChatCursor = z.string().max(100).regex(/^[ab](0|[1-9][0-9]{0,15})_[A-Za-z0-9_-]{1,64}$/, "invalid cursor");

export function replayChatCursor(direction: "after" | "before", m: { at: string; id: string }): string {
  return `${direction === "after" ? "a" : "b"}${Date.parse(m.at)}_${m.id}`;
}

export const REPLAY_CHAT_MAX_LIMIT = 200;

/**
 * `GET /api/v1/shows/:showId/replay/chat`: at most one of `from`, `before`, `cursor` (none: from the start).
 * - `from` (ms into the replay): the first `limit` messages at that offset or later, oldest first;
 * - `before` (ms): the last `limit` messages before that offset, returned oldest first;
 * - `cursor`: a page's `older` or `newer`, to go on in that direction.
 */
export const ReplayChatQuery = z.object({
  from: z.coerce.number().int().min(0).max(1e10).optional(),
  before: z.coerce.number().int().min(0).max(1e10).optional(),
  cursor: ReplayChatCursor.optional(),
  limit: z.coerce.number().int().min(1).max(REPLAY_CHAT_MAX_LIMIT).default(100),
});
export type ReplayChatQuery = z.input<typeof ReplayChatQuery>;

/** A chat message of a replay: `offsetMs`, where the replay reaches it (the first frame stamped at or after `at`). */
export const ReplayChatMessage = ChatMessage.extend({ offsetMs: z.number().int().nonnegative() });
export type ReplayChatMessage = z.infer<typeof ReplayChatMessage>;

export const ReplayChatPage = z.object({
  /** oldest first; moderators' deletions left out */
  items: z.array(ReplayChatMessage),
  /** the cursor of the messages just before the first item; null when there are none (or the page is empty) */
  older: ReplayChatCursor.nullable(),
  /** the cursor of the messages just after the last item; null when there are none (or the page is empty) */
  newer: ReplayChatCursor.nullable(),
  /** the replay's length, ms */
  durationMs: z.number().int().nonnegative(),
});
export type ReplayChatPage = z.infer<typeof ReplayChatPage>;
