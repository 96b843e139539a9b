import { z } from "zod";
import { Id, Ok } from "../../shared/contracts/common.ts";
import { Review, ReviewableList, ReviewableQuery, ReviewInput, ReviewListQuery, ReviewModerationInput, ReviewPage, ReviewReplyInput, ReviewSummary } from "../../shared/contracts/reviews.ts";
import type { Http } from "../platform/http.ts";
import { unwrap } from "../platform/errors.ts";
import { requireUser } from "../accounts/guard.ts";
import type { Reviews } from "./service.ts";

const ProductParams = z.object({ productId: Id });
const ReviewParams = z.object({ reviewId: Id });
const tags = ["reviews"];

/**
 * POST   /api/v1/products/:productId/reviews          a verified buyer reviews a product (once)
 * GET    /api/v1/products/:productId/reviews          visible reviews, keyset pages (?sort=recent|helpful|rating)
 * GET    /api/v1/products/:productId/reviews/summary  count, average, histogram (a read model)
 * PATCH  /api/v1/reviews/:reviewId                    its author edits it
 * DELETE /api/v1/reviews/:reviewId                    its author deletes it
 * PUT    /api/v1/reviews/:reviewId/reply              the product's shop replies, once
 * PUT    /api/v1/reviews/:reviewId/moderation         an admin hides it (or shows it again)
 * PUT/DELETE /api/v1/reviews/:reviewId/helpful        a signed-in user's "helpful" vote
 * GET    /api/v1/me/reviewable                        products I paid for and have not reviewed
 */
export function reviewsRoutes(app: Http, deps: { reviews: Reviews }) {
  const { reviews } = deps;

  app.post(
    "/api/v1/products/:productId/reviews",
    { schema: { tags, summary: "Review a product you bought (verified buyers only; one review per product)", params: ProductParams, body: ReviewInput, response: { 201: Review } } },
    async (req, reply) => reply.status(201).send(unwrap(await reviews.post(requireUser(req), req.params.productId, req.body)).review),
  );

  app.get(
    "/api/v1/products/:productId/reviews",
    { schema: { tags, summary: "A product's visible reviews (anonymous allowed)", params: ProductParams, querystring: ReviewListQuery, response: { 200: ReviewPage } } },
    async (req) => {
      const { items, nextCursor, mine } = unwrap(await reviews.list(req.params.productId, req.query, req.user?.id ?? null));
      return { items, nextCursor, mine };
    },
  );

  app.get(
    "/api/v1/products/:productId/reviews/summary",
    { schema: { tags, summary: "A product's rating summary", params: ProductParams, response: { 200: ReviewSummary } } },
    async (req) => unwrap(await reviews.summary(req.params.productId)).summary,
  );

  app.patch(
    "/api/v1/reviews/:reviewId",
    { schema: { tags, summary: "Edit your review (the whole review is replaced)", params: ReviewParams, body: ReviewInput, response: { 200: Review } } },
    async (req) => unwrap(await reviews.edit(requireUser(req), req.params.reviewId, req.body)).review,
  );

  app.delete("/api/v1/reviews/:reviewId", { schema: { tags, summary: "Delete your review", params: ReviewParams, response: { 200: Ok } } }, async (req) => {
    unwrap(await reviews.remove(requireUser(req), req.params.reviewId));
    return { ok: true as const };
  });

  app.put(
    "/api/v1/reviews/:reviewId/reply",
    { schema: { tags, summary: "The product's shop replies to a review (once)", params: ReviewParams, body: ReviewReplyInput, response: { 200: Review } } },
    async (req) => unwrap(await reviews.reply(requireUser(req), req.params.reviewId, req.body.text)).review,
  );

  app.put(
    "/api/v1/reviews/:reviewId/moderation",
    { schema: { tags, summary: "Hide a review everywhere, or show it again (platform admins)", params: ReviewParams, body: ReviewModerationInput, response: { 200: Review } } },
    async (req) => unwrap(await reviews.moderate(requireUser(req), req.params.reviewId, req.body.hidden, req.body.reason)).review,
  );

  app.put("/api/v1/reviews/:reviewId/helpful", { schema: { tags, summary: "Mark a review helpful (once per user)", params: ReviewParams, response: { 200: Review } } }, async (req) => {
    return unwrap(await reviews.vote(requireUser(req), req.params.reviewId, true)).review;
  });

  app.delete("/api/v1/reviews/:reviewId/helpful", { schema: { tags, summary: "Take back a helpful vote", params: ReviewParams, response: { 200: Review } } }, async (req) => {
    return unwrap(await reviews.vote(requireUser(req), req.params.reviewId, false)).review;
  });

  app.get(
    "/api/v1/me/reviewable",
    { schema: { tags, summary: "Products you paid for and have not reviewed yet", querystring: ReviewableQuery, response: { 200: ReviewableList } } },
    async (req) => ({ items: await reviews.reviewable(requireUser(req).id, req.query.productId) }),
  );
}
