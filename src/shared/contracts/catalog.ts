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

export const ProductInput = z.object({
  title: z.string().trim().min(1).max(140),
  description: z.string().trim().max(5000).default(""),
  currency: Currency,
  images: z.array(z.string().max(500)).max(10).default([]),
  variants: z.array(VariantInput).min(1).max(100),
  status: z.enum(["active", "archived"]).default("active"),
});
export type ProductInput = z.infer<typeof ProductInput>;

export const StockAdjust = z.object({ stock: z.number().int().min(0).max(10_000_000) });

export const ImageUploaded = z.object({ url: z.string() });
