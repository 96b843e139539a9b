import type { Db } from "../platform/db.ts";
import type { ShowStatus } from "../../shared/contracts/shows.ts";
import type { CreatorCategory } from "../../shared/contracts/creators.ts";
import type { SearchKind } from "./schema.ts";

/**
 * What the index is built from. The search index is a read model of three domains: it reads their
 * rows here, in one place, in keyset-paged batches (a rebuild of a million products must not go
 * through per-product service calls), and nowhere else. Only these read-only queries depend on
 * other domains' tables; changes arrive as their events.
 */
export interface SearchDoc {
  kind: SearchKind;
  ref: string;
  title: string;
  /** indexed, and where snippets come from */
  body: string;
  /** indexed too, not shown (names, handle, categories) */
  extra: string;
  image: string | null;
  data: ProductData | ShowData | CreatorData;
}
export interface ProductData {
  merchantName: string;
  price: number | null;
  currency: string;
  externalUrl: string | null;
}
export interface ShowData {
  status: ShowStatus;
  scheduledAt: number;
  hostName: string;
  hostHandle: string | null;
  merchantName: string;
}
export interface CreatorData {
  handle: string;
  verified: boolean;
}

function firstImage(json: string): string | null {
  try {
    const v = JSON.parse(json);
    return Array.isArray(v) && typeof v[0] === "string" ? v[0] : null;
  } catch {
    return null;
  }
}

export function createSources(db: Db) {
  async function products(where: { ids?: string[]; after?: string; limit?: number }): Promise<{ docs: SearchDoc[]; last: string | null; gone: string[] }> {
    let q = db
      .selectFrom("products")
      .innerJoin("merchants", "merchants.id", "products.merchant_id")
      .select(["products.id", "products.title", "products.description", "products.images", "products.status", "products.currency", "products.kind", "products.external_url", "products.store_name", "merchants.name as merchant_name"])
      .select((eb) => eb.selectFrom("variants").select((v) => v.fn.min("variants.price").as("p")).whereRef("variants.product_id", "=", "products.id").where("variants.active", "=", 1).as("min_price"));
    if (where.ids) q = q.where("products.id", "in", where.ids);
    if (where.after !== undefined) q = q.where("products.id", ">", where.after);
    const rows = await q.orderBy("products.id").limit(where.limit ?? 10_000).execute();
    const active = rows.filter((r) => r.status === "active");
    return {
      last: rows.at(-1)?.id ?? null,
      gone: rows.filter((r) => r.status !== "active").map((r) => r.id),
      docs: active.map((r) => ({
        kind: "product",
        ref: r.id,
        title: r.title,
        body: r.description,
        extra: [r.merchant_name, r.store_name ?? ""].join(" "),
        image: firstImage(r.images),
        data: {
          merchantName: r.merchant_name,
          price: r.min_price === null || r.min_price === undefined ? null : Number(r.min_price),
          currency: r.currency,
          externalUrl: r.kind === "external" ? r.external_url : null,
        },
      })),
    };
  }

  async function shows(where: { ids?: string[]; after?: string; limit?: number }): Promise<{ docs: SearchDoc[]; last: string | null; gone: string[] }> {
    let q = db
      .selectFrom("shows")
      .innerJoin("merchants", "merchants.id", "shows.merchant_id")
      .innerJoin("users", "users.id", "shows.host_user_id")
      .leftJoin("creators", "creators.user_id", "shows.host_user_id")
      .select(["shows.id", "shows.title", "shows.description", "shows.cover_url", "shows.status", "shows.scheduled_at", "users.display_name as host_name", "creators.handle as host_handle", "merchants.name as merchant_name"]);
    if (where.ids) q = q.where("shows.id", "in", where.ids);
    if (where.after !== undefined) q = q.where("shows.id", ">", where.after);
    const rows = await q.orderBy("shows.id").limit(where.limit ?? 10_000).execute();
    return {
      last: rows.at(-1)?.id ?? null,
      gone: [],
      docs: rows.map((r) => ({
        kind: "show",
        ref: r.id,
        title: r.title,
        body: r.description,
        extra: [r.host_name, r.host_handle ?? "", r.merchant_name].join(" "),
        image: r.cover_url,
        data: { status: r.status, scheduledAt: Number(r.scheduled_at), hostName: r.host_name, hostHandle: r.host_handle ?? null, merchantName: r.merchant_name },
      })),
    };
  }

  async function creators(where: { ids?: string[]; after?: string; limit?: number }): Promise<{ docs: SearchDoc[]; last: string | null; gone: string[] }> {
    let q = db.selectFrom("creators").select(["id", "handle", "display_name", "bio", "categories", "avatar_url", "verified_at"]);
    if (where.ids) q = q.where("id", "in", where.ids);
    if (where.after !== undefined) q = q.where("id", ">", where.after);
    const rows = await q.orderBy("id").limit(where.limit ?? 10_000).execute();
    return {
      last: rows.at(-1)?.id ?? null,
      gone: [],
      docs: rows.map((r) => {
        let categories: CreatorCategory[] = [];
        try {
          categories = JSON.parse(r.categories);
        } catch {}
        return {
          kind: "creator",
          ref: r.id,
          title: r.display_name,
          body: r.bio,
          // "kara.styles" is also found as "kara" and "styles"
          extra: [r.handle, r.handle.replace(/[._-]+/g, " "), categories.join(" ")].join(" "),
          image: r.avatar_url,
          data: { handle: r.handle, verified: r.verified_at !== null },
        };
      }),
    };
  }

  return {
    byKind: { product: products, show: shows, creator: creators } as const,

    /** For each product, the show a buyer should go to: live first, then the next upcoming, then the latest ended. */
    async featuringShows(productIds: string[]): Promise<Map<string, string>> {
      if (!productIds.length) return new Map();
      const rows = await db
        .selectFrom("show_products")
        .innerJoin("shows", "shows.id", "show_products.show_id")
        .select(["show_products.product_id", "shows.id", "shows.status", "shows.scheduled_at"])
        .where("show_products.product_id", "in", productIds)
        .execute();
      const order = { live: 0, scheduled: 1, ended: 2 } as const;
      const better = (a: (typeof rows)[number], b: (typeof rows)[number]) =>
        order[a.status] !== order[b.status] ? order[a.status] < order[b.status] : a.status === "scheduled" ? Number(a.scheduled_at) < Number(b.scheduled_at) : Number(a.scheduled_at) > Number(b.scheduled_at);
      const best = new Map<string, (typeof rows)[number]>();
      for (const r of rows) {
        const cur = best.get(r.product_id);
        if (!cur || better(r, cur)) best.set(r.product_id, r);
      }
      return new Map([...best].map(([p, r]) => [p, r.id]));
    },
  };
}
export type Sources = ReturnType<typeof createSources>;
