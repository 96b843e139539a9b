import { z } from "zod";
import { Currency, Id, MinorUnits } from "./common.ts";

/**
 * What can be shared. Each kind has a page of its own (`/shows/:id` — live, upcoming or replay —,
 * `/products/:id`, `/videos/:id`) whose HTML carries the link preview.
 */
export const ShareKind = z.enum(["show", "product", "video"]);
export type ShareKind = z.infer<typeof ShareKind>;

/** A share token as it travels in links (`?s=`), the room URL and the `Vetrina-Share` header: opaque and random. */
export const ShareToken = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
/** The header a buyer's purchase carries its share tokens in (comma-separated, the most specific first). */
export const SHARE_HEADER = "vetrina-share";
export const MAX_SHARE_TOKENS = 5;

export const CreateShareBody = z.object({ kind: ShareKind, id: Id });
export type CreateShareBody = z.infer<typeof CreateShareBody>;

/** A link to share. Signed in: it carries the sharer's token; anonymous: the plain page URL (`token` null). */
export const ShareLink = z.object({
  kind: ShareKind,
  targetId: Id,
  /** the page path with the token, e.g. /shows/shw_…?s=… */
  path: z.string(),
  /** the same, absolute (the server's PUBLIC_URL) */
  url: z.string(),
  token: ShareToken.nullable(),
});
export type ShareLink = z.infer<typeof ShareLink>;

/** A page opened through a link: counted as a visit for its sharer (unknown tokens are ignored). */
export const ShareVisitBody = z.object({ token: ShareToken });

/** One of the sharer's links with what came through it. GMV is net of cancelled and refunded orders. */
export const MyShare = ShareLink.extend({
  /** the show's or the product's title; null when it is gone */
  title: z.string().nullable(),
  createdAt: z.string(),
  visits: z.number().int(),
  /** people who joined the show's room through the link (once per viewer) */
  joins: z.number().int(),
  /** orders placed through the link, cancelled ones included */
  orders: z.number().int(),
  /** of those, cancelled and refunded */
  ordersRefunded: z.number().int(),
  gmv: z.array(z.object({ currency: Currency, amount: MinorUnits })),
});
export type MyShare = z.infer<typeof MyShare>;
export const MyShares = z.object({ items: z.array(MyShare) });
