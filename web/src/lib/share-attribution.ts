import { storage } from "./storage.ts";
import { uuid } from "./ids.ts";

/**
 * Who shared the link this browser came through: the first link per show or product is remembered for
 * 7 days (first touch) and sent when joining that show's room and when buying, so the sharer gets the
 * credit. The token is opaque: nothing here, or in what the server answers, says who the sharer is.
 */
const KEY = "vetrina.shareTouches";
const VISITOR_KEY = "vetrina.visitor";
const TTL_MS = 7 * 86_400_000;
const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;
const SHARED_PAGE = /^\/(shows|products|videos)\/([A-Za-z0-9_-]{1,64})$/;
const MAX_TOKENS = 5;
const KIND_OF_PAGE = { shows: "show", products: "product", videos: "video" } as const;

type Touches = Record<string, { token: string; at: number }>;

function touches(now = Date.now()): Touches {
  try {
    const all = JSON.parse(storage.get(KEY) ?? "{}") as Touches;
    return Object.fromEntries(Object.entries(all).filter(([, t]) => t && typeof t.token === "string" && TOKEN.test(t.token) && now - t.at < TTL_MS));
  } catch {
    return {};
  }
}

/** This browser's own random id: a viewer joining twice through a link is one join. */
export function visitorId(): string {
  let id = storage.get(VISITOR_KEY);
  if (!id || !TOKEN.test(id)) storage.set(VISITOR_KEY, (id = uuid()));
  return id;
}

/**
 * At start: a shared page opened with `?s=<token>` remembers the token (unless an earlier one for the
 * same page is still fresh), tells the server of the visit, and drops `s` from the address bar.
 */
export function captureShareToken(): void {
  const url = new URL(location.href);
  const token = url.searchParams.get("s");
  if (token === null) return;
  url.searchParams.delete("s");
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  const page = SHARED_PAGE.exec(url.pathname);
  if (!page || !TOKEN.test(token)) return;
  const key = `${KIND_OF_PAGE[page[1] as keyof typeof KIND_OF_PAGE]}:${page[2]}`;
  const now = Date.now();
  const known = touches(now);
  if (known[key]) return;
  storage.set(KEY, JSON.stringify({ ...known, [key]: { token, at: now } }));
  void fetch("/api/v1/shares/visits", { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify({ token }), keepalive: true }).catch(() => {});
}

/** The room handshake's share fields for a show ("" when this browser came through no link to it). */
export function roomShareQuery(showId: string): string {
  const t = touches()[`show:${showId}`];
  return t ? `share=${encodeURIComponent(t.token)}&visitor=${encodeURIComponent(visitorId())}` : "";
}

/** The `Vetrina-Share` header of a purchase in a show: that show's link first, then product and video links, newest first. */
export function shareHeader(showId: string): Record<string, string> {
  const all = touches();
  const show = all[`show:${showId}`];
  const products = Object.entries(all)
    .filter(([k]) => k.startsWith("product:") || k.startsWith("video:"))
    .sort(([, a], [, b]) => b.at - a.at)
    .map(([, t]) => t.token);
  const tokens = [...(show ? [show.token] : []), ...products].slice(0, MAX_TOKENS);
  return tokens.length ? { "vetrina-share": tokens.join(",") } : {};
}
