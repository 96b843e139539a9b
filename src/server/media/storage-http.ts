/**
 * Serving a stored object over HTTP: streamed from storage (never read whole into memory), with its
 * Content-Length, and a single byte range when asked (RFC 9110; players and Safari ask for them).
 */
import type { FastifyReply } from "fastify";
import { AppError } from "../platform/errors.ts";
import { parseRange } from "./replay.ts";
import type { MediaStorage } from "./storage.ts";

export interface StoredObjectHeaders {
  contentType: string;
  cacheControl: string;
}

/** Sends `key` from `storage`, or throws a not_found / range_not_satisfiable problem. */
export async function sendStoredObject(reply: FastifyReply, storage: MediaStorage, key: string, rangeHeader: string | undefined, headers: StoredObjectHeaders): Promise<FastifyReply> {
  const st = await storage.stat(key);
  if (!st) throw new AppError("not_found", "No such file.");
  const range = parseRange(rangeHeader, st.size);
  if (range === "unsatisfiable") {
    reply.header("content-range", `bytes */${st.size}`);
    throw new AppError("range_not_satisfiable");
  }
  const body = await storage.stream(key, range ?? undefined);
  if (!body) throw new AppError("not_found", "No such file.");
  reply.header("accept-ranges", "bytes").header("cache-control", headers.cacheControl).type(headers.contentType);
  if (!range) return reply.status(200).header("content-length", st.size).send(body);
  return reply
    .status(206)
    .header("content-length", range.end - range.start + 1)
    .header("content-range", `bytes ${range.start}-${range.end}/${st.size}`)
    .send(body);
}
