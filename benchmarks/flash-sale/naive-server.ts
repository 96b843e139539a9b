/**
 * The naive baseline: what a Node commerce backend would usually do for a flash sale. One HTTP
 * request per attempt, one database transaction per attempt:
 *   UPDATE stock SET qty = qty - 1 WHERE id = ? AND qty > 0; then INSERT the order.
 * SQLite (WAL, synchronous=NORMAL) by default; PostgreSQL when NAIVE_PG_URL is set.
 */
import Fastify from "fastify";
import SQLite from "better-sqlite3";
import pg from "pg";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";

interface Tables {
  stock: { id: string; qty: number };
  orders: { id: string; buyer: string; created_at: number };
}

const port = Number(process.env.PORT);
const quantity = Number(process.env.QUANTITY ?? 10_000);
const pgUrl = process.env.NAIVE_PG_URL;
let db: Kysely<Tables>;
if (pgUrl) {
  db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgUrl, max: 20 }) }) });
  await sql`drop table if exists naive_orders`.execute(db);
  await sql`drop table if exists naive_stock`.execute(db);
  await sql`create table naive_stock (id text primary key, qty integer not null)`.execute(db);
  await sql`create table naive_orders (id text primary key, buyer text not null, created_at bigint not null)`.execute(db);
} else {
  const file = new SQLite(process.env.NAIVE_DB!);
  file.pragma("journal_mode = WAL");
  file.pragma("synchronous = NORMAL");
  file.pragma("busy_timeout = 5000");
  file.exec("create table naive_stock (id text primary key, qty integer not null); create table naive_orders (id text primary key, buyer text not null, created_at bigint not null)");
  db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: file }) });
}
const stock = (pgUrl ? "naive_stock" : "naive_stock") as "stock";
const orders = "naive_orders" as "orders";
await db.insertInto(stock).values({ id: "sku", qty: quantity }).execute();

let n = 0;
const app = Fastify({ logger: false });
app.post<{ Body: { buyer: string; key: string } }>("/buy", async (req) => {
  const won = await db.transaction().execute(async (tx) => {
    const r = await tx.updateTable(stock).set((eb) => ({ qty: eb("qty", "-", 1) })).where("id", "=", "sku").where("qty", ">", 0).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await tx.insertInto(orders).values({ id: `o${process.pid}-${n++}`, buyer: req.body.buyer, created_at: Date.now() }).execute();
    return true;
  });
  return { outcome: won ? "won" : "sold_out" };
});
app.get("/stats", async () => {
  const s = await db.selectFrom(stock).select("qty").where("id", "=", "sku").executeTakeFirstOrThrow();
  const o = await db.selectFrom(orders).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return { available: Number(s.qty), sold: Number(o.n) };
});
await app.listen({ host: "127.0.0.1", port });
process.send?.({ ready: true });
