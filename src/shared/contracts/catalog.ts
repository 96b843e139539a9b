import { z } from "zod";
import { Currency, Id, MinorUnits } from "./common.ts";

export const VariantOptions = z.record(z.string().min(1).max(30), z.string().min(1).max(60));

export const Variant = z.object({
  id: Id,
  sku: z.string().nullable(),
  title: z.string(),
  options: VariantOptions,
  price: MinorUnits,
  stock: z.number().int().min(0),
});
export type Variant = z.infer<typeof Variant>;

export const Product = z.object({
  id: Id,
  merchantId: Id,
  title: z.string(),
  description: z.string(),
  currency: Currency,
  status: z.enum(["active", "archived"]),
  images: z.array(z.string()),
  variants: z.array(Variant),
  /** "own": sold here, from our stock; "external": sold by a partner store, bought there through /go/:showId/:productId */
  kind: z.enum(["own", "external"]),
  /** for an external product: its page on the partner store; null for an own product */
  externalUrl: z.string().nullable(),
  /** for an external product: the partner store's name, e.g. "JD.com"; null for an own product */
  storeName: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Product = z.infer<typeof Product>;

export const VariantInput = z.object({
  /** present when editing an existing variant; absent for a new one */
  id: Id.optional(),
  sku: z.string().trim().max(64).nullable().optional(),
  options: VariantOptions.default({}),
  price: MinorUnits,
  stock: z.number().int().min(0).max(10_000_000),
  /**
   * For an existing variant: the stock the editor saw. The change (stock − expectedStock) is then
   * applied to the current stock, so units sold while the form was open are not given back.
   */
  expectedStock: z.number().int().min(0).optional(),
});
export type VariantInput = z.infer<typeof VariantInput>;

/**
 * A partner store's product page: https, with no credentials in it. Plain http is accepted only for
 * localhost and 127.0.0.1 (a partner store running on the developer's machine or in tests).
 */
export function externalUrlProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return "must be an absolute URL such as https://shop.example/item/1";
  }
  const local = u.hostname === "localhost" || u.hostname === "127.0.0.1";
  if (u.protocol !== "https:" && !(u.protocol === "http:" && local)) return "must be an https:// URL";
  if (u.username || u.password) return "must not contain a user name or password";
  return null;
}
export const ExternalUrl = z
  .string()
  .trim()
  .max(2000)
  .superRefine((v, ctx) => {
    const problem = externalUrlProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

export const ProductInput = z
  .object({
    title: z.string().trim().min(1).max(140),
    description: z.string().trim().max(5000).default(""),
    currency: Currency,
    images: z.array(z.string().max(500)).max(10).default([]),
    variants: z.array(VariantInput).min(1).max(100),
    status: z.enum(["active", "archived"]).default("active"),
    /** absent: "own". An external product's stock is the partner store's: its variants' stock is ignored and kept at 0. */
    kind: z.enum(["own", "external"]).optional(),
    externalUrl: ExternalUrl.nullable().optional(),
    storeName: z.string().trim().min(1).max(60).nullable().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.kind === "external") {
      if (!p.externalUrl) ctx.addIssue({ code: "custom", path: ["externalUrl"], message: "an external product needs the URL of its page on the partner store" });
      if (!p.storeName) ctx.addIssue({ code: "custom", path: ["storeName"], message: "an external product needs the partner store's name" });
    } else {
      if (p.externalUrl) ctx.addIssue({ code: "custom", path: ["externalUrl"], message: 'only an external product (kind "external") has an external URL' });
      if (p.storeName) ctx.addIssue({ code: "custom", path: ["storeName"], message: 'only an external product (kind "external") has a store name' });
    }
  });
export type ProductInput = z.infer<typeof ProductInput>;

export const StockAdjust = z.object({ stock: z.number().int().min(0).max(10_000_000) });

export const ImageUploaded = z.object({ url: z.string() });
