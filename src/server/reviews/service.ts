import type { User } from "../../shared/contracts/accounts.ts";
import { isValidStorageKey, type MediaStorage } from "../media/storage.ts";
import type { FeedReviewCard, Review, ReviewListQuery, ReviewPage, Reviewable, ReviewSummary } from "../../shared/contracts/reviews.ts";
import type { Db, Tx } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Orders } from "../checkout/orders.ts";
import type { ReviewsTables } from "./schema.ts";

/** A review body once the contract has parsed it (trimmed text, photos defaulted). */
type ParsedInput = { rating: number; text: string; photos: string[] };

export interface ReviewsDeps {
  db: Db;
  bus: EventBus;
  catalog: Pick<Catalog, "get" | "getMany">;
  /** verification: what the buyer has paid for and still owns */
  orders: Pick<Orders, "purchasesOf">;
  /** where `POST /api/v1/uploads/images` stores images (local disk or S3, by file name): a photo must be there */
  images: Pick<MediaStorage, "stat">;
  clock?: () => number;
}

/** One feed entry: where it sorts (newest first) and what the feed needs to show it. */
export interface ReviewFeedEntry {
  key: number;
  id: string;
}

export interface Reviews {
  post(user: User, productId: string, input: ParsedInput): Promise<Result<{ review: Review }>>;
  edit(user: User, reviewId: string, input: ParsedInput): Promise<Result<{ review: Review }>>;
  remove(user: User, reviewId: string): Promise<Result<{}>>;
  list(productId: string, q: ReviewListQuery, viewerId: string | null): Promise<Result<ReviewPage>>;
  summary(productId: string): Promise<Result<{ summary: ReviewSummary }>>;
  /** Products the user paid for (and still owns) and has not reviewed, latest purchase first. */
  reviewable(userId: string, productId?: string): Promise<Reviewable[]>;
  /** Platform moderation (admins): hide a review everywhere, or show it again. */
  moderate(user: User, reviewId: string, hidden: boolean, reason?: string): Promise<Result<{ review: Review }>>;
  /** The product's shop answers a review, once. */
  reply(user: User, reviewId: string, text: string): Promise<Result<{ review: Review }>>;
  /** "Helpful": one vote per user; `helpful: false` takes it back. */
  vote(user: User, reviewId: string, helpful: boolean): Promise<Result<{ review: Review }>>;
  /**
   * The feed's review segments: visible reviews with photos, newest first, after (`key`, `id`).
   * Tier 0: of followed shops' products or by followed creators; tier 1: everyone else's, rated 4 or 5.
   */
  feedSegment(tier: 0 | 1, follows: { merchants: string[]; authors: string[] }, after: { key: number; id: string } | null, limit: number): Promise<ReviewFeedEntry[]>;
  /** The feed cards of these reviews (visible ones only), by id. */
  feedCards(ids: string[]): Promise<Map<string, FeedReviewCard>>;
  /** Rating summaries of the products that have visible reviews (for product strips), by product id. */
  ratingsOf(productIds: string[]): Promise<Map<string, { average: number; count: number }>>;
}

const EXCERPT = 180;
const SORT_COLUMN = { recent: "created_at", helpful: "helpful_count", rating: "rating" } as const;
/** Our transaction handed to checkout (it only reads its own tables through it). */
const asTx = (tx: unknown) => tx as Tx;
const isUniqueViolation = (err: unknown) => /unique|duplicate key/i.test(String(err));

function excerpt(text: string): string {
  if (text.length <= EXCERPT) return text;
  const cut = text.slice(0, EXCERPT);
  const space = cut.lastIndexOf(" ");
  return `${(space > EXCERPT / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function createReviews(deps: ReviewsDeps): Reviews {
  const db = deps.db.withTables<ReviewsTables>();
  type Q = typeof db;
  const clock = deps.clock ?? Date.now;

  const rowQuery = (q: Q) =>
    q
      .selectFrom("reviews")
      .innerJoin("users", "users.id", "reviews.author_user_id")
      .select([
        "reviews.id",
        "reviews.product_id",
        "reviews.merchant_id",
        "reviews.author_user_id",
        "reviews.rating",
        "reviews.text",
        "reviews.photos",
        "reviews.status",
        "reviews.helpful_count",
        "reviews.reply_text",
        "reviews.reply_at",
        "reviews.created_at",
        "reviews.edited_at",
        "users.display_name",
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof rowQuery>["executeTakeFirstOrThrow"]>>;

  function toReview(r: Row, viewerId: string | null, voted: Set<string>): Review {
    return {
      id: r.id,
      productId: r.product_id,
      rating: Number(r.rating),
      text: r.text,
      photos: JSON.parse(r.photos) as string[],
      authorName: r.display_name,
      verifiedBuyer: true,
      helpfulCount: Number(r.helpful_count),
      votedHelpful: voted.has(r.id),
      mine: r.author_user_id === viewerId,
      hidden: r.status === "hidden",
      reply: r.reply_text != null && r.reply_at != null ? { text: r.reply_text, at: iso(Number(r.reply_at)) } : null,
      createdAt: iso(Number(r.created_at)),
      editedAt: isoOrNull(r.edited_at == null ? null : Number(r.edited_at)),
    };
  }

  async function votedBy(viewerId: string | null, ids: string[]): Promise<Set<string>> {
    if (!viewerId || !ids.length) return new Set();
    const rows = await db.selectFrom("review_votes").select("review_id").where("user_id", "=", viewerId).where("review_id", "in", ids).execute();
    return new Set(rows.map((r) => r.review_id));
  }

  async function view(reviewId: string, viewerId: string | null): Promise<Review | null> {
    const row = await rowQuery(db).where("reviews.id", "=", reviewId).executeTakeFirst();
    return row ? toReview(row, viewerId, await votedBy(viewerId, [row.id])) : null;
  }

  /** Adds (+1) or removes (-1) one visible rating from the product's summary, inside `tx`. */
  async function count(tx: Q, productId: string, rating: number, sign: 1 | -1) {
    await tx
      .insertInto("review_summaries")
      .values({ product_id: productId, count: 0, rating_sum: 0, stars1: 0, stars2: 0, stars3: 0, stars4: 0, stars5: 0 })
      .onConflict((oc) => oc.column("product_id").doNothing())
      .execute();
    const star = `stars${rating}` as "stars1" | "stars2" | "stars3" | "stars4" | "stars5";
    await tx
      .updateTable("review_summaries")
      .set((eb) => ({
        count: eb("count", "+", sign),
        rating_sum: eb("rating_sum", "+", sign * rating),
        [star]: eb(star, "+", sign),
      }))
      .where("product_id", "=", productId)
      .execute();
  }

  /**
   * Reads a review for change inside `tx`, after taking its row lock (a no-op update: SQLite and
   * PostgreSQL alike), so that two changes at once (a hide and a refund, an edit and a hide) see each
   * other's result instead of both counting from the same old state.
   */
  async function lockedReview(tx: Q, reviewId: string) {
    await tx.updateTable("reviews").set((eb) => ({ id: eb.ref("id") })).where("id", "=", reviewId).execute();
    return tx.selectFrom("reviews").selectAll().where("id", "=", reviewId).executeTakeFirst();
  }

  /** Every photo must be a file the upload endpoint wrote (the contract already checked the name). */
  async function photosExist(photos: string[]): Promise<boolean> {
    for (const p of photos) {
      const name = p.slice(p.lastIndexOf("/") + 1);
      const ok = isValidStorageKey(name) && (await deps.images.stat(name)) !== null;
      if (!ok) return false;
    }
    return true;
  }

  async function ownReview(user: User, reviewId: string) {
    const r = await db.selectFrom("reviews").selectAll().where("id", "=", reviewId).executeTakeFirst();
    if (!r) return fail("not_found", "No such review.");
    if (r.author_user_id !== user.id) return fail("forbidden", "Only its author can change a review.");
    return { ok: true as const, row: r };
  }

  /** A purchase the review stood on was cancelled or refunded: verify it by another, or hide it. */
  async function purchaseLost(orderId: string) {
    const affected = await db.selectFrom("reviews").select(["id", "author_user_id", "product_id"]).where("order_id", "=", orderId).execute();
    for (const a of affected) {
      const hidden = await db.transaction().execute(async (tx) => {
        const r = await lockedReview(tx, a.id);
        if (!r || r.order_id !== orderId) return null;
        const [other] = await deps.orders.purchasesOf(r.author_user_id, { productIds: [r.product_id], tx: asTx(tx) });
        if (other) {
          await tx.updateTable("reviews").set({ order_id: other.orderId }).where("id", "=", r.id).execute();
          return null;
        }
        if (r.status !== "visible") return null;
        await tx.updateTable("reviews").set({ status: "hidden", hidden_reason: "purchase_cancelled", hidden_by: null }).where("id", "=", r.id).execute();
        await count(tx, r.product_id, Number(r.rating), -1);
        return r;
      });
      if (hidden) deps.bus.publish({ type: "review.moderated", reviewId: hidden.id, productId: hidden.product_id, merchantId: hidden.merchant_id, hidden: true, by: null });
    }
  }

  deps.bus.subscribe("order.status_changed", async (e) => {
    if (e.status === "cancelled" || e.status === "refunded") await purchaseLost(e.orderId);
  });

  return {
    async post(user, productId, input) {
      const product = await deps.catalog.get(productId);
      if (!product) return fail("not_found", "No such product.");
      if (!(await photosExist(input.photos))) return fail("review_photo_invalid");
      const now = clock();
      const id = newId("rev");
      const outcome = await db
        .transaction()
        .execute(async (tx) => {
          const existing = await tx.selectFrom("reviews").select("id").where("author_user_id", "=", user.id).where("product_id", "=", productId).executeTakeFirst();
          if (existing) return fail("review_exists");
          const [purchase] = await deps.orders.purchasesOf(user.id, { productIds: [productId], tx: asTx(tx) });
          if (!purchase) return fail("review_not_verified_buyer");
          await tx
            .insertInto("reviews")
            .values({
              id,
              product_id: productId,
              merchant_id: product.merchantId,
              author_user_id: user.id,
              order_id: purchase.orderId,
              rating: input.rating,
              text: input.text,
              photos: JSON.stringify(input.photos),
              photo_count: input.photos.length,
              status: "visible",
              hidden_reason: null,
              hidden_by: null,
              helpful_count: 0,
              reply_text: null,
              reply_by: null,
              reply_at: null,
              created_at: now,
              edited_at: null,
            })
            .execute();
          await count(tx, productId, input.rating, 1);
          return { ok: true as const };
        })
        .catch((err) => {
          // Two posts at once: the unique (author, product) index lets one through.
          if (isUniqueViolation(err)) return fail("review_exists");
          throw err;
        });
      if (!outcome.ok) return outcome;
      deps.bus.publish({ type: "review.posted", reviewId: id, productId, merchantId: product.merchantId, authorId: user.id, rating: input.rating, photos: input.photos.length });
      return { ok: true, review: (await view(id, user.id))! };
    },

    async edit(user, reviewId, input) {
      if (!(await photosExist(input.photos))) return fail("review_photo_invalid");
      const done = await db.transaction().execute(async (tx) => {
        const r = await lockedReview(tx, reviewId);
        if (!r) return fail("not_found", "No such review.");
        if (r.author_user_id !== user.id) return fail("forbidden", "Only its author can change a review.");
        // Edits do not re-moderate: a visible review stays visible, a hidden one stays hidden.
        await tx
          .updateTable("reviews")
          .set({ rating: input.rating, text: input.text, photos: JSON.stringify(input.photos), photo_count: input.photos.length, edited_at: clock() })
          .where("id", "=", reviewId)
          .execute();
        if (r.status === "visible" && Number(r.rating) !== input.rating) {
          await count(tx, r.product_id, Number(r.rating), -1);
          await count(tx, r.product_id, input.rating, 1);
        }
        return { ok: true as const, row: r };
      });
      if (!done.ok) return done;
      deps.bus.publish({ type: "review.updated", reviewId, productId: done.row.product_id, merchantId: done.row.merchant_id, rating: input.rating, photos: input.photos.length });
      return { ok: true, review: (await view(reviewId, user.id))! };
    },

    async remove(user, reviewId) {
      const own = await ownReview(user, reviewId);
      if (!own.ok) return own;
      const deleted = await db.transaction().execute(async (tx) => {
        // The row as it is when deleted (a moderator may have hidden it meanwhile): count what was there.
        const r = await lockedReview(tx, reviewId);
        if (!r) return null;
        await tx.deleteFrom("review_votes").where("review_id", "=", reviewId).execute();
        await tx.deleteFrom("reviews").where("id", "=", reviewId).execute();
        if (r.status === "visible") await count(tx, r.product_id, Number(r.rating), -1);
        return r;
      });
      if (!deleted) return fail("not_found", "No such review.");
      const r = deleted;
      deps.bus.publish({ type: "review.deleted", reviewId, productId: r.product_id, merchantId: r.merchant_id });
      return { ok: true };
    },

    async list(productId, q, viewerId) {
      const product = await deps.catalog.get(productId);
      if (!product) return fail("not_found", "No such product.");
      const col = SORT_COLUMN[q.sort];
      let after: { k: number; i: string } | null = null;
      if (q.cursor) {
        try {
          const c = JSON.parse(Buffer.from(q.cursor, "base64url").toString()) as { s?: unknown; k?: unknown; i?: unknown };
          if (c.s !== q.sort || typeof c.k !== "number" || typeof c.i !== "string") throw new Error("bad cursor");
          after = { k: c.k, i: c.i };
        } catch {
          return fail("validation_failed", "The cursor is not valid for this sort: start from the first page.");
        }
      }
      let query = rowQuery(db).where("reviews.product_id", "=", productId).where("reviews.status", "=", "visible");
      if (after) {
        const a = after;
        query = query.where((eb) => eb.or([eb(`reviews.${col}`, "<", a.k), eb.and([eb(`reviews.${col}`, "=", a.k), eb("reviews.id", "<", a.i)])]));
      }
      const rows = await query.orderBy(`reviews.${col}`, "desc").orderBy("reviews.id", "desc").limit(q.limit + 1).execute();
      const pageRows = rows.slice(0, q.limit);
      const last = pageRows.at(-1);
      const mineRow = viewerId ? await rowQuery(db).where("reviews.product_id", "=", productId).where("reviews.author_user_id", "=", viewerId).executeTakeFirst() : undefined;
      const voted = await votedBy(viewerId, [...pageRows.map((r) => r.id), ...(mineRow ? [mineRow.id] : [])]);
      return {
        ok: true,
        items: pageRows.map((r) => toReview(r, viewerId, voted)),
        nextCursor: rows.length > q.limit && last ? Buffer.from(JSON.stringify({ s: q.sort, k: Number(last[col]), i: last.id })).toString("base64url") : null,
        mine: mineRow ? toReview(mineRow, viewerId, voted) : null,
      };
    },

    async summary(productId) {
      const [product, row] = await Promise.all([deps.catalog.get(productId), db.selectFrom("review_summaries").selectAll().where("product_id", "=", productId).executeTakeFirst()]);
      if (!product) return fail("not_found", "No such product.");
      const n = Number(row?.count ?? 0);
      return {
        ok: true,
        summary: {
          productId,
          count: n,
          average: n ? Math.round((Number(row!.rating_sum) / n) * 10) / 10 : null,
          histogram: row ? [row.stars1, row.stars2, row.stars3, row.stars4, row.stars5].map(Number) : [0, 0, 0, 0, 0],
        },
      };
    },

    async reviewable(userId, productId) {
      const purchases = await deps.orders.purchasesOf(userId, { productIds: productId ? [productId] : undefined, limit: 500 });
      if (!purchases.length) return [];
      const reviewed = new Set(
        (await db.selectFrom("reviews").select("product_id").where("author_user_id", "=", userId).where("product_id", "in", purchases.map((p) => p.productId)).execute()).map((r) => r.product_id),
      );
      const open = purchases.filter((p) => !reviewed.has(p.productId));
      const products = new Map((await deps.catalog.getMany(open.map((p) => p.productId))).map((p) => [p.id, p]));
      return open.flatMap((p) => {
        const product = products.get(p.productId);
        return product ? [{ productId: p.productId, title: product.title, imageUrl: product.images[0] ?? null, orderId: p.orderId, purchasedAt: iso(p.at) }] : [];
      });
    },

    async moderate(user, reviewId, hidden, reason) {
      if (user.role !== "admin") return fail("forbidden", "Only the platform's moderators can hide a review.");
      const changed = await db.transaction().execute(async (tx) => {
        const r = await lockedReview(tx, reviewId);
        if (!r) return fail("not_found", "No such review.");
        const to = hidden ? "hidden" : "visible";
        if (r.status === to) return { ok: true as const, row: null };
        await tx
          .updateTable("reviews")
          .set({ status: to, hidden_reason: hidden ? (reason ?? "moderation") : null, hidden_by: hidden ? user.id : null })
          .where("id", "=", reviewId)
          .where("status", "=", r.status)
          .execute();
        await count(tx, r.product_id, Number(r.rating), hidden ? -1 : 1);
        return { ok: true as const, row: r };
      });
      if (!changed.ok) return changed;
      if (changed.row) deps.bus.publish({ type: "review.moderated", reviewId, productId: changed.row.product_id, merchantId: changed.row.merchant_id, hidden, by: user.id });
      return { ok: true, review: (await view(reviewId, user.id))! };
    },

    async reply(user, reviewId, text) {
      const r = await db.selectFrom("reviews").select(["merchant_id", "product_id", "author_user_id", "status"]).where("id", "=", reviewId).executeTakeFirst();
      if (!r || r.status !== "visible") return fail("not_found", "No such review.");
      if (!(user.role === "merchant" || user.role === "admin") || user.merchantId !== r.merchant_id) return fail("forbidden", "Only the product's shop can reply.");
      const res = await db.updateTable("reviews").set({ reply_text: text, reply_by: user.id, reply_at: clock() }).where("id", "=", reviewId).where("reply_text", "is", null).executeTakeFirst();
      if (!Number(res.numUpdatedRows)) return fail("review_reply_exists");
      deps.bus.publish({ type: "review.replied", reviewId, productId: r.product_id, merchantId: r.merchant_id, authorId: r.author_user_id });
      return { ok: true, review: (await view(reviewId, user.id))! };
    },

    async vote(user, reviewId, helpful) {
      const done = await db.transaction().execute(async (tx) => {
        const r = await tx.selectFrom("reviews").select(["author_user_id", "status"]).where("id", "=", reviewId).executeTakeFirst();
        if (!r || r.status !== "visible") return fail("not_found", "No such review.");
        if (r.author_user_id === user.id) return fail("forbidden", "You cannot vote for your own review.");
        if (helpful) {
          const ins = await tx.insertInto("review_votes").values({ review_id: reviewId, user_id: user.id, created_at: clock() }).onConflict((oc) => oc.columns(["review_id", "user_id"]).doNothing()).executeTakeFirst();
          if (Number(ins.numInsertedOrUpdatedRows ?? 0)) await tx.updateTable("reviews").set((eb) => ({ helpful_count: eb("helpful_count", "+", 1) })).where("id", "=", reviewId).execute();
        } else {
          const del = await tx.deleteFrom("review_votes").where("review_id", "=", reviewId).where("user_id", "=", user.id).executeTakeFirst();
          if (Number(del.numDeletedRows)) await tx.updateTable("reviews").set((eb) => ({ helpful_count: eb("helpful_count", "-", 1) })).where("id", "=", reviewId).execute();
        }
        return { ok: true as const };
      });
      if (!done.ok) return done;
      return { ok: true, review: (await view(reviewId, user.id))! };
    },

    async feedSegment(tier, follows, after, limit) {
      const { merchants, authors } = follows;
      if (tier === 0 && !merchants.length && !authors.length) return [];
      let q = db.selectFrom("reviews").select(["id", "created_at"]).where("status", "=", "visible").where("photo_count", ">", 0);
      if (tier === 0) {
        q = q.where((eb) => eb.or([...(merchants.length ? [eb("merchant_id", "in", merchants)] : []), ...(authors.length ? [eb("author_user_id", "in", authors)] : [])]));
      } else {
        q = q.where("rating", ">=", 4);
        if (merchants.length) q = q.where("merchant_id", "not in", merchants);
        if (authors.length) q = q.where("author_user_id", "not in", authors);
      }
      if (after) q = q.where((eb) => eb.or([eb("created_at", "<", after.key), eb.and([eb("created_at", "=", after.key), eb("id", "<", after.id)])]));
      const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
      return rows.map((r) => ({ key: Number(r.created_at), id: r.id }));
    },

    async ratingsOf(productIds) {
      const out = new Map<string, { average: number; count: number }>();
      if (!productIds.length) return out;
      const rows = await db.selectFrom("review_summaries").select(["product_id", "count", "rating_sum"]).where("product_id", "in", productIds).where("count", ">", 0).execute();
      for (const r of rows) out.set(r.product_id, { average: Math.round((Number(r.rating_sum) / Number(r.count)) * 10) / 10, count: Number(r.count) });
      return out;
    },

    async feedCards(ids) {
      const out = new Map<string, FeedReviewCard>();
      if (!ids.length) return out;
      const rows = await rowQuery(db).where("reviews.id", "in", ids).where("reviews.status", "=", "visible").execute();
      const products = new Map((await deps.catalog.getMany([...new Set(rows.map((r) => r.product_id))])).map((p) => [p.id, p]));
      for (const r of rows) {
        const p = products.get(r.product_id);
        const photos = JSON.parse(r.photos) as string[];
        if (!p || !photos.length) continue;
        const prices = p.variants.map((v) => v.price);
        out.set(r.id, {
          id: r.id,
          rating: Number(r.rating),
          excerpt: excerpt(r.text),
          photos,
          authorName: r.display_name,
          verifiedBuyer: true,
          createdAt: iso(Number(r.created_at)),
          product: { id: p.id, title: p.title, imageUrl: p.images[0] ?? null, price: prices.length ? { amount: Math.min(...prices), currency: p.currency } : null },
        });
      }
      return out;
    },
  };
}
