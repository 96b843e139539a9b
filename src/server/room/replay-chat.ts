/**
 * A show's chat, replayed: `GET /api/v1/shows/:showId/replay/chat` pages through the messages of an
 * ended show in order, each with where its replay reaches it (`offsetMs`, on the replay's clock, the
 * cards' rule: see media/replay-clock.ts). Pages are by time, read through the chat's
 * `(show_id, created_at)` index with keyset cursors, so a show of 100,000 messages costs each page
 * the same. Messages a moderator deleted (a banned user's included) never come back.
 * See docs/media.md, "Shoppable replays".
 */
import { z } from "zod";
import { Id } from "../../shared/contracts/common.ts";
import { ReplayChatPage, ReplayChatQuery, replayChatCursor, type ReplayChatMessage } from "../../shared/contracts/replays.ts";
import type { Db } from "../platform/db.ts";
import type { Http } from "../platform/http.ts";
import { AppError } from "../platform/errors.ts";
import { iso } from "../platform/time.ts";
import type { ReplayClock } from "../media/replay-clock.ts";

export interface ReplayChatDeps {
  db: Db;
  /** null: no such show */
  showStatus(showId: string): Promise<string | null>;
  /** the replay's clock; null while the show has no replay */
  clock(showId: string): Promise<ReplayClock | null>;
}

type Bound = { dir: "forward" | "backward"; at: number; id: string | null; inclusive: boolean } | "empty" | "all";

export function replayChatPage(deps: ReplayChatDeps) {
  const { db } = deps;
  const base = (showId: string) =>
    db
      .selectFrom("chat_messages")
      .select(["id", "user_id", "author_name", "author_role", "text", "created_at"])
      .where("show_id", "=", showId)
      .where("deleted_at", "is", null);

  /** Messages strictly after (forward) or before (backward) (at, id), or from/before an instant, nearest first. */
  const read = (showId: string, dir: "forward" | "backward", at: number, id: string | null, inclusive: boolean, limit: number) => {
    let q = base(showId);
    if (dir === "forward") {
      if (id === null) q = q.where("created_at", inclusive ? ">=" : ">", at);
      else q = q.where((eb) => eb.or([eb("created_at", ">", at), eb.and([eb("created_at", "=", at), eb("id", ">", id)])]));
      q = q.orderBy("created_at", "asc").orderBy("id", "asc");
    } else {
      if (id === null) q = q.where("created_at", inclusive ? "<=" : "<", at);
      else q = q.where((eb) => eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]));
      q = q.orderBy("created_at", "desc").orderBy("id", "desc");
    }
    return q.limit(limit).execute();
  };

  return async (showId: string, query: z.output<typeof ReplayChatQuery>): Promise<ReplayChatPage> => {
    const given = [query.from, query.before, query.cursor].filter((v) => v !== undefined).length;
    if (given > 1) throw new AppError("validation_failed", "Give at most one of from, before and cursor.");
    if (!(await deps.showStatus(showId))) throw new AppError("not_found", "No such show.");
    const clock = await deps.clock(showId);
    if (!clock) throw new AppError("not_found", "This show has no replay (yet).");

    let bound: Bound;
    if (query.cursor !== undefined) {
      const m = /^([ab])(\d+)_(.+)$/.exec(query.cursor)!;
      bound = { dir: m[1] === "a" ? "forward" : "backward", at: Number(m[2]), id: m[3]!, inclusive: false };
    } else if (query.before !== undefined) {
      const t = clock.instantFrom(query.before);
      bound = t === -Infinity ? "empty" : t === Infinity ? { dir: "backward", at: Number.MAX_SAFE_INTEGER, id: null, inclusive: true } : { dir: "backward", at: t, id: null, inclusive: false };
    } else {
      const t = clock.instantFrom(query.from ?? 0);
      bound = t === Infinity ? "empty" : t === -Infinity ? "all" : { dir: "forward", at: t, id: null, inclusive: true };
    }
    if (bound === "empty") return { items: [], older: null, newer: null, durationMs: clock.durationMs };
    const b = bound === "all" ? { dir: "forward" as const, at: Number.MIN_SAFE_INTEGER, id: null, inclusive: true } : bound;

    const rows = await read(showId, b.dir, b.at, b.id, b.inclusive, query.limit + 1);
    const more = rows.length > query.limit;
    const page = rows.slice(0, query.limit);
    if (b.dir === "backward") page.reverse();
    const items: ReplayChatMessage[] = page.map((r) => {
      const at = Number(r.created_at);
      return { id: r.id, author: { id: r.user_id, name: r.author_name, role: r.author_role }, text: r.text, at: iso(at), offsetMs: clock.offsetOf(at) };
    });
    if (items.length === 0) return { items, older: null, newer: null, durationMs: clock.durationMs };
    const first = page[0]!;
    const last = page[page.length - 1]!;
    // The way the page was read, `more` says whether it goes on; the other way, one indexed look.
    const olderExists = b.dir === "backward" ? more : (await read(showId, "backward", Number(first.created_at), first.id, false, 1)).length > 0;
    const newerExists = b.dir === "forward" ? more : (await read(showId, "forward", Number(last.created_at), last.id, false, 1)).length > 0;
    return {
      items,
      older: olderExists ? replayChatCursor("before", items[0]!) : null,
      newer: newerExists ? replayChatCursor("after", items[items.length - 1]!) : null,
      durationMs: clock.durationMs,
    };
  };
}

export function replayChatRoutes(app: Http, deps: ReplayChatDeps) {
  const page = replayChatPage(deps);
  app.get(
    "/api/v1/shows/:showId/replay/chat",
    {
      schema: {
        tags: ["room"],
        summary: "A replay's chat, paged by time: each message with its offset in the replay (ms). Deleted messages are left out.",
        params: z.object({ showId: Id }),
        querystring: ReplayChatQuery,
        response: { 200: ReplayChatPage },
      },
    },
    async (req, reply) => {
      const body = await page(req.params.showId, req.query);
      // A replay's chat changes only when a moderator deletes a message: a short cache is fine.
      void reply.header("cache-control", "public, max-age=10");
      return body;
    },
  );
}
