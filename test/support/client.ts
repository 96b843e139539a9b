import WebSocket from "ws";
import type { User } from "../../src/shared/contracts/accounts.ts";
import type { Product, ProductInput } from "../../src/shared/contracts/catalog.ts";
import type { BuyNowBody, Order } from "../../src/shared/contracts/checkout.ts";
import type { Problem } from "../../src/shared/contracts/errors.ts";
import { ServerFrame, type ClientMessage, type ServerEvent } from "../../src/shared/contracts/room.ts";
import type { Question, Show, ShowCounters, ShowInput, ShowSummary, StudioInfo } from "../../src/shared/contracts/shows.ts";

export interface Res<T> {
  status: number;
  body: T;
  problem: Problem | null;
  headers: Headers;
}

/** A typed client for the REST API and the room, used by tests like a user would use the app. */
export class ApiClient {
  cookie = "";
  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const init: RequestInit = { method, headers: { ...headers, ...(this.cookie ? { cookie: this.cookie } : {}) } };
    if (body !== undefined) {
      if (typeof body === "string" || body instanceof FormData) init.body = body as any;
      else init.body = JSON.stringify(body);
      if (!(body instanceof FormData)) (init.headers as Record<string, string>)["content-type"] ??= "application/json";
    }
    const res = await fetch(this.baseUrl + path, init);
    const setCookie = res.headers.getSetCookie?.() ?? [];
    for (const c of setCookie) {
      const [pair] = c.split(";");
      if (pair?.startsWith("vetrina_session=")) this.cookie = pair.endsWith("=") ? "" : pair;
    }
    const text = await res.text();
    const json = text && (res.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
    const isProblem = (res.headers.get("content-type") ?? "").startsWith("application/problem+json");
    return { status: res.status, body: json as T, problem: isProblem ? (json as Problem) : null, headers: res.headers };
  }

  auth = {
    signUp: (email: string, password: string, displayName: string) => this.request<{ user: User }>("POST", "/api/v1/auth/sign-up", { email, password, displayName }),
    signIn: (email: string, password: string) => this.request<{ user: User }>("POST", "/api/v1/auth/sign-in", { email, password }),
    signOut: () => this.request<{ ok: true }>("POST", "/api/v1/auth/sign-out"),
    me: () => this.request<{ user: User | null }>("GET", "/api/v1/me"),
  };

  products = {
    list: (q = "") => this.request<{ items: Product[]; nextCursor: string | null }>("GET", `/api/v1/merchant/products${q}`),
    create: (input: ProductInput | Record<string, unknown>) => this.request<Product>("POST", "/api/v1/merchant/products", input),
    update: (id: string, input: ProductInput | Record<string, unknown>) => this.request<Product>("PUT", `/api/v1/merchant/products/${id}`, input),
    get: (id: string) => this.request<Product>("GET", `/api/v1/products/${id}`),
  };

  shows = {
    list: (status?: string) => this.request<{ items: ShowSummary[] }>("GET", `/api/v1/shows${status ? `?status=${status}` : ""}`),
    get: (id: string) => this.request<Show>("GET", `/api/v1/shows/${id}`),
    mine: () => this.request<{ items: ShowSummary[] }>("GET", "/api/v1/host/shows"),
    merchantList: () => this.request<{ items: ShowSummary[] }>("GET", "/api/v1/merchant/shows"),
    create: (input: Partial<ShowInput>) => this.request<Show>("POST", "/api/v1/merchant/shows", input),
    studio: (id: string) => this.request<StudioInfo>("GET", `/api/v1/shows/${id}/studio`),
    rotateKey: (id: string) => this.request<StudioInfo>("POST", `/api/v1/shows/${id}/stream-key`),
    showcase: (id: string, productId: string | null) => this.request<{ ok: true }>("POST", `/api/v1/shows/${id}/showcase`, { productId }),
    end: (id: string) => this.request<Show>("POST", `/api/v1/shows/${id}/end`),
    counters: (id: string) => this.request<ShowCounters>("GET", `/api/v1/shows/${id}/counters`),
    questions: (id: string, status?: string) => this.request<{ items: Question[] }>("GET", `/api/v1/shows/${id}/questions${status ? `?status=${status}` : ""}`),
    answer: (id: string, qid: string, text: string) => this.request<Question>("POST", `/api/v1/shows/${id}/questions/${qid}/answer`, { text }),
    dismiss: (id: string, qid: string) => this.request<Question>("POST", `/api/v1/shows/${id}/questions/${qid}/dismiss`),
  };

  checkout = {
    buyNow: (body: BuyNowBody | Record<string, unknown>, idempotencyKey?: string) =>
      this.request<Order>("POST", "/api/v1/checkout/buy-now", body, idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
  };

  orders = {
    mine: () => this.request<{ items: Order[]; nextCursor: string | null }>("GET", "/api/v1/me/orders"),
    get: (id: string) => this.request<Order>("GET", `/api/v1/orders/${id}`),
    merchant: (q = "") => this.request<{ items: Order[]; nextCursor: string | null }>("GET", `/api/v1/merchant/orders${q}`),
    transition: (id: string, status: string) => this.request<Order>("POST", `/api/v1/merchant/orders/${id}/status`, { status }),
  };

  /** Joins a show's room over a real WebSocket. */
  async joinRoom(showId: string, opts: { since?: number; epoch?: string } = {}): Promise<RoomClient> {
    const resume = opts.since !== undefined ? `?since=${opts.since}${opts.epoch ? `&epoch=${encodeURIComponent(opts.epoch)}` : ""}` : "";
    const url = this.baseUrl.replace(/^http/, "ws") + `/api/v1/shows/${showId}/room${resume}`;
    const ws = new WebSocket(url, { headers: this.cookie ? { cookie: this.cookie } : {} });
    const client = new RoomClient(ws);
    await client.opened;
    await client.waitFor((e) => e.type === "room.snapshot");
    return client;
  }
}

export class RoomClient {
  readonly events: ServerEvent[] = [];
  readonly frames: string[] = [];
  /** room sequence numbers in the order received (the snapshot's, then each numbered frame's) */
  readonly seqs: number[] = [];
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;
  private waiters: { pred: (e: ServerEvent) => boolean; resolve: (e: ServerEvent) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    this.opened = new Promise((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("message", (data) => {
      const text = data.toString();
      this.frames.push(text);
      const parsed = ServerFrame.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`server sent an invalid frame: ${text.slice(0, 300)}`);
      for (const e of parsed.data) {
        if (e.type === "frame" && e.seq !== undefined) this.seqs.push(e.seq);
        if (e.type === "room.snapshot") this.seqs.push(e.seq);
        this.events.push(e);
        this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
      }
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  send(msg: ClientMessage | Record<string, unknown> | string) {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** Resolves with the first event (already received or future) matching the predicate. */
  waitFor<T extends ServerEvent>(pred: (e: ServerEvent) => boolean, timeoutMs = 10_000): Promise<T> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen as T);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for a room event; got: ${this.events.map((e) => e.type).join(", ")}`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e as T);
        },
      });
    });
  }

  /** Waits for the next event after now that matches. */
  next<T extends ServerEvent>(pred: (e: ServerEvent) => boolean, timeoutMs = 10_000): Promise<T> {
    const start = this.events.length;
    return this.waitFor<T>((e) => this.events.indexOf(e) >= start && pred(e), timeoutMs);
  }

  close() {
    this.ws.close();
  }
}
