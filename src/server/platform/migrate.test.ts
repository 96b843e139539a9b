import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../../../test/support/harness.ts";

// Several instances may share one PostgreSQL database, a schema each (the test harness does, and so can
// a deployment): each must create and use its own migration tables.
test("two instances in one PostgreSQL database, a schema each, both migrate and run", { skip: !process.env.TEST_DATABASE_URL && "PostgreSQL only (TEST_DATABASE_URL)" }, async () => {
  const first = await startServer();
  try {
    const second = await startServer();
    try {
      for (const s of [first, second]) assert.equal((await s.client().request<{ status: string }>("GET", "/healthz")).body.status, "ok");
      assert.ok((await (await second.as("merchant")).products.list()).body.items.length > 0, "the second instance has its demo data");
    } finally {
      await second.close();
    }
  } finally {
    await first.close();
  }
});
