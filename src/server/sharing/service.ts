import type { User } from "../../shared/contracts/accounts.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import { MAX_SHARE_TOKENS, ShareToken, type MyShare, type ShareKind, type ShareLink } from "../../shared/contracts/sharing.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId, newSecret } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Videos } from "../videos/service.ts";
import { formatPrice, type Preview } from "./preview.ts";

/** A purchase or join comes through a link for this long after the page was opened through it. */
export const ATTRIBUTION_MS = 7 * 86_400_000;
const PREVIEW_CACHE_MS = 5000;

export interface Sharing {
  /** The link to share: with the sharer's token (made once per sharer and target) or, anonymous, the plain page. */
  link(user: User | null, target: { kind: ShareKind; id: string }): Promise<Result<{ link: ShareLink }>>;
  /** The sharer's links, newest first, with visits, joins, orders and net GMV. */
  mine(userId: string): Promise<MyShare[]>;
  /** A browser opened the page through a link (its first touch). Unknown tokens and the sharer's own visits count nothing. */
  recordVisit(token: string, userId: string | null): Promise<void>;
  /** A viewer joined a show's room carrying a token; `visitor` is the browser's own id, when it sent one. */
  recordJoin(j: { showId: string; userId: string | null; token: string | null; visitor: string | null }): Promise<void>;
  /** A signed-in request carries share tokens (the `Vetrina-Share` header): orders it makes are attributed by them. */
  claim(userId: string, header: string): Claim;
  release(claim: Claim): void;
  /** The link preview of a page; `token` is kept in its URL when it is a link to that page. */
  preview(kind: ShareKind, id: string, token: string | null): Promise<Preview | null>;
}

export interface Claim {
  userId: string;
  tokens: string[];
}

interface ShareRow {
  id: string;
  sharer: string;
  kind: ShareKind;
  targetId: string;
}

/** Everything a share kind needs: its page, what it looks like, and which orders it brings. */
interface TargetKind {
  path(id: string): string;
  describe(id: string): Promise<Omit<Preview, "url"> | null>;
  /** does an order (from this show, with these products) come through a link to this target? */
  bringsOrder(targetId: string, order: { showId: string | null; productIds: string[] }): boolean | Promise<boolean>;
}

const cheapest = (p: Product) => (p.variants.length ? p.variants.reduce((a, b) => (b.price < a.price ? b : a)).price : null);

export function createSharing(deps: { db: Db; bus: EventBus; shows: Pick<Shows, "get">; catalog: Pick<Catalog, "get">; videos: Pick<Videos, "getPublished">; publicUrl: string; clock?: () => number; log: { error(obj: object, msg: string): void } }): Sharing {
  const { db, bus, publicUrl } = deps;
  const now = deps.clock ?? Date.now;
  const absolute = (u: string | null | undefined) => (!u ? null : /^https?:\/\//i.test(u) ? u : u.startsWith("/") ? `${publicUrl}${u}` : null);
  const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

  const targets: Record<ShareKind, TargetKind> = {
    show: {
      path: (id) => `/shows/${encodeURIComponent(id)}`,
      async describe(id) {
        const show = await deps.shows.get(id);
        if (!show) return null;
        const featured = show.products.find((p) => p.id === show.showcasedProductId) ?? show.products[0] ?? null;
        const amount = featured ? cheapest(featured) : null;
        const price = featured && amount !== null ? { amount, currency: featured.currency } : null;
        const when =
          show.status === "live"
            ? "Live now"
            : show.status === "scheduled"
              ? `Live on ${new Date(show.scheduledAt).toUTCString().replace(/:\d\d GMT$/, " UTC")}`
              : show.replayUrl
                ? "Replay"
                : "Ended";
        const parts = [`${when} with ${show.hostName}`, ...(featured ? [`${featured.title}${price ? ` — ${formatPrice(price.amount, price.currency)}` : ""}`] : []), ...(show.description ? [show.description] : [])];
        return {
          title: show.title,
          description: clip(parts.join(" · "), 300),
          image: absolute(show.coverUrl) ?? absolute(featured?.images[0]),
          type: "video.other",
          price,
        };
      },
      bringsOrder: (targetId, o) => o.showId === targetId,
    },
    product: {
      path: (id) => `/products/${encodeURIComponent(id)}`,
      async describe(id) {
        const p = await deps.catalog.get(id);
        if (!p) return null;
        const amount = cheapest(p);
        const price = amount !== null ? { amount, currency: p.currency } : null;
        const parts = [...(price ? [formatPrice(price.amount, price.currency)] : []), ...(p.description ? [p.description] : [])];
        return { title: p.title, description: clip(parts.join(" · ") || p.title, 300), image: absolute(p.images[0]), type: "product", price };
      },
      bringsOrder: (targetId, o) => o.productIds.includes(targetId),
    },
    video: {
      path: (id) => `/videos/${encodeURIComponent(id)}`,
      async describe(id) {
        const v = await deps.videos.getPublished(id);
        if (!v) return null;
        const featured = v.products[0] ?? null;
        const price = featured?.price ?? null;
        const parts = [`${v.creator.displayName} for ${v.merchant.name}`, ...(featured ? [`${featured.title}${price ? ` — ${formatPrice(price.amount, price.currency)}` : ""}`] : []), ...(v.caption ? [v.caption] : [])];
        return { title: v.title, description: clip(parts.join(" · "), 300), image: absolute(v.posterUrl) ?? absolute(featured?.imageUrl), type: "video.other", price };
      },
      // An order of a product the video sells (it has no show of its own to buy in).
      async bringsOrder(targetId, o) {
        const v = await deps.videos.getPublished(targetId);
        return !!v && v.products.some((p) => o.productIds.includes(p.id));
      },
    },
  };

  // Tokens never change their share: known ones are kept (unknown ones are not, so guessing costs no memory).
  const byToken = new Map<string, ShareRow>();
  async function resolve(token: string): Promise<ShareRow | null> {
    if (!ShareToken.safeParse(token).success) return null;
    const hit = byToken.get(token);
    if (hit) return hit;
    const r = await db.selectFrom("shares").select(["id", "sharer_user_id", "kind", "target_id"]).where("token", "=", token).executeTakeFirst();
    if (!r) return null;
    const row = { id: r.id, sharer: r.sharer_user_id, kind: r.kind, targetId: r.target_id };
    if (byToken.size > 50_000) byToken.clear();
    byToken.set(token, row);
    return row;
  }

  const previews = new Map<string, { at: number; value: Omit<Preview, "url"> | null }>();
  async function describe(kind: ShareKind, id: string) {
    const key = `${kind}:${id}`;
    const hit = previews.get(key);
    if (hit && now() - hit.at < PREVIEW_CACHE_MS) return hit.value;
    const value = await targets[kind].describe(id);
    if (previews.size > 1000) previews.clear();
    previews.set(key, { at: now(), value });
    return value;
  }

  const claims = new Map<string, Claim>();

  /** Which link an order came through: a token its request carried, else a show link its buyer joined through. */
  async function attribute(buyerId: string, order: { showId: string | null; productIds: string[] }, claim: Claim | undefined): Promise<ShareRow | null> {
    for (const token of claim?.tokens ?? []) {
      const s = await resolve(token);
      if (s && s.sharer !== buyerId && (await targets[s.kind].bringsOrder(s.targetId, order))) return s;
    }
    if (!order.showId) return null;
    const joined = await db
      .selectFrom("share_joins")
      .innerJoin("shares", "shares.id", "share_joins.share_id")
      .select(["shares.id", "shares.sharer_user_id", "shares.kind", "shares.target_id"])
      .where("share_joins.viewer_user_id", "=", buyerId)
      .where("share_joins.show_id", "=", order.showId)
      .where("share_joins.at", ">=", now() - ATTRIBUTION_MS)
      .where("shares.sharer_user_id", "!=", buyerId)
      .orderBy("share_joins.at", "desc")
      .executeTakeFirst();
    return joined ? { id: joined.id, sharer: joined.sharer_user_id, kind: joined.kind, targetId: joined.target_id } : null;
  }

  bus.subscribe("order.paid", async (e) => {
    // Read synchronously: the request that carried the tokens is still waiting for this order.
    const claim = claims.get(e.buyerId);
    const share = await attribute(e.buyerId, { showId: e.showId, productIds: e.productIds }, claim);
    if (!share) return;
    await db
      .insertInto("share_conversions")
      .values({ order_id: e.orderId, share_id: share.id, buyer_user_id: e.buyerId, currency: e.hostOrder.currency, total: e.hostOrder.total, status: "paid", at: now() })
      .onConflict((oc) => oc.column("order_id").doNothing())
      .execute();
  });
  // As analytics counts it: a cancelled order is refunded, and leaves the sharer's GMV.
  bus.subscribe("order.status_changed", async (e) => {
    if (e.status !== "cancelled" && e.status !== "refunded") return;
    await db.updateTable("share_conversions").set({ status: "refunded" }).where("order_id", "=", e.orderId).execute();
  });

  const self: Sharing = {
    async link(user, { kind, id }) {
      if (!(await describe(kind, id))) return fail("not_found", `No such ${kind}.`);
      const path = targets[kind].path(id);
      if (!user) return { ok: true, link: { kind, targetId: id, path, url: `${publicUrl}${path}`, token: null } };
      const find = () => db.selectFrom("shares").select("token").where("sharer_user_id", "=", user.id).where("kind", "=", kind).where("target_id", "=", id).executeTakeFirst();
      let token = (await find())?.token;
      if (!token) {
        await db
          .insertInto("shares")
          .values({ id: newId("shr"), token: newSecret(12), sharer_user_id: user.id, kind, target_id: id, visits: 0, created_at: now() })
          .onConflict((oc) => oc.columns(["sharer_user_id", "kind", "target_id"]).doNothing())
          .execute();
        token = (await find())!.token;
      }
      const withToken = `${path}?s=${token}`;
      return { ok: true, link: { kind, targetId: id, path: withToken, url: `${publicUrl}${withToken}`, token } };
    },

    async mine(userId) {
      const rows = await db.selectFrom("shares").selectAll().where("sharer_user_id", "=", userId).orderBy("created_at", "desc").orderBy("id", "desc").limit(200).execute();
      if (!rows.length) return [];
      const ids = rows.map((r) => r.id);
      const [joins, sales] = await Promise.all([
        db.selectFrom("share_joins").select((eb) => ["share_id", eb.fn.countAll<number>().as("n")]).where("share_id", "in", ids).groupBy("share_id").execute(),
        db
          .selectFrom("share_conversions")
          .select((eb) => ["share_id", "status", "currency", eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("total").as("amount")])
          .where("share_id", "in", ids)
          .groupBy(["share_id", "status", "currency"])
          .execute(),
      ]);
      const joinsOf = new Map(joins.map((j) => [j.share_id, Number(j.n)]));
      return Promise.all(
        rows.map(async (r): Promise<MyShare> => {
          const mine = sales.filter((s) => s.share_id === r.id);
          const gmv = new Map<string, number>();
          for (const s of mine) if (s.status === "paid") gmv.set(s.currency, (gmv.get(s.currency) ?? 0) + Number(s.amount));
          const path = `${targets[r.kind].path(r.target_id)}?s=${r.token}`;
          return {
            kind: r.kind,
            targetId: r.target_id,
            path,
            url: `${publicUrl}${path}`,
            token: r.token,
            title: (await describe(r.kind, r.target_id))?.title ?? null,
            createdAt: iso(Number(r.created_at)),
            visits: Number(r.visits),
            joins: joinsOf.get(r.id) ?? 0,
            orders: mine.reduce((n, s) => n + Number(s.n), 0),
            ordersRefunded: mine.filter((s) => s.status === "refunded").reduce((n, s) => n + Number(s.n), 0),
            gmv: [...gmv].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ currency, amount })),
          };
        }),
      );
    },

    async recordVisit(token, userId) {
      const s = await resolve(token);
      if (!s || s.sharer === userId) return;
      await db.updateTable("shares").set((eb) => ({ visits: eb("visits", "+", 1) })).where("id", "=", s.id).execute();
    },

    async recordJoin({ showId, userId, token, visitor }) {
      if (!token) return;
      const s = await resolve(token);
      if (!s || s.kind !== "show" || s.targetId !== showId || s.sharer === userId) return;
      const viewerKey = visitor && ShareToken.safeParse(visitor).success ? `v:${visitor}` : userId ? `u:${userId}` : null;
      if (!viewerKey) return;
      await db
        .insertInto("share_joins")
        .values({ share_id: s.id, viewer_key: viewerKey, show_id: showId, viewer_user_id: userId, at: now() })
        .onConflict((oc) => oc.columns(["share_id", "viewer_key"]).doNothing())
        .execute();
      // The same browser, now signed in: its account gets the link for later purchases.
      if (userId)
        await db.updateTable("share_joins").set({ viewer_user_id: userId, at: now() }).where("share_id", "=", s.id).where("viewer_key", "=", viewerKey).execute();
    },

    claim(userId, header) {
      const tokens = header
        .split(",")
        .map((t) => t.trim())
        .filter((t) => ShareToken.safeParse(t).success)
        .slice(0, MAX_SHARE_TOKENS);
      const claim = { userId, tokens };
      if (tokens.length) claims.set(userId, claim);
      return claim;
    },

    release(claim) {
      if (claims.get(claim.userId) === claim) claims.delete(claim.userId);
    },

    async preview(kind, id, token) {
      const d = await describe(kind, id);
      if (!d) return null;
      const s = token ? await resolve(token) : null;
      const path = targets[kind].path(id);
      const keep = s && s.kind === kind && s.targetId === id;
      return { ...d, url: `${publicUrl}${path}${keep ? `?s=${token}` : ""}` };
    },
  };
  return self;
}
