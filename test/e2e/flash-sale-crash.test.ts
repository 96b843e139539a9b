import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { ApiClient } from "../support/client.ts";
import { freePort } from "../support/harness.ts";
import { spawnServer, killHard } from "../support/child-server.ts";
import { flashApi } from "../support/flash.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import type { FlashAttemptResult } from "../../src/shared/contracts/flash-sales.ts";

const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) await killHard(c);
});

test("kill -9 mid-sale: every acknowledged purchase survives the restart, no unit is sold twice", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-crash-"));
  const env = { PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DATA_DIR: dataDir, DEMO_DATA: "true", FLASH_HOLD_SECONDS: "300" };
  const first = await spawnServer(env);
  children.push(first.child);

  // Go live for real, then launch a sale of 120 units, at most 6 per buyer.
  const host = new ApiClient(first.baseUrl);
  await host.auth.signIn("host@vetrina.test", "vetrina-demo");
  const show = (await host.shows.mine()).body.items[0]!;
  const key = (await host.shows.studio(show.id)).body.streamKey;
  const pusher = spawn(resolveFfmpeg(), testPatternArgs({ url: `rtmp://127.0.0.1:${env.RTMP_PORT}/live/${key}`, seconds: 60, width: 320, height: 180, fps: 15 }), { stdio: "ignore" });
  children.push(pusher);
  const deadline = Date.now() + 30_000;
  while ((await host.shows.get(show.id)).body.status !== "live") {
    assert.ok(Date.now() < deadline, "show went live");
    await new Promise((r) => setTimeout(r, 200));
  }
  const full = (await host.shows.get(show.id)).body;
  const variant = full.products.flatMap((p) => p.variants).find((v) => v.stock >= 20)!;
  const merchant = new ApiClient(first.baseUrl);
  await merchant.auth.signIn("merchant@vetrina.test", "vetrina-demo");
  await merchant.request("PUT", `/api/v1/merchant/variants/${variant.id}/stock`, { stock: 200 });
  const sale = (await flashApi(host).create(show.id, { variantId: variant.id, salePrice: 500, quantity: 120, perBuyerLimit: 6, countdownSeconds: 10, durationSeconds: 300 })).body;

  const buyers = await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      const c = new ApiClient(first.baseUrl);
      await c.auth.signUp(`crash${i}@example.com`, "password-123", `Crash ${i}`);
      return c;
    }),
  );
  while (Date.parse((await flashApi(host).list(show.id)).body.items[0]!.opensAt) > Date.now()) await new Promise((r) => setTimeout(r, 200));

  // Every buyer keeps trying; the server is killed with SIGKILL while attempts are in flight.
  const acknowledged = new Map<string, FlashAttemptResult>();
  let n = 0;
  let killed = false;
  const loops = buyers.map(async (b, i) => {
    for (let j = 0; j < 10 && !killed; j++) {
      const k = `crash-${i}-${j}-${n++}`;
      try {
        const r = await flashApi(b).attempt(sale.id, k);
        if (r.status === 200) acknowledged.set(`${i}:${k}`, r.body);
      } catch {
        /* connection dropped by the kill: this attempt was never acknowledged */
      }
    }
  });
  while (acknowledged.size < 60) await new Promise((r) => setTimeout(r, 5));
  killed = true;
  await killHard(first.child);
  await Promise.all(loops);
  const wonBefore = [...acknowledged.values()].filter((r) => r.outcome === "won");
  assert.ok(wonBefore.length > 0);

  // Restart on the same data.
  const second = await spawnServer(env);
  children.push(second.child);
  const rehost = new ApiClient(second.baseUrl);
  await rehost.auth.signIn("host@vetrina.test", "vetrina-demo");
  const audit = (await flashApi(rehost).audit(sale.id)).body.items;
  const bySeq = new Map(audit.map((a) => [a.seq, a]));
  for (const r of acknowledged.values()) {
    const entry = bySeq.get(r.seq);
    assert.ok(entry, `acknowledged attempt #${r.seq} is in the audit trail`);
    assert.equal(entry.outcome, r.outcome);
    assert.equal(entry.holdId, r.holdId);
  }
  assert.deepEqual(audit.map((a) => a.seq), Array.from({ length: audit.length }, (_, i) => i + 1), "gap-free order of receipt");
  const stats = (await flashApi(rehost).stats(sale.id)).body;
  assert.equal(stats.sold + stats.held + stats.available, stats.quantity);
  assert.ok(stats.held >= wonBefore.length, "holds open at the crash are still held");

  // A retried key gets its recorded outcome; the rest of the stock sells and never oversells.
  const [someKey, someResult] = [...acknowledged.entries()].find(([, r]) => r.outcome === "won")!;
  const [idx, k] = [Number(someKey.split(":")[0]), someKey.slice(someKey.indexOf(":") + 1)];
  const again = new ApiClient(second.baseUrl);
  await again.auth.signIn(`crash${idx}@example.com`, "password-123");
  assert.deepEqual((await flashApi(again).attempt(sale.id, k)).body, someResult);
  const late = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const c = new ApiClient(second.baseUrl);
      await c.auth.signUp(`late${i}@example.com`, "password-123", `Late ${i}`);
      const outs = [];
      for (let j = 0; j < 6; j++) outs.push((await flashApi(c).attempt(sale.id, `late-${i}-${j}`)).body.outcome);
      return outs;
    }),
  );
  const final = (await flashApi(rehost).stats(sale.id)).body;
  assert.equal(final.available, 0);
  assert.equal(final.held + final.sold, 120);
  const holdsWon = (await flashApi(rehost).audit(sale.id)).body.items.filter((a) => a.outcome === "won");
  assert.equal(new Set(holdsWon.map((a) => a.holdId)).size, holdsWon.length);
  assert.equal(holdsWon.length, 120, "exactly the quantity was ever won (no hold expired in this test)");
  assert.ok(late.flat().includes("sold_out"));
  await killHard(second.child);
  fs.rmSync(dataDir, { recursive: true, force: true });
});
