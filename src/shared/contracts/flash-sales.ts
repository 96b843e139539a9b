import { z } from "zod";
import { Currency, Id, MinorUnits } from "./common.ts";
import { ShippingAddress, CardInput } from "./checkout.ts";

export const FLASH_COUNTDOWN_SECONDS = { min: 10, max: 300 } as const;
export const FLASH_DURATION_SECONDS = { min: 60, max: 1200 } as const;

export const FlashSaleInput = z.object({
  variantId: Id,
  salePrice: MinorUnits,
  quantity: z.number().int().min(1).max(1_000_000),
  perBuyerLimit: z.number().int().min(1).max(100),
  countdownSeconds: z.number().int().min(FLASH_COUNTDOWN_SECONDS.min).max(FLASH_COUNTDOWN_SECONDS.max),
  durationSeconds: z.number().int().min(FLASH_DURATION_SECONDS.min).max(FLASH_DURATION_SECONDS.max),
});
export type FlashSaleInput = z.infer<typeof FlashSaleInput>;

export const FlashSalePhase = z.enum(["countdown", "open", "ended"]);

/** What every viewer sees: the same instants (server clock) and the stock left. */
export const FlashSale = z.object({
  id: Id,
  showId: Id,
  productId: Id,
  variantId: Id,
  title: z.string(),
  variantTitle: z.string(),
  image: z.string().nullable(),
  regularPrice: MinorUnits,
  salePrice: MinorUnits,
  currency: Currency,
  quantity: z.number().int(),
  perBuyerLimit: z.number().int(),
  opensAt: z.string(),
  endsAt: z.string(),
  holdSeconds: z.number().int(),
  phase: FlashSalePhase,
  available: z.number().int(),
  held: z.number().int(),
  sold: z.number().int(),
  serverTime: z.string(),
});
export type FlashSale = z.infer<typeof FlashSale>;

export const FlashSaleStats = FlashSale.extend({
  attempts: z.number().int(),
  revenue: z.number().int(),
  outcomes: z.record(z.string(), z.number().int()),
});
export type FlashSaleStats = z.infer<typeof FlashSaleStats>;

/** Every attempt gets exactly one of these; a retry with the same key gets the same one. */
export const FlashOutcome = z.enum(["won", "sold_out", "limit_reached", "not_open", "ended"]);
export type FlashOutcome = z.infer<typeof FlashOutcome>;

export const FlashAttemptResult = z.object({
  saleId: Id,
  key: z.string(),
  outcome: FlashOutcome,
  seq: z.number().int(),
  holdId: Id.nullable(),
  holdExpiresAt: z.string().nullable(),
});
export type FlashAttemptResult = z.infer<typeof FlashAttemptResult>;

export const FlashAttemptBody = z.object({ key: z.string().min(8).max(100).regex(/^[A-Za-z0-9_.:-]+$/) });

export const FlashHoldCheckoutBody = z.object({ shipping: ShippingAddress, card: CardInput });

export const FlashAuditEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  buyerId: Id,
  buyerName: z.string(),
  outcome: FlashOutcome,
  holdId: Id.nullable(),
});

export const FlashHold = z.object({
  holdId: Id,
  status: z.enum(["held", "paid", "expired"]),
  expiresAt: z.string(),
  orderId: Id.nullable(),
});
