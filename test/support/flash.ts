import type { TestServer } from "./harness.ts";
import type { ApiClient } from "./client.ts";
import type { FlashAttemptResult, FlashSale, FlashSaleStats } from "../../src/shared/contracts/flash-sales.ts";
import type { Order } from "../../src/shared/contracts/checkout.ts";
import { demoShow, SHIPPING, CARD_OK } from "./fixtures.ts";

/** A clock the tests move forward instead of waiting for countdowns and holds. */
export class TestClock {
  offset = 0;
  now = () => Date.now() + this.offset;
  advance(ms: number) {
    this.offset += ms;
  }
}

export const flashApi = (c: ApiClient) => ({
  create: (showId: string, body: Record<string, unknown>) => c.request<FlashSale>("POST", `/api/v1/shows/${showId}/flash-sales`, body),
  list: (showId: string) => c.request<{ items: FlashSale[] }>("GET", `/api/v1/shows/${showId}/flash-sales`),
  attempt: (saleId: string, key: string) => c.request<FlashAttemptResult>("POST", `/api/v1/flash-sales/${saleId}/attempts`, { key }),
  pay: (saleId: string, holdId: string, card = CARD_OK) => c.request<Order>("POST", `/api/v1/flash-sales/${saleId}/holds/${holdId}/checkout`, { shipping: SHIPPING, card }),
  stats: (saleId: string) => c.request<FlashSaleStats>("GET", `/api/v1/flash-sales/${saleId}/stats`),
  audit: (saleId: string, afterSeq = 0) => c.request<{ items: { seq: number; at: string; buyerId: string; buyerName: string; outcome: string; holdId: string | null }[] }>("GET", `/api/v1/flash-sales/${saleId}/audit?afterSeq=${afterSeq}&limit=10000`),
});

/** A live demo show with a flash sale on the tee whose stock is raised to fit. */
export async function launchSale(server: TestServer, opts: { quantity: number; perBuyerLimit: number; countdownSeconds?: number; durationSeconds?: number; variantIndex?: number }) {
  const { show, tee } = await demoShow(server);
  const merchant = await server.as("merchant");
  const variant = tee.variants[opts.variantIndex ?? 1]!;
  await merchant.request("PUT", `/api/v1/merchant/variants/${variant.id}/stock`, { stock: opts.quantity + 10 });
  const host = await server.as("host");
  const res = await flashApi(host).create(show.id, {
    variantId: variant.id,
    salePrice: 990,
    quantity: opts.quantity,
    perBuyerLimit: opts.perBuyerLimit,
    countdownSeconds: opts.countdownSeconds ?? 10,
    durationSeconds: opts.durationSeconds ?? 120,
  });
  if (res.status !== 201) throw new Error(`could not launch sale: ${JSON.stringify(res.body)}`);
  return { show, variant, sale: res.body, host, merchant };
}

export async function buyers(server: TestServer, n: number, prefix: string): Promise<ApiClient[]> {
  const out: ApiClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = server.client();
    await c.auth.signUp(`${prefix}${i}@example.com`, "password-123", `${prefix} ${i}`);
    out.push(c);
  }
  return out;
}
