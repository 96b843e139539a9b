import type { ConversionReceipt, PartnerSecret, PartnerSettings } from "../../src/shared/contracts/partners.ts";
import { signatureHeader } from "../../src/server/partners/signature.ts";
import type { ApiClient, Res } from "./client.ts";

/** A merchant's partner-store settings. */
export const partnerApi = (c: ApiClient) => ({
  settings: () => c.request<PartnerSettings>("GET", "/api/v1/merchant/partner"),
  rotateSecret: () => c.request<PartnerSecret>("POST", "/api/v1/merchant/partner/secret"),
});

/** A partner store: follows the /go redirect like a browser would arrive, and posts signed conversions. */
export function partnerStore(c: ApiClient, merchantId: string, secret: string, clock: () => number = Date.now) {
  return {
    /** The viewer's tap: the redirect, not followed. */
    click: async (showId: string, productId: string) => {
      const res = await fetch(`${c.baseUrl}/go/${showId}/${productId}`, { redirect: "manual", headers: c.cookie ? { cookie: c.cookie } : {} });
      const location = res.headers.get("location");
      const text = await res.text();
      return { status: res.status, location, clickId: location ? new URL(location).searchParams.get("vetrina_click") : null, problem: res.status >= 400 ? JSON.parse(text) : null, contentType: res.headers.get("content-type") };
    },
    /** Posts a conversion, signed as the protocol says unless `tamper` changes something. */
    post: (body: Record<string, unknown>, tamper: { timestamp?: number | null; signature?: string; merchant?: string; secret?: string; raw?: string } = {}): Promise<Res<ConversionReceipt>> => {
      const raw = tamper.raw ?? JSON.stringify(body);
      const ts = tamper.timestamp === undefined ? Math.floor(clock() / 1000) : tamper.timestamp;
      const headers: Record<string, string> = { "content-type": "application/json", "vetrina-merchant": tamper.merchant ?? merchantId };
      if (ts !== null) headers["vetrina-timestamp"] = String(ts);
      headers["vetrina-signature"] = tamper.signature ?? signatureHeader(tamper.secret ?? secret, ts ?? "", raw);
      return c.request<ConversionReceipt>("POST", "/api/v1/partners/conversions", raw, headers);
    },
  };
}
