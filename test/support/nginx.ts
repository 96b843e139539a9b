/**
 * A real nginx for tests, configured from the reference configs in deploy/nginx/ (the same files
 * docs/deployment.md documents), rendered with test values, in a temporary directory, as this user.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { until } from "./until.ts";

export const NGINX_BIN = process.env.NGINX_BIN ?? "/usr/sbin/nginx";
export const NGINX_RTMP_MODULE = process.env.NGINX_RTMP_MODULE ?? "/usr/lib/nginx/modules/ngx_rtmp_module.so";
const DEPLOY_DIR = path.resolve(import.meta.dirname, "../../deploy/nginx");

/** Why nginx tests cannot run here, or null when they can. */
export function nginxMissing(opts: { rtmp: boolean }): string | null {
  if (!isExecutable(NGINX_BIN)) return `nginx not found at ${NGINX_BIN} (apt install nginx, or set NGINX_BIN)`;
  if (opts.rtmp && !fs.existsSync(NGINX_RTMP_MODULE)) return `the nginx rtmp module is not at ${NGINX_RTMP_MODULE} (apt install libnginx-mod-rtmp, or set NGINX_RTMP_MODULE)`;
  return null;
}

/** deploy/nginx/<name> with every {{PLACEHOLDER}} replaced; a placeholder without a value is an error. */
export function renderNginxTemplate(name: "rtmp-edge.conf" | "hls-cache.conf", values: Record<string, string>): string {
  const text = fs.readFileSync(path.join(DEPLOY_DIR, name), "utf8");
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`${name}: no value for {{${key}}}`);
    return v;
  });
}

export interface TestNginx {
  dir: string;
  pid: number;
  /** nginx's error log so far (at info level: notify calls, cache lock timeouts, refused publishes) */
  errorLog(): string;
  /** Fast shutdown (the master stops its workers), SIGKILL to all of them if that hangs; removes the directory. */
  stop(): Promise<void>;
  /**
   * SIGKILL to the worker processes, which hold every connection: they are cut as if the edge machine
   * went away (the master then starts a fresh worker, and reaps the old ones).
   */
  killWorkers(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) killTree(p.pid);
});

/**
 * Starts nginx in the foreground with a main config around the given fragments: `rtmp` (top level,
 * the rtmp module loaded) and `http` (inside http {}), pid, logs, temp and cache paths in a temporary
 * directory. Resolves once every port in `ports` accepts connections.
 */
export async function startNginx(o: { rtmp?: string; http?: string; ports: number[] }): Promise<TestNginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-nginx-"));
  for (const sub of ["tmp", "cache"]) fs.mkdirSync(path.join(dir, sub));
  const main = [
    ...(o.rtmp ? [`load_module ${NGINX_RTMP_MODULE};`] : []),
    "daemon off;",
    "worker_processes 1;",
    // As root, nginx would run its workers as nobody, who cannot write this user's temporary directory.
    ...(process.getuid?.() === 0 ? ["user root;"] : []),
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    "events { worker_connections 1024; }",
    ...(o.rtmp ? [`include ${dir}/rtmp-edge.conf;`] : []),
    "http {",
    `    access_log ${dir}/access.log;`,
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `    ${t}_temp_path ${dir}/tmp/${t};`),
    ...(o.http ? [`    include ${dir}/hls-cache.conf;`] : []),
    "}",
    "",
  ].join("\n");
  if (o.rtmp) fs.writeFileSync(path.join(dir, "rtmp-edge.conf"), o.rtmp);
  if (o.http) fs.writeFileSync(path.join(dir, "hls-cache.conf"), o.http);
  fs.writeFileSync(path.join(dir, "nginx.conf"), main);

  const child = spawn(NGINX_BIN, ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const errorLog = () => {
    try {
      return fs.readFileSync(path.join(dir, "error.log"), "utf8");
    } catch {
      return "";
    }
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => killTree(child.pid), 5000);
      await exited;
      clearTimeout(timer);
    }
    killTree(child.pid); // workers, should the master have died first
    running.delete(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(
      "nginx listening",
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`nginx exited: ${stderr}\n${errorLog()}`);
        return (await Promise.all(o.ports.map(accepts))).every(Boolean);
      },
      15_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  const killWorkers = async () => {
    const workers = childrenOf(child.pid!).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("worker process");
      } catch {
        return false;
      }
    });
    if (!workers.length) throw new Error("nginx has no worker process");
    for (const pid of workers) process.kill(pid, "SIGKILL");
    await until("a new nginx worker", async () => childrenOf(child.pid!).some((pid) => !workers.includes(pid)), 10_000, 100);
  };
  return { dir, pid: child.pid!, errorLog, stop, killWorkers };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** SIGKILLs a process and its children (nginx's workers, cache manager and loader). */
function killTree(pid: number | undefined) {
  if (!pid) return;
  const children = childrenOf(pid);
  // The master first: it would respawn a worker killed before it.
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  for (const child of [...children, ...childrenOf(pid)]) {
    try {
      process.kill(child, "SIGKILL");
    } catch {}
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {}
  }
  return out;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
