import type { Campaign, CreatorCampaign } from "../../src/shared/contracts/campaigns.ts";
import type { AgencyEarnings, AgencyInvitation, AgencyStatement, CreatorAgencyView, MyAgency, RosterCreator, RosterDashboard, RosterEntry } from "../../src/shared/contracts/agencies.ts";
import type { LiveAnalytics } from "../../src/shared/contracts/analytics.ts";
import type { Earnings, Statement } from "../../src/shared/contracts/commissions.ts";
import type { Creator, CreatorPage, FollowState } from "../../src/shared/contracts/creators.ts";
import type { Product } from "../../src/shared/contracts/catalog.ts";
import type { Show, ShowSummary } from "../../src/shared/contracts/shows.ts";
import type { ApiClient } from "./client.ts";
import type { TestServer } from "./harness.ts";

type Body = Record<string, unknown>;

/** A creator's profile, page and follows. */
export const creatorApi = (c: ApiClient) => ({
  me: () => c.request<Creator>("GET", "/api/v1/me/creator"),
  turnOn: (body: Body) => c.request<Creator>("POST", "/api/v1/me/creator", body),
  edit: (body: Body) => c.request<Creator>("PUT", "/api/v1/me/creator", body),
  page: (handle: string) => c.request<CreatorPage>("GET", `/api/v1/creators/${encodeURIComponent(handle)}`),
  follow: (handle: string) => c.request<FollowState>("POST", `/api/v1/creators/${encodeURIComponent(handle)}/follow`),
  unfollow: (handle: string) => c.request<FollowState>("DELETE", `/api/v1/creators/${encodeURIComponent(handle)}/follow`),
  verify: (creatorId: string, verified?: boolean) => c.request<Creator>("POST", `/api/v1/admin/creators/${creatorId}/verify`, verified === undefined ? undefined : { verified }),
});

/** Both sides of a campaign: the brand's and the creator's. */
export const campaignApi = (c: ApiClient) => ({
  create: (body: Body) => c.request<Campaign>("POST", "/api/v1/merchant/campaigns", body),
  list: () => c.request<{ items: Campaign[] }>("GET", "/api/v1/merchant/campaigns"),
  get: (id: string) => c.request<Campaign>("GET", `/api/v1/merchant/campaigns/${id}`),
  invite: (id: string, handles: string[]) => c.request<Campaign>("POST", `/api/v1/merchant/campaigns/${id}/invitations`, { handles }),
  mine: () => c.request<{ items: CreatorCampaign[] }>("GET", "/api/v1/creator/campaigns"),
  view: (id: string) => c.request<CreatorCampaign>("GET", `/api/v1/creator/campaigns/${id}`),
  accept: (id: string) => c.request<CreatorCampaign>("POST", `/api/v1/creator/campaigns/${id}/accept`),
  decline: (id: string) => c.request<CreatorCampaign>("POST", `/api/v1/creator/campaigns/${id}/decline`),
  join: (id: string) => c.request<CreatorCampaign>("POST", `/api/v1/creator/campaigns/${id}/join`),
  shows: () => c.request<{ items: ShowSummary[] }>("GET", "/api/v1/creator/shows"),
  scheduleShow: (body: Body) => c.request<Show>("POST", "/api/v1/creator/shows", body),
  editShow: (showId: string, body: Body) => c.request<Show>("PUT", `/api/v1/creator/shows/${showId}`, body),
});

export const earningsApi = (c: ApiClient) => ({
  balances: () => c.request<Earnings>("GET", "/api/v1/me/earnings"),
  statement: (from: string, to: string, format?: "json" | "csv") =>
    c.request<Statement | string>("GET", `/api/v1/me/earnings/statement?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${format ? `&format=${format}` : ""}`),
});

let n = 0;
const unique = () => `${process.pid.toString(36)}${(n++).toString(36)}${Date.now().toString(36).slice(-4)}`;

/** A new user, signed in, with a creator profile (any signed-in user may turn one on). */
export async function newCreator(server: TestServer, name = "creator"): Promise<{ client: ApiClient; creator: Creator; userId: string }> {
  const client = server.client();
  const id = unique();
  const signed = await client.auth.signUp(`${name}-${id}@example.com`, "password-123", `${name} ${id}`);
  if (signed.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(signed.body)}`);
  const res = await creatorApi(client).turnOn({ handle: `${name}_${id}`.slice(0, 30), displayName: `${name} ${id}` });
  if (res.status !== 201) throw new Error(`creator profile failed: ${JSON.stringify(res.body)}`);
  return { client, creator: res.body, userId: signed.body.user.id };
}

/** Another brand: a merchant with one staff account (signed in) and one product per currency asked for. */
export async function newMerchant(server: TestServer, name: string, products: { currency: string; price: number; stock?: number }[] = [{ currency: "EUR", price: 1000 }]) {
  const merchant = await server.app.accounts.createMerchant(name, "EUR");
  const email = `staff-${unique()}@example.com`;
  const signed = await server.app.accounts.signUp({ email, password: "password-123", displayName: `${name} staff`, role: "merchant", merchantId: merchant.id });
  if (!signed.ok) throw new Error(signed.code);
  const client = server.client();
  await client.auth.signIn(email, "password-123");
  const made: Product[] = [];
  for (const [i, p] of products.entries())
    made.push(await server.app.catalog.create(merchant.id, { title: `${name} item ${i}`, description: "", currency: p.currency, status: "active", images: [], variants: [{ options: {}, price: p.price, stock: p.stock ?? 100 }] }));
  return { merchantId: merchant.id, client, products: made };
}

/** A campaign body running from an hour ago for `days` days. */
export function campaignBody(productIds: string[], over: Body = {}): Body {
  return {
    name: "Test campaign",
    currency: "EUR",
    commissionBps: 1000,
    products: productIds.map((productId) => ({ productId })),
    startsAt: new Date(Date.now() - 3600_000).toISOString(),
    endsAt: new Date(Date.now() + 60 * 86_400_000).toISOString(),
    audience: "invited",
    invitedHandles: [],
    ...over,
  };
}

/**
 * A paid order whose payment callback has not arrived yet: the order exists, no `order.paid` was
 * published. Its payment id is unknown to the sandbox, so cancelling it cannot refund it (it stays
 * cancelled). Tests deliver the callback themselves, late or twice.
 */
export async function unannouncedOrder(server: TestServer, o: { showId: string; product: Product; quantity?: number; buyerId: string }) {
  const v = o.product.variants[0]!;
  const created = await server.app.db.db.transaction().execute((tx) =>
    server.app.orders.insertPaid(tx, {
      merchantId: o.product.merchantId,
      buyerId: o.buyerId,
      showId: o.showId,
      currency: o.product.currency,
      shipping: { name: "Test", line1: "Via Roma 1", city: "Milano", postalCode: "20121", country: "IT" },
      paymentId: `pay_unknown_${unique()}`,
      cardLast4: "4242",
      items: [{ productId: o.product.id, variantId: v.id, title: o.product.title, variantTitle: v.title, unitPrice: v.price, quantity: o.quantity ?? 1 }],
    }),
  );
  const order = (await server.app.orders.get(created.id))!;
  const hostOrder = (await server.app.orders.hostOrderView(created.id))!;
  /** the payment callback, as checkout publishes it */
  const paidEvent = { type: "order.paid" as const, orderId: order.id, merchantId: order.merchantId, showId: order.showId, buyerId: order.buyerId, hostOrder, productIds: [o.product.id] };
  return { order, paidEvent };
}

/** Both sides of an agency: its staff's (roster, invitations, earnings, live shows) and the creator's. */
export const agencyApi = (c: ApiClient) => ({
  mine: () => c.request<MyAgency>("GET", "/api/v1/me/agency"),
  create: (body: Body) => c.request<MyAgency>("POST", "/api/v1/me/agency", body),
  addStaff: (email: string) => c.request<MyAgency>("POST", "/api/v1/agency/staff", { email }),
  removeStaff: (userId: string) => c.request<MyAgency>("DELETE", `/api/v1/agency/staff/${userId}`),
  invite: (handle: string, shareBps: number) => c.request<AgencyInvitation>("POST", "/api/v1/agency/invitations", { handle, shareBps }),
  revoke: (invitationId: string) => c.request<AgencyInvitation>("DELETE", `/api/v1/agency/invitations/${invitationId}`),
  roster: (q: { from?: string; to?: string } = {}) => c.request<RosterDashboard>("GET", `/api/v1/agency/roster?${new URLSearchParams(q)}`),
  rosterCreator: (creatorId: string, q: { from?: string; to?: string } = {}) => c.request<RosterCreator>("GET", `/api/v1/agency/roster/${creatorId}?${new URLSearchParams(q)}`),
  setShare: (creatorId: string, shareBps: number) => c.request<RosterEntry>("PUT", `/api/v1/agency/roster/${creatorId}/share`, { shareBps }),
  remove: (creatorId: string) => c.request<{ ok: true }>("DELETE", `/api/v1/agency/roster/${creatorId}`),
  earnings: () => c.request<AgencyEarnings>("GET", "/api/v1/agency/earnings"),
  statement: (from: string, to: string, format?: "json" | "csv") =>
    c.request<AgencyStatement | string>("GET", `/api/v1/agency/earnings/statement?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}${format ? `&format=${format}` : ""}`),
  live: (showId: string) => c.request<LiveAnalytics>("GET", `/api/v1/agency/shows/${showId}/live`),
  // The creator's side.
  creatorView: () => c.request<CreatorAgencyView>("GET", "/api/v1/creator/agency"),
  accept: (invitationId: string) => c.request<CreatorAgencyView>("POST", `/api/v1/creator/agency-invitations/${invitationId}/accept`),
  decline: (invitationId: string) => c.request<CreatorAgencyView>("POST", `/api/v1/creator/agency-invitations/${invitationId}/decline`),
  leave: () => c.request<CreatorAgencyView>("POST", "/api/v1/creator/agency/leave"),
});

/** A new user, signed in, owning a new agency. */
export async function newAgency(server: TestServer, name = "agency"): Promise<{ client: ApiClient; agency: MyAgency; userId: string; email: string }> {
  const client = server.client();
  const id = unique();
  const email = `${name}-${id}@example.com`;
  const signed = await client.auth.signUp(email, "password-123", `${name} ${id}`);
  if (signed.status !== 201) throw new Error(`sign-up failed: ${JSON.stringify(signed.body)}`);
  const res = await agencyApi(client).create({ name: `${name} ${id}`, handle: `${name}_${id}`.slice(0, 30) });
  if (res.status !== 201) throw new Error(`agency failed: ${JSON.stringify(res.body)}`);
  return { client, agency: res.body, userId: signed.body.user.id, email };
}
