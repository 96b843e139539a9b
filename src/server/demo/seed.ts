import type { Logger } from "pino";
import type { MediaStorage } from "../media/storage.ts";
import type { Db } from "../platform/db.ts";
import type { Accounts } from "../accounts/service.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Shows } from "../shows/service.ts";
import type { Creators } from "../creators/service.ts";
import type { Campaigns } from "../campaigns/service.ts";
import type { Agencies } from "../agencies/service.ts";

export const DEMO_PASSWORD = "vetrina-demo";

export interface DemoAccount {
  email: string;
  password: string;
  role: string;
  note: string;
}

const ACCOUNTS = [
  { email: "merchant@vetrina.test", displayName: "Giulia (Bottega Aurora)", role: "merchant" as const, note: "merchant staff: catalog, shows, orders" },
  { email: "host@vetrina.test", displayName: "Marco Live", role: "host" as const, note: "creator @marcolive: hosts the demo show for the brand's campaign, earns commission" },
  { email: "viewer@vetrina.test", displayName: "Sofia", role: "viewer" as const, note: "shopper" },
  { email: "admin@vetrina.test", displayName: "Operator", role: "admin" as const, note: "instance operator" },
  { email: "agency@vetrina.test", displayName: "Stella (Stella Talent)", role: "viewer" as const, note: "owner of the agency Stella Talent: @marcolive on its roster at 20 %" },
];

/** A flat product picture as SVG, so the demo needs no image files in the repository. */
function productSvg(label: string, bg: string, fg: string): string {
  const safe = label.replace(/[<>&"]/g, "");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="600" viewBox="0 0 600 600"><rect width="600" height="600" fill="${bg}"/><circle cx="300" cy="260" r="150" fill="${fg}" opacity="0.85"/><text x="300" y="520" font-family="sans-serif" font-size="44" font-weight="700" text-anchor="middle" fill="${fg}">${safe}</text></svg>`;
}

/**
 * Seeds a merchant, its staff, a creator (with a profile and an accepted campaign of the merchant's), a
 * shopper, a catalog and two shows: the creator's campaign show and one of the merchant's own. Runs only
 * on an empty database.
 */
export async function seedDemoData(deps: { db: Db; accounts: Accounts; catalog: Catalog; shows: Shows; creators: Creators; campaigns: Campaigns; agencies?: Agencies; log: Logger; images?: MediaStorage }): Promise<DemoAccount[]> {
  const { db, accounts, catalog, shows, creators, campaigns, log } = deps;
  const listed = ACCOUNTS.map((a) => ({ email: a.email, password: DEMO_PASSWORD, role: a.role, note: a.note }));
  const existing = await db.selectFrom("users").select("id").limit(1).executeTakeFirst();
  if (existing) {
    const demo = await db.selectFrom("users").select("email").where("email", "=", ACCOUNTS[0]!.email).executeTakeFirst();
    return demo ? listed : [];
  }

  const merchant = await accounts.createMerchant("Bottega Aurora", "EUR");
  const ids: Record<string, string> = {};
  for (const a of ACCOUNTS) {
    const r = await accounts.signUp({ email: a.email, password: DEMO_PASSWORD, displayName: a.displayName, role: a.role, merchantId: a.role === "merchant" ? merchant.id : null });
    if (!r.ok) throw new Error(`demo seed: ${r.code}`);
    // The first account of a role is that role's demo account (the agency owner is a viewer too).
    ids[a.role] ??= r.user.id;
    ids[a.email] = r.user.id;
  }

  const images: Record<string, string> = {};
  if (deps.images) {
    const pics: [string, string, string, string][] = [
      ["tee", "Tee", "#f4e9dc", "#c0392b"],
      ["sneaker", "Sneaker", "#e8f1f8", "#1f4e79"],
      ["lipstick", "Rossetto", "#fbeff2", "#a4133c"],
      ["mug", "Tazza", "#eef5ea", "#386641"],
      ["espresso", "Espresso", "#f3ece6", "#5b3a29"],
      ["cover", "LIVE", "#1d1b2f", "#ff5d8f"],
    ];
    for (const [key, label, bg, fg] of pics) {
      const name = `demo-${key}.svg`;
      await deps.images.write(name, productSvg(label, bg, fg));
      images[key] = `/uploads/${name}`;
    }
  }
  const img = (k: string) => (images[k] ? [images[k]!] : []);

  // Sold by the brand's store on JD.com: the player's card opens the store through /go (see docs/creators-and-commissions.md).
  const espresso = await catalog.create(merchant.id, {
    title: "Espresso machine",
    description: "15-bar pump, steam wand. Sold and shipped by Bottega Aurora's JD.com store.",
    currency: "EUR",
    status: "active",
    images: img("espresso"),
    variants: [{ sku: "JD-ESPRESSO-1", options: {}, price: 34900, stock: 0 }],
    kind: "external",
    externalUrl: "https://www.jd.com/",
    storeName: "JD.com",
  });
  const tee = await catalog.create(merchant.id, {
    title: "Organic cotton tee",
    description: "Heavyweight organic cotton, boxy fit. Made in Biella.",
    currency: "EUR",
    status: "active",
    images: img("tee"),
    variants: [
      { options: { size: "S", colour: "Red" }, price: 2900, stock: 25 },
      { options: { size: "M", colour: "Red" }, price: 2900, stock: 40 },
      { options: { size: "L", colour: "Red" }, price: 2900, stock: 30 },
      { options: { size: "M", colour: "Black" }, price: 2900, stock: 0 },
    ],
  });
  const sneaker = await catalog.create(merchant.id, {
    title: "Runner sneaker",
    description: "Recycled mesh upper, cushioned sole.",
    currency: "EUR",
    status: "active",
    images: img("sneaker"),
    variants: [39, 40, 41, 42, 43].map((size) => ({ options: { size: String(size) }, price: 8900, stock: 12 })),
  });
  const lipstick = await catalog.create(merchant.id, {
    title: "Velvet lipstick",
    description: "Long-lasting matte finish.",
    currency: "EUR",
    status: "active",
    images: img("lipstick"),
    variants: [
      { options: { shade: "Rosso Ferrari" }, price: 1950, stock: 60 },
      { options: { shade: "Nude" }, price: 1950, stock: 45 },
    ],
  });
  const mug = await catalog.create(merchant.id, {
    title: "Hand-thrown mug",
    description: "Stoneware from Deruta, 350 ml.",
    currency: "EUR",
    status: "active",
    images: img("mug"),
    variants: [{ options: {}, price: 2400, stock: 15 }],
  });

  const productIds = [tee.id, sneaker.id, lipstick.id, mug.id, espresso.id];
  // The demo host is a creator selling the brand's products for a commission: 10 %, 15 % on the lipstick.
  const creator = await creators.create(ids.host!, {
    handle: "marcolive",
    displayName: "Marco Live",
    avatarUrl: null,
    bio: "Street style and good coffee, live from Milano.",
    categories: ["fashion", "beauty"],
    links: [],
  });
  if (!creator.ok) throw new Error(`demo seed: ${creator.code}`);
  const campaign = await campaigns.create(merchant.id, ids.merchant!, {
    name: "Autumn with Marco",
    currency: "EUR",
    commissionBps: 1000,
    products: productIds.map((productId) => ({ productId, commissionBps: productId === lipstick.id ? 1500 : null })),
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    audience: "invited",
    invitedHandles: ["marcolive"],
  });
  if (!campaign.ok) throw new Error(`demo seed: ${campaign.code} ${campaign.message ?? ""}`);
  const accepted = await campaigns.respond(ids.host!, campaign.campaign.id, "accept");
  if (!accepted.ok) throw new Error(`demo seed: ${accepted.code}`);
  const first = await campaigns.scheduleShow(ids.host!, {
    campaignId: campaign.campaign.id,
    title: "Autumn drop — live from the atelier",
    description: "New tees, sneakers and a few surprises. Ask anything in the chat!",
    coverUrl: images.cover ?? null,
    scheduledAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    productIds,
  });
  if (!first.ok) throw new Error(`demo seed: ${first.code} ${first.message ?? ""}`);
  await shows.create(merchant.id, {
    title: "Beauty hour with Giulia",
    description: "Shades for every season.",
    coverUrl: images.cover ?? null,
    scheduledAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    hostId: ids.merchant!,
    productIds: [lipstick.id, mug.id],
  });
  if (deps.agencies) {
    // An MCN with the demo creator on its roster: it takes 20 % of his commission on every sale.
    const owner = ids["agency@vetrina.test"]!;
    const agency = await deps.agencies.create(owner, { name: "Stella Talent", handle: "stellatalent" });
    if (!agency.ok) throw new Error(`demo seed: ${agency.code}`);
    const invited = await deps.agencies.invite(owner, "marcolive", 2000);
    if (!invited.ok) throw new Error(`demo seed: ${invited.code}`);
    const joined = await deps.agencies.respond(ids.host!, invited.invitation.id, "accept");
    if (!joined.ok) throw new Error(`demo seed: ${joined.code}`);
  }
  log.info({ show: first.ok ? first.show.id : null }, "demo data created");
  return listed;
}
