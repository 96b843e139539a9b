import { z } from "zod";
import { Problem, type ErrorCode } from "../../../src/shared/contracts/errors.ts";

/** What can go wrong with a request: a problem the API answered, no answer at all, or an answer we cannot read. */
export type ApiErrorCode = ErrorCode | "network" | "bad_response";

/** Problems are read leniently: a code this build does not know yet still carries its title. */
const AnyProblem = Problem.extend({ code: z.string() });
type AnyProblem = z.infer<typeof AnyProblem>;

export class ApiError extends Error {
  readonly code: ApiErrorCode | (string & {});
  readonly status: number;
  readonly problem: AnyProblem | null;

  constructor(code: ApiErrorCode | (string & {}), status: number, problem: AnyProblem | null, message?: string) {
    super(message ?? problem?.detail ?? problem?.title ?? code);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.problem = problem;
  }

  /** The outcome is unknown (no answer, or the server failed mid-way): a retry may repeat a side effect. */
  get outcomeUnknown(): boolean {
    return this.code === "network" || this.code === "bad_response" || this.code === "internal_error" || this.code === "checkout_in_progress";
  }

  /** Field-level messages from a validation problem, keyed by the body path ("shipping.city"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) out[e.path.replace(/^\/?(body[./])?/, "").replace(/\//g, ".")] = e.message;
    return out;
  }
}

/** The error for a failed response whose body (parsed JSON, or undefined) may be a problem. */
export function errorFromResponse(status: number, json: unknown): ApiError {
  const p = AnyProblem.safeParse(json);
  if (p.success) return new ApiError(p.data.code, status, p.data);
  return new ApiError(status >= 500 ? "internal_error" : "bad_response", status, null, `HTTP ${status}`);
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

interface RequestOptions {
  body?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function request<S extends z.ZodType>(method: string, path: string, schema: S | null, opts: RequestOptions = {}): Promise<z.infer<S>> {
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: "same-origin", signal: opts.signal });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError("network", 0, null, String(err));
  }
  const text = await res.text().catch(() => "");
  let json: unknown = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) throw errorFromResponse(res.status, json);
  if (!schema) return undefined as z.infer<S>;
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.error(`unexpected response from ${method} ${path}`, parsed.error);
    throw new ApiError("bad_response", res.status, null, parsed.error.message);
  }
  return parsed.data;
}

export const http = {
  get: <S extends z.ZodType>(path: string, schema: S, opts?: RequestOptions) => request("GET", path, schema, opts),
  post: <S extends z.ZodType>(path: string, schema: S | null, body?: unknown, opts?: RequestOptions) => request("POST", path, schema, { ...opts, body }),
  put: <S extends z.ZodType>(path: string, schema: S, body: unknown, opts?: RequestOptions) => request("PUT", path, schema, { ...opts, body }),
  patch: <S extends z.ZodType>(path: string, schema: S, body: unknown, opts?: RequestOptions) => request("PATCH", path, schema, { ...opts, body }),
  del: <S extends z.ZodType>(path: string, schema: S | null, opts?: RequestOptions) => request("DELETE", path, schema, opts),
  upload: <S extends z.ZodType>(path: string, schema: S, form: FormData) => request("POST", path, schema, { form }),
};

/** Builds a query string from the defined values only. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : "";
}
