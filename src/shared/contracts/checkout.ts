import { z } from "zod";
import { Currency, Id, MinorUnits } from "./common.ts";

export const ShippingAddress = z.object({
  name: z.string().trim().min(1).max(100),
  line1: z.string().trim().min(1).max(200),
  line2: z.string().trim().max(200).optional(),
  city: z.string().trim().min(1).max(100),
  postalCode: z.string().trim().min(1).max(20),
  country: z.string().trim().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2 code, e.g. IT"),
});
export type ShippingAddress = z.infer<typeof ShippingAddress>;

export const CardInput = z.object({
  number: z.string().transform((s) => s.replace(/[\s-]/g, "")).pipe(z.string().regex(/^\d{12,19}$/, "card number must be 12 to 19 digits")),
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2100),
  cvc: z.string().regex(/^\d{3,4}$/),
});
export type CardInput = z.input<typeof CardInput>;

export const BuyNowBody = z.object({
  showId: Id,
  variantId: Id,
  quantity: z.number().int().min(1).max(20),
  shipping: ShippingAddress,
  card: CardInput,
});
export type BuyNowBody = z.input<typeof BuyNowBody>;

export const OrderStatus = z.enum(["paid", "shipped", "delivered", "cancelled", "refunded"]);
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderItem = z.object({
  productId: Id,
  variantId: Id,
  title: z.string(),
  variantTitle: z.string(),
  unitPrice: MinorUnits,
  quantity: z.number().int(),
});

export const OrderHistoryEntry = z.object({ status: OrderStatus, at: z.string() });

export const Order = z.object({
  id: Id,
  number: z.string(),
  merchantId: Id,
  merchantName: z.string(),
  buyerId: Id,
  buyerName: z.string(),
  showId: Id.nullable(),
  showTitle: z.string().nullable(),
  status: OrderStatus,
  currency: Currency,
  total: MinorUnits,
  items: z.array(OrderItem),
  shipping: ShippingAddress,
  cardLast4: z.string(),
  history: z.array(OrderHistoryEntry),
  createdAt: z.string(),
});
export type Order = z.infer<typeof Order>;

export const OrderTransitionBody = z.object({ status: z.enum(["shipped", "delivered", "cancelled"]) });
