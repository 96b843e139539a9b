import { createHash, randomBytes } from "node:crypto";
import type { ConversionPostback, ConversionReceipt, ConversionStatus, NoAttributionReason, PartnerSecret, PartnerSettings } from "../../shared/contracts/partners.ts";
import type { Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId, newSecret } from "../platform/ids.ts";
import { isoOrNull } from "../platform/time.ts";
import { RateLimiter } from "../analytics/rate-limit.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Creators } from "../creators/service.ts";
import type { Campaigns } from "../campaigns/service.ts";
import type { AttributedSale, Commissions } from "../commissions/service.ts";
import type { PartnersTables } from "./schema.ts";
import { checkTimestamp, TOLERANCE_SECONDS, verifySignature } from "./signature.ts";

type ConversionRow = PartnersTables["partner_conversions"];
interface StoredLine {
  lineKey: string;
  productId: string | null;
  sku: string | null;
  quantity: number;
  lineTotal: number;
}

export const CLICK_PARAM = "vetrina_click";
export const POSTBACK_PATH = "/api/v1/partners/conversions";

export interface Partners {
  settings(merchantId: string): Promise<PartnerSettings>;
  /** A new postback secret replaces the old one at once; it is returned this once. */
  rotateSecret(merchantId: string): Promise<PartnerSecret>;
  /**
   * A viewer taps a partner-store product's card: record the click (show, product, the show's creator
   * campaign, the viewer) and give the store's URL with the click id appended.
   */
  click(c: { showId: string; productId: string; viewerUserId: string | null; ip: string | null }): Promise<Result<{ url: string; clickId: string | null }>>;
  /** Checks a postback's headers against the raw body: whose it is, signed with its secret, and fresh. */
  authenticate(h: { merchant?: string; timestamp?: string; signature?: string }, rawBody: Buffer): Promise<Result<{ merchantId: string }>>;
  /** Enters an authenticated postback: once per delivery id, once per orderRef and status. */
  receive(merchantId: string, postback: ConversionPostback): Promise<Result<{ receipt: ConversionReceipt }>>;
  /**
   * At start-up: tell the commission ledger what a previous run could not (conversions left "pending").
   * With several nodes, only those untouched for `olderThanMs` (a live node may be settling a fresh one).
   */
  recoverPending(opts?: { olderThanMs?: number }): Promise<number>;
}

export interface PartnersDeps {
  db: Db;
  catalog: Pick<Catalog, "productIdsBySku">;
  shows: Pick<Shows, "get" | "campaignOf">;
  creators: Pick<Creators, "byUser">;
  campaigns: Pick<Campaigns, "attribution">;
  commissions: Pick<Commissions, "accrue" | "reverseSale">;
  publicUrl: string;
  attributionDays: number;
  clock?: () => number;
  /** clicks recorded per client address: a burst, then this many a second (beyond it the buyer is still sent on, unrecorded) */
  clickRate?: { burst: number; perSecond: number };
}

class Replayed extends Error {}
class OrderRefTaken extends Error {}

const REVERSED = new Set<ConversionStatus>(["refunded", "cancelled"]);

/** Appends `name=value` to a URL's query, leaving what is there (and the fragment) as it was. */
export function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  const query = u.search.replace(/^\?/, "");
  u.search = query ? `${query}${query.endsWith("&") ? "" : "&"}${pair}` : pair;
  return u.href;
}

/**
 * Stable keys for a partner's lines (it sends no line ids): the product (or SKU) and the line's
 * occurrence among that product's lines, in a canonical order, so a key always names the same amount.
 */
function keyLines(lines: Omit<StoredLine, "lineKey">[]): StoredLine[] {
  const ref = (l: Omit<StoredLine, "lineKey">) => (l.productId ? `p.${l.productId}` : `sku.${l.sku}`);
  const sorted = [...lines].sort((a, b) => (ref(a) < ref(b) ? -1 : ref(a) > ref(b) ? 1 : a.lineTotal - b.lineTotal || a.quantity - b.quantity));
  const seen = new Map<string, number>();
  return sorted.map((l) => {
    const n = seen.get(ref(l)) ?? 0;
    seen.set(ref(l), n + 1);
    return { ...l, lineKey: `${ref(l)}.${n}` };
  });
}

export function createPartners(deps: PartnersDeps): Partners {
  const { db } = deps;
  const now = deps.clock ?? Date.now;
  const windowMs = deps.attributionDays * 86_400_000;
  const clickLimiter = new RateLimiter({ ...(deps.clickRate ?? { burst: 120, perSecond: 2 }), now });
  // Addresses are hashed with a key of this process's own: enough to tell clicks of one client apart, no address stored.
  const ipKey = randomBytes(16);
  const hashIp = (ip: string) => createHash("sha256").update(ipKey).update(ip).digest("base64url").slice(0, 22);

  async function settings(merchantId: string): Promise<PartnerSettings> {
    const s = await db.selectFrom("partner_settings").select("secret_created_at").where("merchant_id", "=", merchantId).executeTakeFirst();
    return {
      merchantId,
      postbackUrl: `${deps.publicUrl}${POSTBACK_PATH}`,
      merchantHeader: merchantId,
      hasSecret: !!s,
      secretCreatedAt: isoOrNull(s ? Number(s.secret_created_at) : null),
      attributionDays: deps.attributionDays,
      toleranceSeconds: TOLERANCE_SECONDS,
    };
  }

  /** Does this conversion earn commission for the click's creator campaign? */
  async function attribute(click: PartnersTables["partner_clicks"], orderedAt: number, currency: string): Promise<NoAttributionReason | null> {
    const clickAt = Number(click.at);
    if (orderedAt < clickAt) return "before_click";
    if (orderedAt > clickAt + windowMs) return "outside_window";
    const link = click.campaign_id ? await deps.shows.campaignOf(click.show_id) : null;
    if (!link) return "no_campaign";
    const a = await deps.campaigns.attribution(link.campaignId, link.hostUserId, clickAt);
    if (!a) return "campaign_not_running";
    if (a.currency !== currency) return "currency_mismatch";
    return null;
  }

  function saleOf(row: ConversionRow, clickAt: number): AttributedSale {
    const lines = JSON.parse(row.lines) as StoredLine[];
    return {
      saleId: row.id,
      saleNumber: row.order_ref,
      showId: row.show_id,
      merchantId: row.merchant_id,
      currency: row.currency,
      lines: lines.flatMap((l) => (l.productId ? [{ lineKey: l.lineKey, productId: l.productId, lineTotal: l.lineTotal }] : [])),
      // The campaign must have been running when the creator's show sent the buyer to the store.
      at: clickAt,
    };
  }

  /** Brings the ledger up to the conversion's status; safe to repeat (the ledger's keys make it idempotent). */
  async function settle(conversionId: string): Promise<void> {
    const row = await db.selectFrom("partner_conversions").selectAll().where("id", "=", conversionId).executeTakeFirst();
    if (!row || row.ledger === "done") return;
    if (row.status === "paid") {
      if (row.attributed === 1) {
        const click = await db.selectFrom("partner_clicks").select("at").where("id", "=", row.click_id).executeTakeFirstOrThrow();
        await deps.commissions.accrue(saleOf(row, Number(click.at)));
      }
      // A refund that committed while the accruals were being written found nothing to reverse.
      const after = await db.selectFrom("partner_conversions").select("status").where("id", "=", conversionId).executeTakeFirstOrThrow();
      if (REVERSED.has(after.status)) await deps.commissions.reverseSale(conversionId);
    } else {
      await deps.commissions.reverseSale(conversionId);
    }
    // Only for the status handled here: a status that changed meanwhile is settled by its own request.
    await db.updateTable("partner_conversions").set({ ledger: "done" }).where("id", "=", conversionId).where("status", "=", row.status).execute();
  }

  const receipt = (row: Pick<ConversionRow, "id" | "status" | "attributed" | "reason">, duplicate: boolean): ConversionReceipt => ({
    conversionId: row.id,
    status: row.status,
    attributed: row.attributed === 1,
    reason: (row.reason as NoAttributionReason | null) ?? null,
    duplicate,
  });

  const self: Partners = {
    settings,

    async rotateSecret(merchantId) {
      const secret = `vps_${newSecret(32)}`;
      const at = now();
      await db
        .insertInto("partner_settings")
        .values({ merchant_id: merchantId, postback_secret: secret, secret_created_at: at })
        .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ postback_secret: secret, secret_created_at: at }))
        .execute();
      return { ...(await settings(merchantId)), secret };
    },

    async click({ showId, productId, viewerUserId, ip }) {
      const show = await deps.shows.get(showId);
      if (!show) return fail("not_found", "No such show.");
      const product = show.products.find((p) => p.id === productId);
      if (!product) return fail("not_found", "This product is not part of this show.");
      if (product.kind !== "external" || !product.externalUrl) return fail("not_found", "This product is not sold by a partner store.");
      if (product.status !== "active") return fail("not_found", "This product is no longer offered.");
      // Beyond a generous rate per address, clicks are not recorded (the buyer still gets to the store).
      if (ip && clickLimiter.take(ip) > 0) return { ok: true, url: product.externalUrl, clickId: null };
      const link = await deps.shows.campaignOf(showId);
      const creator = link ? await deps.creators.byUser(link.hostUserId) : null;
      const clickId = newId("clk");
      await db
        .insertInto("partner_clicks")
        .values({
          id: clickId,
          show_id: showId,
          product_id: productId,
          merchant_id: product.merchantId,
          campaign_id: link?.campaignId ?? null,
          creator_id: link && creator ? creator.id : null,
          viewer_user_id: viewerUserId,
          ip_hash: ip ? hashIp(ip) : null,
          at: now(),
        })
        .execute();
      return { ok: true, url: withParam(product.externalUrl, CLICK_PARAM, clickId), clickId };
    },

    async authenticate(h, rawBody) {
      if (!h.timestamp || !/^\d{1,12}$/.test(h.timestamp)) return fail("postback_timestamp_invalid", "Send Vetrina-Timestamp: the current time in Unix seconds.");
      const merchantId = h.merchant && h.merchant.length <= 64 ? h.merchant : "";
      const row = merchantId ? await db.selectFrom("partner_settings").select("postback_secret").where("merchant_id", "=", merchantId).executeTakeFirst() : undefined;
      // An unknown merchant is checked against a throwaway secret: it looks (and takes) the same as a bad signature.
      const valid = verifySignature(row?.postback_secret ?? newSecret(32), h.timestamp, rawBody, h.signature);
      if (!row || !valid) return fail("postback_signature_invalid", "Sign `${Vetrina-Timestamp}.${raw body}` with HMAC-SHA256 and your postback secret; send Vetrina-Signature: v1=<hex>.");
      // Checked after the signature, so the timestamp cannot have been altered.
      const fresh = checkTimestamp(h.timestamp, now());
      if (!fresh.ok) return fail("postback_timestamp_invalid", `The timestamp is ${fresh.reason.replace(/_/g, " ")}: it must be within ${TOLERANCE_SECONDS} s of the current time.`);
      return { ok: true, merchantId };
    },

    async receive(merchantId, p) {
      const at = now();
      const seen = await db.selectFrom("partner_deliveries").select("delivery_id").where("merchant_id", "=", merchantId).where("delivery_id", "=", p.id).executeTakeFirst();
      if (seen) return fail("postback_replayed", `Delivery ${p.id} was received before; nothing was entered again.`);

      // What a new conversion would be, worked out before the transaction (SQLite has one connection).
      const click = await db.selectFrom("partner_clicks").selectAll().where("id", "=", p.clickId).executeTakeFirst();
      // Another merchant's click is answered exactly like a missing one.
      const clickOk = !!click && click.merchant_id === merchantId;
      const orderedAt = p.orderedAt ? Date.parse(p.orderedAt) : at;
      if (orderedAt > at + TOLERANCE_SECONDS * 1000) return fail("validation_failed", "orderedAt is in the future.");
      const skus = await deps.catalog.productIdsBySku(merchantId, p.lines.flatMap((l) => (l.productId || !l.sku ? [] : [l.sku])));
      const lines = keyLines(p.lines.map((l) => ({ productId: l.productId ?? skus.get(l.sku!) ?? null, sku: l.sku ?? null, quantity: l.quantity, lineTotal: l.lineTotal })));
      const reason = click && clickOk ? await attribute(click, orderedAt, p.currency) : null;

      for (let attempt = 1; ; attempt++) {
        try {
          const out = await db.transaction().execute(async (tx) => {
            const existing = await tx.selectFrom("partner_conversions").selectAll().where("merchant_id", "=", merchantId).where("order_ref", "=", p.orderRef).executeTakeFirst();
            let row: Pick<ConversionRow, "id" | "status" | "attributed" | "reason">;
            let duplicate = false;
            let ledgerWork = false;
            if (!existing) {
              if (!click || !clickOk) return fail("click_not_found", "No click with this id for your store.");
              row = { id: newId("pcv"), status: p.status, attributed: reason ? 0 : 1, reason };
              const inserted = await tx
                .insertInto("partner_conversions")
                .values({
                  ...row,
                  merchant_id: merchantId,
                  order_ref: p.orderRef,
                  click_id: click.id,
                  show_id: click.show_id,
                  currency: p.currency,
                  lines: JSON.stringify(lines),
                  ordered_at: orderedAt,
                  // A refund for an order never reported paid has nothing to reverse.
                  ledger: p.status === "paid" && !reason ? "pending" : "done",
                  created_at: at,
                  updated_at: at,
                })
                .onConflict((oc) => oc.columns(["merchant_id", "order_ref"]).doNothing())
                .executeTakeFirst();
              if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new OrderRefTaken();
              ledgerWork = p.status === "paid" && !reason;
            } else if (existing.status === "paid" && REVERSED.has(p.status)) {
              await tx.updateTable("partner_conversions").set({ status: p.status, ledger: "pending", updated_at: at }).where("id", "=", existing.id).where("status", "=", "paid").execute();
              row = { ...existing, status: p.status };
              ledgerWork = true;
            } else {
              // Paid again, or anything after a refund or cancellation (a reversed sale never earns again).
              row = existing;
              duplicate = true;
            }
            const delivered = await tx
              .insertInto("partner_deliveries")
              .values({ merchant_id: merchantId, delivery_id: p.id, conversion_id: row.id, status: p.status, received_at: at })
              .onConflict((oc) => oc.columns(["merchant_id", "delivery_id"]).doNothing())
              .executeTakeFirst();
            if (Number(delivered.numInsertedOrUpdatedRows ?? 0) !== 1) throw new Replayed();
            return { ok: true as const, receipt: receipt(row, duplicate), ledgerWork };
          });
          if (!out.ok) return out;
          // After commit: the ledger. Should it fail, the conversion stays "pending" and is settled at the next start.
          if (out.ledgerWork) await settle(out.receipt.conversionId);
          return { ok: true, receipt: out.receipt };
        } catch (err) {
          if (err instanceof Replayed) return fail("postback_replayed", `Delivery ${p.id} was received before; nothing was entered again.`);
          // Another delivery entered this orderRef at the same moment: read it and answer as a duplicate would be.
          if (err instanceof OrderRefTaken && attempt < 3) continue;
          throw err;
        }
      }
    },

    async recoverPending(opts = {}) {
      // With several nodes, only conversions left pending long ago: a live node may be settling a fresh one.
      let q = db.selectFrom("partner_conversions").select("id").where("ledger", "=", "pending");
      if (opts.olderThanMs !== undefined) q = q.where("updated_at", "<", Date.now() - opts.olderThanMs);
      const pending = await q.execute();
      for (const c of pending) await settle(c.id);
      return pending.length;
    },
  };
  return self;
}
