import type { FeedItem, FeedProduct, FeedQuery, FeedVideoCard } from "../../shared/contracts/feed.ts";
import type { FeedReviewCard } from "../../shared/contracts/reviews.ts";
import { sql } from "kysely";
import type { Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { stripItem, type Catalog } from "../catalog/service.ts";
import type { NotificationsTables } from "../notifications/schema.ts";
import type { Shows } from "../shows/service.ts";
import type { Reviews } from "../reviews/service.ts";
import { recentMap, type RecentMap } from "../platform/recent-map.ts";
import type { EventBus } from "../platform/bus.ts";

/** One short video and its position in the videos domain's own order (an opaque cursor continuing after it). */
export interface FeedVideoEntry {
  cursor: string;
  video: FeedVideoCard;
  products?: FeedProduct[];
}

export interface FeedDeps {
  db: Db;
  catalog: Pick<Catalog, "cards">;
  /** the items' show summaries come from the shows domain */
  shows: Pick<Shows, "summariesOf">;
  viewerCount(showId: string): number;
  playbackUrl(showId: string): string | null;
  replayUrl(showId: string): string;
  /** Published short videos after `cursor` (null: from the first), at most `limit`: of the followed accounts (tier 0) or of anyone else (tier 1). */
  videos?: (cursor: string | null, limit: number, scope: { tier: 0 | 1; hosts: string[]; merchants: string[] }) => Promise<FeedVideoEntry[]>;
  /** Buyers' reviews with photos (the reviews domain's segments and cards); absent without it. */
  reviews?: Pick<Reviews, "feedSegment" | "feedCards" | "ratingsOf">;
  /** the domains' events, which drop what the feed keeps in memory (follows, items) on every node */
  bus?: Pick<EventBus, "subscribe">;
  clock?: () => number;
}

export interface Feed {
  page(q: FeedQuery, userId: string | null): Promise<Result<{ items: FeedItem[]; nextCursor: string | null }>>;
  /** Drop everything kept in memory (the broker came back: events from other nodes may have been missed). */
  forgetKept(): void;
}

/**
 * The feed's segments: followed accounts (tier 0) then everyone else (tier 1), each by kind. A cursor
 * names a segment by its index here, so segments are only ever appended (old cursors keep their meaning);
 * the order a page walks them in is ORDER's. Each segment is one keyset query.
 */
export const SEGMENTS = [
  { tier: 0, kind: "live" },
  { tier: 0, kind: "upcoming" },
  { tier: 0, kind: "replay" },
  { tier: 1, kind: "live" },
  { tier: 1, kind: "upcoming" },
  { tier: 1, kind: "video" },
  { tier: 1, kind: "replay" },
  { tier: 0, kind: "review" },
  { tier: 1, kind: "review" },
  { tier: 0, kind: "video" },
] as const;
type Segment = (typeof SEGMENTS)[number];
/** The walk: followed live, upcoming, videos, replays, reviews; then live, upcoming, videos, reviews, replays. */
const ORDER = [0, 1, 9, 2, 7, 3, 4, 5, 8, 6] as const;

/** Where a page stopped: segment, the last item's frozen sort key and id (or the videos' own cursor), the live ranking snapshot. */
interface Position {
  s: number;
  k: number;
  i: string;
  /** live ranking snapshot */
  n?: string;
  /** the videos domain's cursor */
  v?: string;
}

const UPCOMING_GRACE_MS = 30 * 60_000;
const UPCOMING_HORIZON_MS = 7 * 86_400_000;
const SNAPSHOT_REUSE_MS = 5_000;
const SNAPSHOT_KEEP_MS = 15 * 60_000;
const MAX_LIVE = 2_000;
const MAX_FOLLOWS = 1_000;
const PRODUCTS_PER_ITEM = 3;
/**
 * Pages for signed-out visitors are the same for everyone at the same cursor: the first page most of all,
 * which every visitor opening the app asks for. They are kept this long (viewer counts and a show that
 * just went live or ended may be that much behind; a signed-in page, with its follows and reminders, is
 * never kept).
 */
const ANONYMOUS_PAGE_MS = 2_000;
/**
 * What every page renders its shows from (the show's summary, its product strip, the strips' ratings)
 * is the same for every viewer, so it is kept per show and per product this long: a signed-in page
 * reads only what no page read in the last two seconds. The shows', products' and reviews' events drop
 * entries at once (a show that goes live, ends or is edited; a product's price or title; a rating that
 * moves), so the age bounds only what no event names (a show's like count: as stale as an anonymous
 * page). Viewer counts are read fresh on every page.
 */
const ITEM_KEEP_MS = 2_000;
const ITEMS_KEPT = 5_000;
/**
 * A viewer's follows are read on every page of theirs; they are kept per user this long, and dropped
 * on every node when the user follows or unfollows (`follows.changed`).
 */
const FOLLOWS_KEEP_MS = 60_000;
const FOLLOWS_KEPT = 20_000;

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify(p)).toString("base64url");
}

function decodeCursor(cursor: string): Position | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString());
    if (!v || typeof v !== "object") return null;
    const p = v as Record<string, unknown>;
    if (!Number.isInteger(p.s) || (p.s as number) < 0 || (p.s as number) >= SEGMENTS.length) return null;
    if (typeof p.k !== "number" || !Number.isFinite(p.k) || typeof p.i !== "string" || p.i.length > 64) return null;
    if (p.n !== undefined && typeof p.n !== "string") return null;
    if (p.v !== undefined && typeof p.v !== "string") return null;
    return { s: p.s as number, k: p.k, i: p.i, n: p.n as string | undefined, v: p.v as string | undefined };
  } catch {
    return null;
  }
}

/** An item before it is rendered: enough to order it and continue after it. */
interface Pending {
  seg: number;
  key: number;
  id: string;
  videoCursor?: string;
  video?: FeedVideoEntry;
  /** a review (rendered from the reviews domain's cards) */
  review?: boolean;
}

export function createFeed(deps: FeedDeps): Feed {
  const db = deps.db.withTables<NotificationsTables>();
  const clock = deps.clock ?? Date.now;

  // Live shows are ranked by viewers, which change every second and live in memory: a page ranks them by
  // a snapshot of the counts, and its cursor names the snapshot so that the next pages keep that order.
  const snapshots = new Map<string, { at: number; counts: Map<string, number> }>();
  let snapSeq = 0;
  let taking: Promise<{ id: string; counts: Map<string, number> }> | null = null;
  async function liveSnapshot(id: string | undefined): Promise<{ id: string; counts: Map<string, number> }> {
    const now = clock();
    if (id) {
      const s = snapshots.get(id);
      if (s) return { id, counts: s.counts };
    }
    const latest = [...snapshots.entries()].at(-1);
    if (!id && latest && now - latest[1].at < SNAPSHOT_REUSE_MS) return { id: latest[0], counts: latest[1].counts };
    // One snapshot at a time: the pages asked for while it is being taken share it (under load they were
    // dozens, each reading every live show and each leaving a snapshot of its own behind).
    taking ??= (async () => {
      try {
        for (const [k, s] of snapshots) if (now - s.at > SNAPSHOT_KEEP_MS) snapshots.delete(k);
        const rows = await db.selectFrom("shows").select("id").where("status", "=", "live").limit(MAX_LIVE).execute();
        const counts = new Map(rows.map((r) => [r.id, deps.viewerCount(r.id)]));
        const newId = `${now.toString(36)}${(snapSeq++).toString(36)}`;
        snapshots.set(newId, { at: now, counts });
        return { id: newId, counts };
      } finally {
        taking = null;
      }
    })();
    return taking;
  }

  type Follows = { hosts: string[]; merchants: string[] };
  const followsKept = recentMap<Follows>({ max: FOLLOWS_KEPT, ttlMs: FOLLOWS_KEEP_MS, clock });
  deps.bus?.subscribe("follows.changed", (e) => followsKept.delete(e.userId), { scope: "cluster" });
  async function follows(userId: string): Promise<Follows> {
    const kept = followsKept.get(userId);
    if (kept) return kept;
    const generation = followsKept.generation(); // a read in flight across a follow or unfollow is not kept
    const f = await readFollows(userId);
    followsKept.set(userId, f, generation);
    return f;
  }

  /** The creators (their user ids) and shops a viewer follows: one statement for both. */
  async function readFollows(userId: string): Promise<Follows> {
    const hosts = db
      .selectFrom("creator_follows")
      .innerJoin("creators", "creators.id", "creator_follows.creator_id")
      .select([sql.lit("h").as("k"), "creators.user_id as id"])
      .where("creator_follows.follower_user_id", "=", userId)
      .limit(MAX_FOLLOWS);
    const shops = db.selectFrom("merchant_follows").select([sql.lit("m").as("k"), "merchant_id as id"]).where("follower_user_id", "=", userId).limit(MAX_FOLLOWS);
    // Each side keeps its own LIMIT inside a sub-select (SQLite allows no LIMIT on a UNION's arms).
    const rows = await db
      .selectFrom(hosts.as("h"))
      .select(["h.k", "h.id"])
      .unionAll(db.selectFrom(shops.as("m")).select(["m.k", "m.id"]))
      .execute();
    return { hosts: rows.filter((r) => r.k === "h").map((r) => r.id), merchants: rows.filter((r) => r.k === "m").map((r) => r.id) };
  }

  const isFollowed = (f: Follows | null, hostId: string, merchantId: string) => !!f && (f.hosts.includes(hostId) || f.merchants.includes(merchantId));

  /** The tier's filter: shows of followed accounts (tier 0) or of anyone else (tier 1). */
  function tierFilter<Q extends { where: (...a: any[]) => Q }>(q: Q, tier: 0 | 1, f: Follows | null): Q | null {
    const hosts = f?.hosts ?? [];
    const merchants = f?.merchants ?? [];
    if (tier === 0) {
      if (!hosts.length && !merchants.length) return null;
      return q.where((eb: any) => eb.or([...(hosts.length ? [eb("shows.host_user_id", "in", hosts)] : []), ...(merchants.length ? [eb("shows.merchant_id", "in", merchants)] : [])]));
    }
    let r = q;
    if (hosts.length) r = r.where("shows.host_user_id", "not in", hosts);
    if (merchants.length) r = r.where("shows.merchant_id", "not in", merchants);
    return r;
  }

  async function fetchSegment(segIndex: number, seg: Segment, after: Position | null, limit: number, f: Follows | null, snap: { counts: Map<string, number> }): Promise<Pending[]> {
    const now = clock();
    if (seg.kind === "video") {
      if (!deps.videos) return [];
      if (seg.tier === 0 && !f?.hosts.length && !f?.merchants.length) return [];
      const entries = await deps.videos(after?.v ?? null, limit, { tier: seg.tier, hosts: f?.hosts ?? [], merchants: f?.merchants ?? [] });
      return entries.slice(0, limit).map((e) => ({ seg: segIndex, key: 0, id: e.video.id, videoCursor: e.cursor, video: e }));
    }
    if (seg.kind === "review") {
      if (!deps.reviews) return [];
      const rows = await deps.reviews.feedSegment(seg.tier, { merchants: f?.merchants ?? [], authors: f?.hosts ?? [] }, after ? { key: after.k, id: after.i } : null, limit);
      return rows.map((r) => ({ seg: segIndex, key: r.key, id: r.id, review: true }));
    }
    const base = () => db.selectFrom("shows");
    if (seg.kind === "live") {
      const q = tierFilter(base().select(["shows.id"]).where("shows.status", "=", "live"), seg.tier, f);
      if (!q) return [];
      const rows = await q.limit(MAX_LIVE).execute();
      // Shows that went live after the snapshot rank after its shows (0 viewers), by id.
      const ranked = rows.map((r) => ({ id: r.id, v: snap.counts.get(r.id) ?? 0 })).sort((a, b) => b.v - a.v || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const rest = after ? ranked.filter((r) => r.v < after.k || (r.v === after.k && r.id > after.i)) : ranked;
      return rest.slice(0, limit).map((r) => ({ seg: segIndex, key: r.v, id: r.id }));
    }
    if (seg.kind === "upcoming") {
      let q = base().select(["shows.id", "shows.scheduled_at"]).where("shows.status", "=", "scheduled").where("shows.scheduled_at", ">=", now - UPCOMING_GRACE_MS);
      if (seg.tier === 1) q = q.where("shows.scheduled_at", "<=", now + UPCOMING_HORIZON_MS);
      // A row comparison, not `a > k OR (a = k AND id > i)`: PostgreSQL turns only the row form into an index range
      // (the OR form read every row before the cursor: 139 ms at item 85,000 of 100,000, bench:feed).
      if (after) q = q.where((eb) => eb(eb.refTuple("shows.scheduled_at", "shows.id"), ">", eb.tuple(after.k, after.i)));
      const t = tierFilter(q, seg.tier, f);
      if (!t) return [];
      const rows = await t.orderBy("shows.scheduled_at", "asc").orderBy("shows.id", "asc").limit(limit).execute();
      return rows.map((r) => ({ seg: segIndex, key: Number(r.scheduled_at), id: r.id }));
    }
    let q = base().select(["shows.id", "shows.ended_at"]).where("shows.status", "=", "ended").where("shows.recording", "=", "ready").where("shows.ended_at", "is not", null);
    if (after) q = q.where((eb) => eb(eb.refTuple("shows.ended_at", "shows.id"), "<", eb.tuple(after.k, after.i)));
    const t = tierFilter(q, seg.tier, f);
    if (!t) return [];
    const rows = await t.orderBy("shows.ended_at", "desc").orderBy("shows.id", "desc").limit(limit).execute();
    return rows.map((r) => ({ seg: segIndex, key: Number(r.ended_at), id: r.id }));
  }

  // What pages render their items from, kept ITEM_KEEP_MS (null: known to be absent).
  type Summary = Awaited<ReturnType<Shows["summariesOf"]>>[number];
  type Rating = NonNullable<FeedProduct["rating"]>;
  const summaryKept = recentMap<Summary | null>({ max: ITEMS_KEPT, ttlMs: ITEM_KEEP_MS, clock });
  const stripKept = recentMap<FeedProduct[]>({ max: ITEMS_KEPT, ttlMs: ITEM_KEEP_MS, clock });
  const ratingKept = recentMap<Rating | null>({ max: ITEMS_KEPT * PRODUCTS_PER_ITEM, ttlMs: ITEM_KEEP_MS, clock });
  const dropShow = (showId: string) => {
    summaryKept.delete(showId);
    stripKept.delete(showId);
  };
  for (const type of ["show.started", "show.ended", "show.changed", "show.scheduled"] as const) deps.bus?.subscribe(type, (e) => dropShow(e.showId), { scope: "cluster" });
  for (const type of ["review.posted", "review.updated", "review.deleted", "review.moderated"] as const) deps.bus?.subscribe(type, (e) => ratingKept.delete(e.productId), { scope: "cluster" });
  // A product's title, price or image is on the strip of every show that sells it: an edit drops all strips (edits are rare next to reads).
  deps.bus?.subscribe("product.changed", () => stripKept.clear(), { scope: "cluster" });

  /**
   * Read-through: the kept values of `ids` (through `fresh`, when given), and `read` for the others,
   * kept unless an event dropped any of `kept` meanwhile (`absent`: what an id that `read` did not return is kept as).
   */
  async function through<V>(kept: RecentMap<V>, ids: string[], read: (misses: string[]) => Promise<Map<string, V>>, absent: V | undefined, fresh?: (id: string, v: V) => V): Promise<Map<string, V>> {
    const split = kept.split(ids);
    const { misses } = split;
    const hits = fresh ? new Map([...split.hits].map(([id, v]) => [id, fresh(id, v)] as const)) : split.hits;
    if (!misses.length) return hits;
    const generation = kept.generation();
    const got = await read(misses);
    for (const id of misses) {
      const v = got.get(id) ?? absent;
      if (v === undefined) continue;
      kept.set(id, v, generation);
      hits.set(id, v);
    }
    return hits;
  }

  async function summaries(ids: string[]): Promise<Map<string, Summary>> {
    // A kept summary's viewer count is the one read with it: a hit shows the room's count of now instead.
    const now = (id: string, r: Summary | null) => r && { ...r, summary: { ...r.summary, viewerCount: r.summary.status === "live" ? deps.viewerCount(id) : 0 } };
    const all = await through(summaryKept, ids, async (misses) => new Map((await deps.shows.summariesOf(misses)).map((r) => [r.summary.id, r] as const)), null, now);
    const out = new Map<string, Summary>();
    for (const [id, r] of all) if (r) out.set(id, r); // null: deleted
    return out;
  }

  /** The products' star ratings (absent: no review yet). */
  async function ratingsOf(productIds: string[]): Promise<Map<string, Rating | null>> {
    if (!deps.reviews) return new Map();
    const reviews = deps.reviews;
    return through(ratingKept, productIds, (misses) => reviews.ratingsOf(misses), null);
  }

  /** The first three products of each show, with the first image and lowest price (kept per show). */
  async function productsOf(showIds: string[]): Promise<Map<string, FeedProduct[]>> {
    return through(stripKept, showIds, readStrips, []);
  }

  async function readStrips(showIds: string[]): Promise<Map<string, FeedProduct[]>> {
    const out = new Map<string, FeedProduct[]>();
    if (!showIds.length) return out;
    const links = await db.selectFrom("show_products").select(["show_id", "product_id", "position"]).where("show_id", "in", showIds).orderBy("show_id").orderBy("position").execute();
    const firsts = new Map<string, string[]>();
    for (const l of links) {
      const list = firsts.get(l.show_id) ?? [];
      if (list.length < PRODUCTS_PER_ITEM) list.push(l.product_id);
      firsts.set(l.show_id, list);
    }
    const cards = await deps.catalog.cards([...firsts.values()].flat());
    for (const [showId, ids] of firsts) {
      out.set(
        showId,
        ids.flatMap((id) => {
          const c = cards.get(id);
          return c ? [stripItem(c)] : [];
        }),
      );
    }
    return out;
  }

  type Page = { items: FeedItem[]; nextCursor: string | null };
  const anonymousPages = recentMap<Page>({ max: 2_000, ttlMs: ANONYMOUS_PAGE_MS, clock });

  return {
    async page(q, userId) {
      if (userId) return build(q, userId);
      const key = `${q.limit}:${q.cursor ?? ""}`;
      const kept = anonymousPages.get(key);
      if (kept) return { ok: true, ...kept };
      const r = await build(q, null);
      if (r.ok) anonymousPages.set(key, { items: r.items, nextCursor: r.nextCursor });
      return r;
    },
    forgetKept() {
      followsKept.clear();
      summaryKept.clear();
      stripKept.clear();
      ratingKept.clear();
    },
  };

  async function build({ cursor, limit }: FeedQuery, userId: string | null): Promise<Result<Page>> {
    const after = cursor ? decodeCursor(cursor) : null;
    if (cursor && !after) return fail("validation_failed", "The cursor is not valid: start from the first page.");
    const f = userId ? await follows(userId) : null;
    const snap = await liveSnapshot(after?.n);
    const pending: Pending[] = [];
    for (let o = after ? ORDER.indexOf(after.s as (typeof ORDER)[number]) : 0; o < ORDER.length && pending.length <= limit; o++) {
      const s = ORDER[o]!;
      const seg = SEGMENTS[s]!;
      if (seg.tier === 0 && !f) continue;
      pending.push(...(await fetchSegment(s, seg, after && after.s === s ? after : null, limit + 1 - pending.length, f, snap)));
    }
    const taken = pending.slice(0, limit);
    const last = taken.at(-1);
    const nextCursor = pending.length > limit && last ? encodeCursor({ s: last.seg, k: last.key, i: last.id, n: snap.id, ...(last.videoCursor ? { v: last.videoCursor } : {}) }) : null;

    const showIds = taken.filter((p) => !p.video && !p.review).map((p) => p.id);
    // Only an upcoming item shows whether the viewer asked to be reminded.
    const upcomingIds = taken.filter((p) => SEGMENTS[p.seg]!.kind === "upcoming").map((p) => p.id);
    const reviewIds = taken.filter((p) => p.review).map((p) => p.id);
    const [rows, products, reminders, reviewCards] = await Promise.all([
      summaries(showIds),
      productsOf(showIds),
      userId && upcomingIds.length ? db.selectFrom("show_reminders").select("show_id").where("user_id", "=", userId).where("show_id", "in", upcomingIds).execute() : Promise.resolve([]),
      reviewIds.length && deps.reviews ? deps.reviews.feedCards(reviewIds) : Promise.resolve(new Map<string, FeedReviewCard>()),
    ]);
    const reminded = new Set(reminders.map((r) => r.show_id));
    const items: FeedItem[] = [];
    for (const p of taken) {
      if (p.video) {
        items.push({ kind: "video", video: p.video.video, products: p.video.products ?? [], followed: SEGMENTS[p.seg]!.tier === 0 });
        continue;
      }
      if (p.review) {
        const card = reviewCards.get(p.id);
        if (!card) continue; // hidden or deleted meanwhile
        items.push({ kind: "review", review: card, products: [{ ...card.product }], followed: SEGMENTS[p.seg]!.tier === 0 });
        continue;
      }
      const row = rows.get(p.id);
      if (!row) continue; // deleted meanwhile
      const seg = SEGMENTS[p.seg]!;
      // The strip's entries are the page's own (ratings are set on them below; the kept ones stay as read).
      const common = { show: row.summary, creatorName: row.creatorName, products: (products.get(p.id) ?? []).map((x) => ({ ...x })), followed: seg.tier === 0 || isFollowed(f, row.summary.hostId, row.summary.merchantId) };
      if (seg.kind === "live") items.push({ kind: "live", ...common, playbackUrl: row.summary.status === "live" ? deps.playbackUrl(p.id) : null });
      else if (seg.kind === "upcoming") items.push({ kind: "upcoming", ...common, reminded: reminded.has(p.id) });
      else items.push({ kind: "replay", ...common, replayUrl: deps.replayUrl(p.id) });
    }
    // The products' star ratings on every strip: one read of the reviews' summaries per page.
    if (deps.reviews) {
      const strips = items.flatMap((i) => i.products);
      const ratings = await ratingsOf(strips.map((p) => p.id));
      for (const p of strips) {
        const r = ratings.get(p.id);
        if (r) p.rating = r;
      }
    }
    return { ok: true, items, nextCursor };
  }
}
