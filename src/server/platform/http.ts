import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import cookie from "@fastify/cookie";
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { errorCatalogue, type ErrorCode, type Problem } from "../../shared/contracts/errors.ts";
import { AppError, defaultMessages } from "./errors.ts";
import { newId } from "./ids.ts";

export type Http = FastifyInstance<any, any, any, Logger, ZodTypeProvider>;

export function problemBody(code: ErrorCode, detail?: string, requestId?: string, errors?: Problem["errors"]): Problem {
  return {
    type: `https://vetrina.dev/problems/${code.replace(/_/g, "-")}`,
    title: defaultMessages[code],
    status: errorCatalogue[code],
    code,
    ...(detail && detail !== defaultMessages[code] ? { detail } : {}),
    ...(requestId ? { requestId } : {}),
    ...(errors ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, errors?: Problem["errors"]) {
  return reply
    .status(errorCatalogue[code])
    // An error is about this moment (a part not there yet, a show not live yet): no cache or CDN may keep it.
    .header("cache-control", "no-store")
    .type("application/problem+json")
    .send(problemBody(code, detail, String(reply.request.id), errors));
}

export function createHttp(logger: Logger, opts: { bodyLimit?: number; spaFallback?: boolean } = {}): Http {
  const app = Fastify({
    loggerInstance: logger,
    genReqId: () => newId("req"),
    requestIdHeader: false,
    bodyLimit: opts.bodyLimit ?? 256 * 1024,
    trustProxy: true,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.register(cookie);

  app.addHook("onSend", async (req, reply, payload) => {
    reply.header("x-request-id", req.id);
    return payload;
  });

  app.setErrorHandler((err: any, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) return sendProblem(reply, err.code, err.message, err.fieldErrors);
    if (hasZodFastifySchemaValidationErrors(err)) {
      const errors = err.validation.map((v: any) => ({
        path: [err.validationContext, ...(v.instancePath ? v.instancePath.split("/").filter(Boolean) : [])].join("."),
        message: v.message ?? "invalid",
      }));
      return sendProblem(reply, "validation_failed", `Invalid ${err.validationContext ?? "request"}`, errors);
    }
    switch (err.code) {
      case "FST_ERR_CTP_INVALID_JSON_BODY":
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return sendProblem(reply, "malformed_json", err.message);
      case "FST_ERR_CTP_BODY_TOO_LARGE":
      case "FST_REQ_FILE_TOO_LARGE":
        return sendProblem(reply, "payload_too_large");
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      case "FST_INVALID_MULTIPART_CONTENT_TYPE":
        return sendProblem(reply, "unsupported_media_type");
    }
    if (err instanceof SyntaxError && (err as any).statusCode === 400) return sendProblem(reply, "malformed_json", err.message);
    if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
      req.log.info({ err }, "client error");
      return sendProblem(reply, err.statusCode === 404 ? "not_found" : "validation_failed", err.message);
    }
    // Unknown: log everything with the request id, tell the client nothing internal.
    req.log.error({ err, reqId: req.id }, "unhandled error");
    return sendProblem(reply, "internal_error");
  });

  app.setNotFoundHandler((req, reply) => {
    const p = req.url.split("?")[0] ?? "/";
    // Single-page app: unknown page paths get index.html; API and media paths keep problem+json 404s.
    if (opts.spaFallback && req.method === "GET" && !/^\/(api|hls|uploads)\//.test(p) && !/\.[a-z0-9]+$/i.test(p))
      return reply.type("text/html").sendFile("index.html");
    return sendProblem(reply, "route_not_found", `${req.method} ${p}`);
  });
  return app;
}
