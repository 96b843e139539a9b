import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../../test/support/harness.ts";

/**
 * A wrong or unreachable DATABASE_URL or BROKER_URL stops the start with a message naming the setting
 * (exit 78, as for any bad setting), never a hang. No service is needed: a refused port, and a server
 * that accepts connections and never answers (the worst case: only a timeout can tell).
 */
const root = path.resolve(import.meta.dirname, "../../..");
const silent: net.Server[] = [];
after(() => silent.forEach((s) => s.close()));

/** A TCP server that accepts and says nothing. */
async function silentServer(): Promise<number> {
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => void sockets.push(s));
  srv.on("close", () => sockets.forEach((s) => s.destroy()));
  silent.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return (srv.address() as net.AddressInfo).port;
}

/** Runs the server with `env`; resolves with its exit code and output, or null if it was still running after 30 s. */
async function start(env: Record<string, string>): Promise<{ code: number | null; out: string } | null> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-startfail-"));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "src/server/main.ts")], {
    cwd: root,
    env: { ...process.env, NODE_ENV: "test", HOST: "127.0.0.1", LOG_LEVEL: "warn", DATA_DIR: dataDir, PORT: String(await freePort()), RTMP_PORT: String(await freePort()), DEMO_DATA: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const result = await new Promise<{ code: number | null; out: string } | null>((resolve) => {
    const hang = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(null);
    }, 30_000);
    child.once("exit", (code) => {
      clearTimeout(hang);
      resolve({ code, out });
    });
  });
  fs.rmSync(dataDir, { recursive: true, force: true });
  return result;
}

describe("start-up with an unusable database or broker", () => {
  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    ["DATABASE_URL refused", async () => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/test` }), /^DATABASE_URL: /m],
    ["DATABASE_URL that never answers", async () => ({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await silentServer()}/test` }), /^DATABASE_URL: /m],
    ["BROKER_URL with a wrong scheme", async () => ({ BROKER_URL: "amqp://127.0.0.1:5672" }), /BROKER_URL: /],
    ["BROKER_URL refused (Redis)", async () => ({ BROKER_URL: `redis://127.0.0.1:${await freePort()}` }), /^BROKER_URL: .*Redis/m],
    ["BROKER_URL that never answers (Redis)", async () => ({ BROKER_URL: `redis://127.0.0.1:${await silentServer()}` }), /^BROKER_URL: .*Redis/m],
    ["BROKER_URL refused (NATS)", async () => ({ BROKER_URL: `nats://127.0.0.1:${await freePort()}` }), /^BROKER_URL: .*NATS/m],
    ["BROKER_URL that never answers (NATS)", async () => ({ BROKER_URL: `nats://127.0.0.1:${await silentServer()}` }), /^BROKER_URL: .*NATS/m],
  ];
  for (const [name, env, message] of cases) {
    test(`${name}: the start stops by itself, naming the setting`, async () => {
      const r = await start(await env());
      assert.ok(r, "the server stopped by itself (it did not hang)");
      assert.equal(r.code, 78, r.out);
      assert.match(r.out, message);
    });
  }
});
