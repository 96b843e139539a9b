import { z } from "zod";
import { Currency, Id, IsoInstant, MinorUnits } from "./common.ts";

/** What a merchant selling through a partner store configures there: where to post, whether it can sign. */
export const PartnerSettings = z.object({
  merchantId: Id,
  /** the partner store posts conversions here (see docs/creators-and-commissions.md) */
  postbackUrl: z.string(),
  /** the value of the Vetrina-Merchant header */
  merchantHeader: z.string(),
  hasSecret: z.boolean(),
  secretCreatedAt: IsoInstant.nullable(),
  /** a sale reported more than this many days after the click earns nothing */
  attributionDays: z.number().int(),
  /** the signature's timestamp may be this many seconds away from our clock */
  toleranceSeconds: z.number().int(),
});
export type PartnerSettings = z.infer<typeof PartnerSettings>;

/** A newly rotated postback secret: shown this once (to be entered in the partner store), then never again. */
export const PartnerSecret = PartnerSettings.extend({ secret: z.string() });
export type PartnerSecret = z.infer<typeof PartnerSecret>;

export const ConversionStatus = z.enum(["paid", "refunded", "cancelled"]);
export type ConversionStatus = z.infer<typeof ConversionStatus>;

export const ConversionLine = z
  .object({
    /** our product id (the click names it), or … */
    productId: Id.optional(),
    /** … the SKU of one of the product's variants, as the merchant entered it in Vetrina */
    sku: z.string().trim().min(1).max(64).optional(),
    quantity: z.number().int().min(1).max(10_000),
    /** what the buyer paid for the line (all its units), in integer minor units */
    lineTotal: MinorUnits,
  })
  .refine((l) => !!l.productId || !!l.sku, { message: "name the product by productId or sku", path: ["productId"] });

/** The body a partner store posts, signed, to /api/v1/partners/conversions. */
export const ConversionPostback = z.object({
  /** the delivery's id, unique per delivery: a second delivery with the same id is refused (postback_replayed) */
  id: z.string().trim().min(1).max(100),
  /** the vetrina_click parameter the buyer arrived with */
  clickId: Id,
  /** the partner store's order reference: one conversion per merchant and orderRef */
  orderRef: z.string().trim().min(1).max(100),
  status: ConversionStatus,
  currency: Currency,
  lines: z.array(ConversionLine).min(1).max(100),
  /** when the order was placed; defaults to when the postback arrives */
  orderedAt: IsoInstant.optional(),
});
export type ConversionPostback = z.infer<typeof ConversionPostback>;

export const ConversionReceipt = z.object({
  conversionId: Id,
  status: ConversionStatus,
  /** the conversion earns commission for the click's creator campaign */
  attributed: z.boolean(),
  /** why it does not, when attributed is false */
  reason: z.enum(["outside_window", "no_campaign", "campaign_not_running", "currency_mismatch", "before_click"]).nullable(),
  /** the orderRef was already entered with this (or a final) status: nothing new was entered */
  duplicate: z.boolean(),
});
export type ConversionReceipt = z.infer<typeof ConversionReceipt>;
export type NoAttributionReason = NonNullable<ConversionReceipt["reason"]>;
