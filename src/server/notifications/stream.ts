import type { FastifyReply, FastifyRequest } from "fastify";
import type { NotificationStreamEvent } from "../../shared/contracts/notifications.ts";

type Listener = (e: NotificationStreamEvent) => void;

/**
 * Open notification streams of this process, by user. A notification made on another node reaches
 * its user's stream once the bus carries it between nodes; in one process it is immediate.
 */
export function createStreamHub() {
  const byUser = new Map<string, Set<Listener>>();
  const ends = new Set<() => void>();
  return {
    has: (userId: string) => byUser.has(userId),
    push(userId: string, e: NotificationStreamEvent) {
      for (const l of byUser.get(userId) ?? []) l(e);
    },
    /** Answers with server-sent events (`unread`, `notification`) until the client goes or the server closes. */
    open(req: FastifyRequest, reply: FastifyReply, userId: string, first: NotificationStreamEvent) {
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
      const send: Listener = (e) => res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
      send(first);
      const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
      let set = byUser.get(userId);
      if (!set) byUser.set(userId, (set = new Set()));
      set.add(send);
      const end = () => {
        clearInterval(keepAlive);
        ends.delete(end);
        const s = byUser.get(userId);
        s?.delete(send);
        if (s && !s.size) byUser.delete(userId);
        if (!res.writableEnded) res.end();
      };
      ends.add(end);
      req.raw.on("close", end);
    },
    /** Ends every stream (before the HTTP server closes: it waits for open responses). */
    close() {
      for (const end of [...ends]) end();
    },
  };
}

export type StreamHub = ReturnType<typeof createStreamHub>;
