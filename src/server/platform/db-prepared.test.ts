import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { pgAdmin } from "../../../test/support/harness.ts";
import { openDatabase, type Db, type DbHandle } from "./db.ts";

/**
 * On PostgreSQL the main pool keeps parameterized statements prepared per connection (db.ts, preparing):
 * a repeated statement is parsed once; transaction control is never prepared; a table that gains a
 * column under a prepared `select *` (another node's migration) costs one failed statement, not a
 * connection that fails forever.
 */
const pgUrl = process.env.TEST_DATABASE_URL;

describe("PostgreSQL prepared statements", { skip: !pgUrl && "PostgreSQL only (TEST_DATABASE_URL)" }, () => {
  const schema = `t_prepared_${process.pid}`;
  let h: DbHandle;

  before(async () => {
    await pgAdmin(pgUrl!, `create schema ${schema}`);
    await pgAdmin(pgUrl!, `create table ${schema}.items (id integer primary key, name text not null)`);
    await pgAdmin(pgUrl!, `insert into ${schema}.items values (1, 'scarf'), (2, 'bag'), (3, 'boot')`);
    h = openDatabase({ kind: "postgres", url: pgUrl!, schema });
  });
  after(async () => {
    await h?.close();
    await pgAdmin(pgUrl!, `drop schema if exists ${schema} cascade`);
  });

  /** The statements this session holds prepared, by text. */
  const preparedOn = async (c: Db) =>
    (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(c)).rows.map((r) => r.statement);

  test("a repeated statement is prepared once on its connection and gives the same rows", async () => {
    await h.db.connection().execute(async (c) => {
      const byId = (id: number) => c.selectFrom("items" as never).select(["name" as never]).where("id" as never, "=", id as never).execute();
      assert.deepEqual(await byId(1), [{ name: "scarf" }]);
      assert.deepEqual(await byId(2), [{ name: "bag" }]);
      assert.deepEqual(await byId(99), []);
      const statements = await preparedOn(c);
      assert.equal(statements.filter((s) => s.includes(`from "items"`)).length, 1, "one prepared statement for three executions");
      assert.ok(!statements.some((s) => /^\s*(begin|commit|rollback)/i.test(s)));
    });
  });

  test("DATABASE_PREPARED_STATEMENTS=false sends every statement unnamed", async () => {
    const unprepared = openDatabase({ kind: "postgres", url: pgUrl!, schema, preparedStatements: false });
    try {
      await unprepared.db.connection().execute(async (c) => {
        for (const id of [1, 2]) await sql`select name from items where id = ${id}`.execute(c);
        assert.deepEqual(await preparedOn(c), []);
      });
    } finally {
      await unprepared.close();
    }
  });

  test("transactions still commit and roll back around prepared statements", async () => {
    await h.db.transaction().execute(async (tx) => {
      await sql`insert into items values (${4}, ${"belt"})`.execute(tx);
    });
    await assert.rejects(
      h.db.transaction().execute(async (tx) => {
        await sql`insert into items values (${5}, ${"hat"})`.execute(tx);
        await sql`insert into items values (${4}, ${"duplicate"})`.execute(tx);
      }),
      /duplicate key/,
    );
    const names = (await sql<{ name: string }>`select name from items order by id`.execute(h.db)).rows.map((r) => r.name);
    assert.deepEqual(names, ["scarf", "bag", "boot", "belt"], "the failed transaction left nothing behind");
  });

  test("a table gaining a column under a prepared select * fails that statement once, then works", async () => {
    await h.db.connection().execute(async (c) => {
      const all = () => sql<Record<string, unknown>>`select * from items where id = ${1}`.execute(c);
      assert.deepEqual((await all()).rows, [{ id: 1, name: "scarf" }]);
      await pgAdmin(pgUrl!, `alter table ${schema}.items add column colour text not null default 'red'`);
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        try {
          outcomes.push(JSON.stringify((await all()).rows));
        } catch (err) {
          outcomes.push(`error: ${(err as Error).message}`);
        }
      }
      const ok = JSON.stringify([{ id: 1, name: "scarf", colour: "red" }]);
      // PostgreSQL may also replan it quietly; either way it never keeps failing.
      assert.deepEqual(outcomes.slice(1), [ok, ok], outcomes.join("\n"));
      assert.ok(outcomes[0] === ok || outcomes[0]!.includes("cached plan must not change result type"), outcomes[0]);
    });
  });
});
