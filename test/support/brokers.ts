import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { freePort } from "./harness.ts";

/**
 * A broker server of the test's own on a free port (never the machine's shared Redis/NATS), which the
 * test may kill -9 and start again on the same port to see the nodes recover.
 */
export interface PrivateBroker {
  url: string;
  kind: "redis" | "nats";
  /** SIGKILL, and wait until it is gone */
  kill(): Promise<void>;
  /** start again on the same port (after kill) */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const REDIS_SERVER = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].find((p) => fs.existsSync(p));
const NATS_SERVER = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].find((p) => fs.existsSync(p));

/** Why a private broker of this kind cannot run here, or null when it can. */
export function privateBrokerMissing(kind: "redis" | "nats"): string | null {
  if (kind === "redis") return REDIS_SERVER ? null : "redis-server is not installed";
  return NATS_SERVER ? null : "nats-server is not installed";
}

export async function startPrivateBroker(kind: "redis" | "nats"): Promise<PrivateBroker> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child =
      kind === "redis"
        ? spawn(REDIS_SERVER!, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" })
        : spawn(NATS_SERVER!, ["-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline) throw new Error(`private ${kind} did not start on ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const kill = () =>
    new Promise<void>((resolve) => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      c.once("exit", () => resolve());
      c.kill("SIGKILL");
    });
  await start();
  return { url: `${kind}://127.0.0.1:${port}`, kind, kill, start, stop: kill };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A broker prefix no other run uses. */
export const testPrefix = (what: string) => `t_${what}_${process.pid}_${Date.now().toString(36)}`;
