import type { FastifyReply, FastifyRequest } from "fastify";
import type { LiveAnalytics } from "../../shared/contracts/analytics.ts";
import { unwrap, type Result } from "../platform/errors.ts";

export interface LiveWatcher {
  update(live: LiveAnalytics): void;
  end(): void;
}

/**
 * Answers a request with a show's live figures as server-sent events (`analytics.live`, each a
 * LiveAnalytics): the first at once, then whatever `watch` pushes, with a comment every 15 s so proxies
 * keep the connection. A refusal from `watch` is answered as the usual problem+json, before any byte of
 * the stream; the watch stops when the client goes.
 */
export async function sendLiveStream(req: FastifyRequest, reply: FastifyReply, watch: (w: LiveWatcher) => Promise<Result<{ first: LiveAnalytics; stop(): void }>>) {
  const res = reply.raw;
  const send = (live: LiveAnalytics) => res.write(`event: analytics.live\ndata: ${JSON.stringify(live)}\n\n`);
  let keepAlive: NodeJS.Timeout | undefined;
  const { first, stop } = unwrap(
    await watch({
      update: send,
      end: () => {
        clearInterval(keepAlive);
        res.end();
      },
    }),
  );
  reply.hijack();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" });
  send(first);
  keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  req.raw.on("close", () => {
    clearInterval(keepAlive);
    stop();
  });
}
