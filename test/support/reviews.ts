import type { Product } from "../../src/shared/contracts/catalog.ts";
import type { Review, ReviewableList, ReviewInput, ReviewPage, ReviewSummary } from "../../src/shared/contracts/reviews.ts";
import type { ApiClient } from "./client.ts";
import type { TestServer } from "./harness.ts";

/** A 1×1 PNG: the upload endpoint accepts images by content. */
export const PNG_1x1 = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==", "base64");

export const reviewsApi = (c: ApiClient) => ({
  post: (productId: string, body: ReviewInput | Record<string, unknown>) => c.request<Review>("POST", `/api/v1/products/${productId}/reviews`, body),
  edit: (reviewId: string, body: ReviewInput | Record<string, unknown>) => c.request<Review>("PATCH", `/api/v1/reviews/${reviewId}`, body),
  remove: (reviewId: string) => c.request<{ ok: true }>("DELETE", `/api/v1/reviews/${reviewId}`),
  list: (productId: string, q = "") => c.request<ReviewPage>("GET", `/api/v1/products/${productId}/reviews${q}`),
  summary: (productId: string) => c.request<ReviewSummary>("GET", `/api/v1/products/${productId}/reviews/summary`),
  reviewable: (productId?: string) => c.request<ReviewableList>("GET", `/api/v1/me/reviewable${productId ? `?productId=${productId}` : ""}`),
  moderate: (reviewId: string, hidden: boolean, reason?: string) => c.request<Review>("PUT", `/api/v1/reviews/${reviewId}/moderation`, { hidden, reason }),
  reply: (reviewId: string, text: string) => c.request<Review>("PUT", `/api/v1/reviews/${reviewId}/reply`, { text }),
  helpful: (reviewId: string, on = true) => c.request<Review>(on ? "PUT" : "DELETE", `/api/v1/reviews/${reviewId}/helpful`),
});

/** Uploads an image through the real endpoint; its URL. */
export async function uploadPhoto(c: ApiClient, png: Buffer = PNG_1x1): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "photo.png");
  const r = await c.request<{ url: string }>("POST", "/api/v1/uploads/images", form);
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.url;
}

let n = 0;
/** A new signed-in buyer. */
export async function newBuyer(server: TestServer, name = "Buyer"): Promise<{ client: ApiClient; userId: string; name: string }> {
  const client = server.client();
  const display = `${name} ${process.pid}${n++}`;
  const r = await client.auth.signUp(`buyer-${process.pid}-${Date.now()}-${n}@example.com`, "password-123", display);
  if (r.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(r.body)}`);
  return { client, userId: r.body.user.id, name: display };
}

/** A paid order of `product` for `buyerId`, made by checkout's own "create order" step (no show needed). */
export async function paidOrder(server: TestServer, buyerId: string, product: Product): Promise<string> {
  const v = product.variants[0]!;
  const created = await server.app.db.db.transaction().execute((tx) =>
    server.app.orders.insertPaid(tx, {
      merchantId: product.merchantId,
      buyerId,
      showId: null,
      currency: product.currency,
      shipping: { name: "Test", line1: "Via Roma 1", city: "Milano", postalCode: "20121", country: "IT" },
      paymentId: `pay_review_${process.pid}_${n++}`,
      cardLast4: "4242",
      items: [{ productId: product.id, variantId: v.id, title: product.title, variantTitle: v.title, unitPrice: v.price, quantity: 1 }],
    }),
  );
  return created.id;
}
