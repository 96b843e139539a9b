import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import { ApiClient } from "./client.ts";
import { freePort } from "./harness.ts";
import { spawnServer } from "./child-server.ts";

/**
 * What the multi-node tests share: Vetrina server processes on one PostgreSQL schema and one broker,
 * their output kept to print when a scenario fails, and the children and directories to clean up.
 */
export function clusterKit(opts: { pgUrl: string; schema: string; label: string }) {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  const outputs: [string, () => string][] = [];
  return {
    children,
    dirs,
    /** A server process; `dataDir` shares one data directory between nodes (as on one machine). */
    async node(broker: { url: string; prefix: string }, env: Record<string, string> = {}, dataDir?: string) {
      const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `vetrina-${opts.label}-`));
      if (!dataDir) dirs.push(dir);
      const port = String(await freePort());
      const rtmpPort = String(await freePort());
      const s = await spawnServer({
        PORT: port,
        RTMP_PORT: rtmpPort,
        DATA_DIR: dir,
        DEMO_DATA: "true",
        DATABASE_URL: opts.pgUrl,
        DATABASE_SCHEMA: opts.schema,
        BROKER_URL: broker.url,
        BROKER_PREFIX: broker.prefix,
        ...env,
      });
      children.push(s.child);
      outputs.push([`node on ${port}`, s.output]);
      return { ...s, rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live` };
    },
    async signedIn(baseUrl: string, email: string, password = "vetrina-demo") {
      const c = new ApiClient(baseUrl);
      await c.auth.signIn(email, password);
      return c;
    },
    /** Runs the scenario; when it fails, prints the end of every node's output first. */
    async run(scenario: () => Promise<void>) {
      try {
        await scenario();
      } catch (err) {
        for (const [name, out] of outputs) console.error(`--- ${name} ---\n${out().slice(-4000)}`);
        throw err;
      }
    },
  };
}
