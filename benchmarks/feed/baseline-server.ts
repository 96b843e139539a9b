/**
 * The baseline the feed benchmark compares against (bench-only, never part of the product): the same
 * feed order paged with OFFSET/LIMIT, and search by `LIKE '%word%'` (ILIKE on PostgreSQL), on the same
 * database, as one Fastify process. The cursor it hands out is simply the next offset, so the load
 * generator drives both servers with the same code.
 *
 * It is a fair OFFSET implementation, not a straw man: each feed segment is its own query on the same
 * indexes Vetrina uses (live, upcoming soonest first, replays newest first) and only the segment where
 * the page starts is read with OFFSET; what an item carries (show, host, shop, three products with the
 * lowest price) is fetched as Vetrina does. It ignores follows (cheaper than Vetrina's followed-first
 * tiers) and has no live ranking snapshot. Search matches every word as a substring in title or
 * description, newest first (the primary key's order, so a common word fills a page at once and a rare
 * one reads the whole table).
 *
 * Run: tsx benchmarks/feed/baseline-server.ts, with PORT and DATABASE_URL (sqlite:… or postgres://…).
 */
import Fastify from "fastify";
import { sql } from "kysely";
import { openDatabase } from "../../src/server/platform/db.ts";

const UPCOMING_GRACE_MS = 30 * 60_000;
const UPCOMING_HORIZON_MS = 7 * 86_400_000;

const url = process.env.DATABASE_URL!;
// PostgreSQL's own defaults (parallel sequential scans help LIKE), not the app's settings for short statements.
const handle = openDatabase(url.startsWith("sqlite:") ? { kind: "sqlite", file: url.slice("sqlite:".length) } : { kind: "postgres", url }, undefined, { pgSettings: [] });
const { db } = handle;
const pg = handle.dialect === "postgres";
const like = pg ? sql`ilike` : sql`like`;

async function feedIds(offset: number, limit: number): Promise<string[]> {
  const now = Date.now();
  const out: string[] = [];
  let skip = offset;
  // live (by id: no viewer counts here), upcoming in the next week, replays newest first
  const segments = [
    () => db.selectFrom("shows").select("id").where("status", "=", "live").orderBy("id"),
    () =>
      db
        .selectFrom("shows")
        .select("id")
        .where("status", "=", "scheduled")
        .where("scheduled_at", ">=", now - UPCOMING_GRACE_MS)
        .where("scheduled_at", "<=", now + UPCOMING_HORIZON_MS)
        .orderBy("scheduled_at")
        .orderBy("id"),
    () => db.selectFrom("shows").select("id").where("status", "=", "ended").where("recording", "=", "ready").where("ended_at", "is not", null).orderBy("ended_at", "desc").orderBy("id", "desc"),
  ];
  for (const [i, seg] of segments.entries()) {
    if (out.length >= limit) break;
    if (skip > 0 && i < segments.length - 1) {
      // the classic OFFSET walk: how many rows precede this page?
      const n = Number((await seg().clearSelect().clearOrderBy().select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())?.n ?? 0);
      if (skip >= n) {
        skip -= n;
        continue;
      }
    }
    const rows = await seg().limit(limit - out.length).offset(skip).execute();
    skip = 0;
    out.push(...rows.map((r) => r.id));
  }
  return out;
}

async function hydrate(ids: string[]) {
  if (!ids.length) return [];
  const shows = await db
    .selectFrom("shows")
    .innerJoin("merchants", "merchants.id", "shows.merchant_id")
    .innerJoin("users", "users.id", "shows.host_user_id")
    .leftJoin("creators", "creators.user_id", "shows.host_user_id")
    .select(["shows.id", "shows.title", "shows.description", "shows.status", "shows.scheduled_at", "shows.ended_at", "shows.cover_url", "merchants.name as merchant_name", "users.display_name as host_name", "creators.handle as host_handle"])
    .where("shows.id", "in", ids)
    .execute();
  const products = await db
    .selectFrom("show_products")
    .innerJoin("products", "products.id", "show_products.product_id")
    .select(["show_products.show_id", "show_products.position", "products.id", "products.title", "products.images", "products.currency"])
    .select((eb) => eb.selectFrom("variants").select((v) => v.fn.min("variants.price").as("p")).whereRef("variants.product_id", "=", "products.id").as("price"))
    .where("show_products.show_id", "in", ids)
    .orderBy("show_products.show_id")
    .orderBy("show_products.position")
    .execute();
  const byShow = new Map<string, unknown[]>();
  for (const p of products) {
    const list = byShow.get(p.show_id) ?? [];
    if (list.length < 3) list.push({ id: p.id, title: p.title, imageUrl: (JSON.parse(p.images) as string[])[0] ?? null, price: p.price === null ? null : { amount: Number(p.price), currency: p.currency } });
    byShow.set(p.show_id, list);
  }
  const byId = new Map(shows.map((s) => [s.id, s]));
  return ids.flatMap((id) => {
    const s = byId.get(id);
    return s ? [{ kind: s.status, show: { ...s, scheduled_at: Number(s.scheduled_at) }, products: byShow.get(id) ?? [] }] : [];
  });
}

const words = (q: string) => (q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 12);

async function search(q: string, type: string, offset: number, limit: number) {
  const ws = words(q);
  if (!ws.length) return [];
  const matches = (cols: string[]) => sql.join(ws.map((w) => sql`(${sql.join(cols.map((c) => sql`${sql.ref(c)} ${like} ${`%${w}%`}`), sql` or `)})`), sql` and `);
  const want = offset + limit;
  const out: unknown[] = [];
  if (type === "all" || type === "products") {
    const { rows } = await sql<{ id: string; title: string; description: string; currency: string }>`select id, title, description, currency from products where status = 'active' and ${matches(["title", "description"])} order by id desc limit ${want}`.execute(db);
    out.push(...rows.map((r) => ({ kind: "product", ...r })));
  }
  if (type === "all" || type === "shows") {
    const { rows } = await sql<{ id: string; title: string; description: string }>`select id, title, description from shows where ${matches(["title", "description"])} order by id desc limit ${want}`.execute(db);
    out.push(...rows.map((r) => ({ kind: "show", ...r })));
  }
  if (type === "all" || type === "creators") {
    const { rows } = await sql<{ id: string; display_name: string; bio: string }>`select id, display_name, bio from creators where ${matches(["display_name", "bio", "handle"])} order by id desc limit ${want}`.execute(db);
    out.push(...rows.map((r) => ({ kind: "creator", ...r })));
  }
  return out.slice(offset, offset + limit);
}

const app = Fastify({ logger: false });
app.get<{ Querystring: { cursor?: string; limit?: string } }>("/api/v1/feed", async (req) => {
  const offset = Math.max(0, Number(req.query.cursor ?? 0) || 0);
  const limit = Math.min(30, Math.max(1, Number(req.query.limit ?? 10) || 10));
  const ids = await feedIds(offset, limit + 1);
  const items = await hydrate(ids.slice(0, limit));
  return { items, nextCursor: ids.length > limit ? String(offset + limit) : null };
});
app.get<{ Querystring: { q?: string; type?: string; cursor?: string; limit?: string } }>("/api/v1/search", async (req) => {
  const offset = Math.max(0, Number(req.query.cursor ?? 0) || 0);
  const limit = Math.min(50, Math.max(1, Number(req.query.limit ?? 20) || 20));
  const items = await search(req.query.q ?? "", req.query.type ?? "all", offset, limit + 1);
  return { items: items.slice(0, limit), nextCursor: items.length > limit ? String(offset + limit) : null };
});
app.get("/healthz", async () => ({ status: "ok" }));
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
const stop = () => void app.close().then(() => handle.close()).then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
