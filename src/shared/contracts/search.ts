import { z } from "zod";
import { Cursor, Id, IsoInstant, Money } from "./common.ts";
import { ShowStatus } from "./shows.ts";

export const SearchType = z.enum(["all", "shows", "products", "creators"]);
export type SearchType = z.infer<typeof SearchType>;

export const SearchQuery = z.object({
  q: z.string().trim().min(1).max(100),
  type: SearchType.default("all"),
  cursor: Cursor.optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/**
 * Plain text and the ranges of it that matched the query ([start, end) in UTF-16 code units).
 * Never HTML: clients render the text as text and wrap the ranges themselves.
 */
export const HighlightedText = z.object({ text: z.string(), highlights: z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)])) });
export type HighlightedText = z.infer<typeof HighlightedText>;

const hitBase = { id: Id, title: HighlightedText, snippet: HighlightedText, imageUrl: z.string().nullable() };

export const ProductHit = z.object({
  kind: z.literal("product"),
  ...hitBase,
  /** the lowest price of its variants on sale; null when it has none */
  price: Money.nullable(),
  merchantName: z.string(),
  /** the show it is featured in (live first, then the next upcoming, then the latest replay); null when none */
  showId: Id.nullable(),
  /** a partner store's product: where it is sold */
  externalUrl: z.string().nullable(),
});
export const ShowHit = z.object({
  kind: z.literal("show"),
  ...hitBase,
  status: ShowStatus,
  scheduledAt: IsoInstant,
  hostName: z.string(),
  hostHandle: z.string().nullable(),
  merchantName: z.string(),
});
export const CreatorHit = z.object({
  kind: z.literal("creator"),
  ...hitBase,
  handle: z.string(),
  verified: z.boolean(),
});
export const SearchHit = z.discriminatedUnion("kind", [ProductHit, ShowHit, CreatorHit]);
export type SearchHit = z.infer<typeof SearchHit>;
export type ProductHit = z.infer<typeof ProductHit>;
export type ShowHit = z.infer<typeof ShowHit>;
export type CreatorHit = z.infer<typeof CreatorHit>;

export const SearchPage = z.object({ items: z.array(SearchHit), nextCursor: z.string().nullable() });
export type SearchPage = z.infer<typeof SearchPage>;
