import type { BuyNowBody } from "../../src/shared/contracts/checkout.ts";
import type { TestServer } from "./harness.ts";

export const SHIPPING = { name: "Sofia Rossi", line1: "Via Roma 1", city: "Milano", postalCode: "20121", country: "IT" };
export const CARD_OK = { number: "4242 4242 4242 4242", expMonth: 12, expYear: 2099, cvc: "123" };
export const CARD_DECLINED = { ...CARD_OK, number: "4000000000000002" };
export const CARD_FAILS = { ...CARD_OK, number: "4000000000000119" };

/** The demo show (first scheduled show of the demo host), made live the way the ingest does it. */
export async function demoShow(server: TestServer, opts: { live?: boolean } = {}) {
  const shows = await server.app.shows.list({ limit: 50 });
  const summary = shows.find((s) => s.title.startsWith("Autumn drop"))!;
  if (opts.live ?? true) await server.app.shows.markLive(summary.id);
  const show = (await server.app.shows.get(summary.id))!;
  const tee = show.products.find((p) => p.title.includes("tee"))!;
  const variant = tee.variants.find((v) => v.stock > 0)!;
  return { show, tee, variant };
}

export function buyBody(showId: string, variantId: string, card = CARD_OK, quantity = 1): BuyNowBody {
  return { showId, variantId, quantity, shipping: SHIPPING, card };
}

let n = 0;
export const idemKey = () => `test-${process.pid}-${Date.now()}-${n++}`;
