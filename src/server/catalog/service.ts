import { sql } from "kysely";
import type { Product, ProductInput, Variant } from "../../shared/contracts/catalog.ts";
import type { Db, DbOrTx } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso } from "../platform/time.ts";

export interface Catalog {
  create(merchantId: string, input: ProductInput): Promise<Product>;
  update(merchantId: string, productId: string, input: ProductInput): Promise<Result<{ product: Product }>>;
  setStock(merchantId: string, variantId: string, stock: number): Promise<Result<{ product: Product }>>;
  get(productId: string): Promise<Product | null>;
  getMany(productIds: string[]): Promise<Product[]>;
  /**
   * What a strip of product cards shows (feed items, short videos): title, first image, lowest active
   * variant price, status; one statement, without descriptions or variants. Missing ids are left out.
   */
  cards(productIds: string[]): Promise<Map<string, ProductCard>>;
  list(merchantId: string, opts: { cursor?: string; limit: number; q?: string; status?: "active" | "archived" }): Promise<{ items: Product[]; nextCursor: string | null }>;
  /** For checkout: the variant with what a buyer needs to pay for it. */
  variantForSale(db: DbOrTx, variantId: string): Promise<VariantForSale | null>;
  /** Takes `quantity` units inside the caller's transaction; false when not enough stock. */
  takeStock(tx: DbOrTx, variantId: string, quantity: number): Promise<boolean>;
  returnStock(tx: DbOrTx, variantId: string, quantity: number): Promise<void>;
  /** The merchant's products that have a variant with one of these SKUs: SKU → product id (for partner-store reports). */
  productIdsBySku(merchantId: string, skus: string[]): Promise<Map<string, string>>;
}

export interface ProductCard {
  id: string;
  title: string;
  imageUrl: string | null;
  /** the lowest price of its active variants; null when it has none */
  price: { amount: number; currency: string } | null;
  status: "active" | "archived";
}

/** A card as a strip shows it (feed items, short videos): everything but its status. */
export function stripItem({ status: _status, ...item }: ProductCard): Omit<ProductCard, "status"> {
  return item;
}

export interface VariantForSale {
  variantId: string;
  variantTitle: string;
  productId: string;
  productTitle: string;
  merchantId: string;
  currency: string;
  price: number;
  stock: number;
  available: boolean;
  /** sold by a partner store: checkout and flash sales refuse it (product_external) */
  external: boolean;
}

class StockConflict extends Error {}

export function variantTitle(options: Record<string, string>): string {
  const values = Object.values(options);
  return values.length ? values.join(" / ") : "Default";
}

export function createCatalog(deps: { db: Db; bus: EventBus }): Catalog {
  const { db, bus } = deps;

  async function load(ids: string[]): Promise<Product[]> {
    if (ids.length === 0) return [];
    const [rows, variants] = await Promise.all([
      db.selectFrom("products").selectAll().where("id", "in", ids).execute(),
      db.selectFrom("variants").selectAll().where("product_id", "in", ids).where("active", "=", 1).orderBy("position").execute(),
    ]);
    const byProduct = new Map<string, Variant[]>();
    for (const v of variants) {
      const list = byProduct.get(v.product_id) ?? [];
      list.push({ id: v.id, sku: v.sku, title: v.title, options: JSON.parse(v.options), price: v.price, stock: v.stock });
      byProduct.set(v.product_id, list);
    }
    const byId = new Map(
      rows.map((r) => [
        r.id,
        {
          id: r.id,
          merchantId: r.merchant_id,
          title: r.title,
          description: r.description,
          currency: r.currency,
          status: r.status,
          images: JSON.parse(r.images) as string[],
          variants: byProduct.get(r.id) ?? [],
          kind: r.kind,
          externalUrl: r.kind === "external" ? r.external_url : null,
          storeName: r.kind === "external" ? r.store_name : null,
          createdAt: iso(r.created_at),
          updatedAt: iso(r.updated_at),
        } satisfies Product,
      ]),
    );
    return ids.map((id) => byId.get(id)).filter((p): p is Product => !!p);
  }

  async function writeVariants(tx: DbOrTx, productId: string, input: ProductInput, existingIds: Set<string>) {
    const keep = new Set<string>();
    // An external product's stock is the partner store's, not ours: nothing here can be sold from it.
    const external = input.kind === "external";
    for (const [position, v0] of input.variants.entries()) {
      const v = external ? { ...v0, stock: 0, expectedStock: undefined } : v0;
      const values = { sku: v.sku ?? null, title: variantTitle(v.options), options: JSON.stringify(v.options), price: v.price, position, active: 1 };
      if (v.id && existingIds.has(v.id)) {
        keep.add(v.id);
        if (v.expectedStock === undefined) {
          await tx.updateTable("variants").set({ ...values, stock: v.stock }).where("id", "=", v.id).execute();
        } else {
          // Apply the editor's change as a delta on the current stock: sales made meanwhile stay sold.
          const delta = v.stock - v.expectedStock;
          const res = await tx
            .updateTable("variants")
            .set((eb) => ({ ...values, stock: eb("stock", "+", delta) }))
            .where("id", "=", v.id)
            .where("stock", ">=", -delta)
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) throw new StockConflict();
        }
      } else {
        await tx.insertInto("variants").values({ id: newId("var"), product_id: productId, ...values, stock: v.stock }).execute();
      }
    }
    // Variants left out are retired, not deleted: past orders still point at them.
    const retired = [...existingIds].filter((id) => !keep.has(id));
    if (retired.length) await tx.updateTable("variants").set({ active: 0 }).where("id", "in", retired).execute();
  }

  return {
    async create(merchantId, input) {
      const id = newId("prd");
      const now = Date.now();
      await db.transaction().execute(async (tx) => {
        await tx
          .insertInto("products")
          .values({
            id,
            merchant_id: merchantId,
            title: input.title,
            description: input.description,
            currency: input.currency,
            status: input.status,
            images: JSON.stringify(input.images),
            ...externalColumns(input),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await writeVariants(tx, id, input, new Set());
      });
      bus.publish({ type: "product.changed", productId: id });
      return (await load([id]))[0]!;
    },

    async update(merchantId, productId, input) {
      const row = await db.selectFrom("products").select(["merchant_id"]).where("id", "=", productId).executeTakeFirst();
      if (!row || row.merchant_id !== merchantId) return fail("not_found", "No such product.");
      try {
        await db.transaction().execute(async (tx) => {
          await tx
          .updateTable("products")
          .set({
            title: input.title,
            description: input.description,
            currency: input.currency,
            status: input.status,
            images: JSON.stringify(input.images),
            ...externalColumns(input),
            updated_at: Date.now(),
          })
          .where("id", "=", productId)
          .execute();
        const existing = await tx.selectFrom("variants").select("id").where("product_id", "=", productId).where("active", "=", 1).execute();
        await writeVariants(tx, productId, input, new Set(existing.map((e) => e.id)));
        });
      } catch (err) {
        if (err instanceof StockConflict) return fail("conflict", "Stock was sold meanwhile and your change would make it negative; reload and try again.");
        throw err;
      }
      bus.publish({ type: "stock.changed", productId });
      bus.publish({ type: "product.changed", productId });
      return { ok: true, product: (await load([productId]))[0]! };
    },

    async setStock(merchantId, variantId, stock) {
      const v = await db
        .selectFrom("variants")
        .innerJoin("products", "products.id", "variants.product_id")
        .select(["products.id as product_id", "products.merchant_id", "products.kind"])
        .where("variants.id", "=", variantId)
        .executeTakeFirst();
      if (!v || v.merchant_id !== merchantId) return fail("not_found", "No such variant.");
      if (v.kind === "external") return fail("product_external", "This product is sold by a partner store: its stock is the store's.");
      await db.updateTable("variants").set({ stock }).where("id", "=", variantId).execute();
      bus.publish({ type: "stock.changed", productId: v.product_id });
      return { ok: true, product: (await load([v.product_id]))[0]! };
    },

    async get(productId) {
      return (await load([productId]))[0] ?? null;
    },

    getMany: load,

    async cards(ids) {
      const out = new Map<string, ProductCard>();
      if (!ids.length) return out;
      const rows = await db
        .selectFrom("products as p")
        .select(["p.id", "p.title", "p.images", "p.currency", "p.status"])
        .select((eb) => eb.selectFrom("variants as v").select((e) => e.fn.min<number>("v.price").as("m")).whereRef("v.product_id", "=", "p.id").where("v.active", "=", 1).as("min_price"))
        .where("p.id", "in", [...new Set(ids)])
        .execute();
      for (const r of rows) {
        const images = JSON.parse(r.images) as string[];
        const price = r.min_price === null || r.min_price === undefined ? null : { amount: Number(r.min_price), currency: r.currency };
        out.set(r.id, { id: r.id, title: r.title, imageUrl: images[0] ?? null, price, status: r.status });
      }
      return out;
    },

    async list(merchantId, { cursor, limit, q, status }) {
      let query = db.selectFrom("products").select(["id", "created_at"]).where("merchant_id", "=", merchantId);
      if (status) query = query.where("status", "=", status);
      if (q) {
        const pattern = `%${q.toLowerCase().replace(/[%_\\]/g, (c) => "\\" + c)}%`;
        query = query.where(sql<boolean>`lower(title) like ${pattern} escape '\\'`);
      }
      if (cursor) {
        const [at, id] = decodeCursor(cursor);
        query = query.where((eb) => eb.or([eb("created_at", "<", at), eb.and([eb("created_at", "=", at), eb("id", "<", id)])]));
      }
      const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit + 1).execute();
      const pageRows = rows.slice(0, limit);
      const last = pageRows[pageRows.length - 1];
      return {
        items: await load(pageRows.map((r) => r.id)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
      };
    },

    async variantForSale(tx, variantId) {
      const r = await tx
        .selectFrom("variants")
        .innerJoin("products", "products.id", "variants.product_id")
        .select([
          "variants.id",
          "variants.title as variant_title",
          "variants.price",
          "variants.stock",
          "variants.active",
          "products.id as product_id",
          "products.title as product_title",
          "products.merchant_id",
          "products.currency",
          "products.status",
          "products.kind",
        ])
        .where("variants.id", "=", variantId)
        .executeTakeFirst();
      if (!r) return null;
      return {
        variantId: r.id,
        variantTitle: r.variant_title,
        productId: r.product_id,
        productTitle: r.product_title,
        merchantId: r.merchant_id,
        currency: r.currency,
        price: r.price,
        stock: r.stock,
        available: r.active === 1 && r.status === "active",
        external: r.kind === "external",
      };
    },

    async takeStock(tx, variantId, quantity) {
      const res = await tx
        .updateTable("variants")
        .set((eb) => ({ stock: eb("stock", "-", quantity) }))
        .where("id", "=", variantId)
        .where("stock", ">=", quantity)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    },

    async productIdsBySku(merchantId, skus) {
      const wanted = [...new Set(skus)];
      if (!wanted.length) return new Map();
      const rows = await db
        .selectFrom("variants")
        .innerJoin("products", "products.id", "variants.product_id")
        .select(["variants.sku", "products.id as product_id"])
        .where("products.merchant_id", "=", merchantId)
        .where("variants.sku", "in", wanted)
        .orderBy("variants.active", "desc")
        .execute();
      const out = new Map<string, string>();
      for (const r of rows) if (r.sku && !out.has(r.sku)) out.set(r.sku, r.product_id);
      return out;
    },

    async returnStock(tx, variantId, quantity) {
      await tx
        .updateTable("variants")
        .set((eb) => ({ stock: eb("stock", "+", quantity) }))
        .where("id", "=", variantId)
        .execute();
    },
  };
}

function externalColumns(input: ProductInput) {
  const external = input.kind === "external";
  return { kind: external ? ("external" as const) : ("own" as const), external_url: external ? (input.externalUrl ?? null) : null, store_name: external ? (input.storeName ?? null) : null };
}

export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString("base64url");
}
export function decodeCursor(cursor: string): [number, string] {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split(":");
  const n = Number(at);
  if (!Number.isFinite(n) || !id) return [Number.MAX_SAFE_INTEGER, "~"];
  return [n, id];
}
