/**
 * A server's footprint read from /proc: CPU and resident memory summed over the server's process and
 * every descendant (gateway children, cluster workers, the HLS packager), found by walking the
 * parent pid of every /proc/<pid>/stat.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  /* Linux's USER_HZ is 100 almost everywhere */
}

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, seconds */
  cpu: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces and parentheses: it ends at the last ") ".
    const close = text.lastIndexOf(") ");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const f = text.slice(close + 2).split(" ");
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, comm, ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / clockTicks };
  } catch {
    return null; // gone meanwhile
  }
}

/** The root and all its live descendants, with their stat. */
export function processTree(root: number): Stat[] {
  const byParent = new Map<number, Stat[]>();
  let rootStat: Stat | null = null;
  for (const name of fs.readdirSync("/proc")) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    if (s.pid === root) rootStat = s;
    const list = byParent.get(s.ppid);
    if (list) list.push(s);
    else byParent.set(s.ppid, [s]);
  }
  if (!rootStat) return [];
  const out: Stat[] = [rootStat];
  for (let i = 0; i < out.length; i++) for (const child of byParent.get(out[i]!.pid) ?? []) out.push(child);
  return out;
}

export interface CpuSample {
  at: number;
  byPid: Map<number, Stat>;
}

export function sampleCpu(root: number): CpuSample {
  return { at: Date.now(), byPid: new Map(processTree(root).map((s) => [s.pid, s])) };
}

/**
 * CPU seconds the tree used between two samples: for each process alive at the end, its CPU minus what
 * it had at the start (all of it if it started in between). A process that exited in between is lost.
 */
export function cpuBetween(a: CpuSample, b: CpuSample): { total: number; byCommand: Map<string, { processes: number; seconds: number }>; byProcess: string } {
  let total = 0;
  const perProcess: string[] = [];
  const byCommand = new Map<string, { processes: number; seconds: number }>();
  for (const [pid, s] of b.byPid) {
    const before = a.byPid.get(pid);
    const used = before && before.comm === s.comm ? s.cpu - before.cpu : s.cpu;
    total += used;
    perProcess.push(`${s.comm}[${pid}] ${used.toFixed(2)}`);
    const e = byCommand.get(s.comm) ?? { processes: 0, seconds: 0 };
    e.processes++;
    e.seconds += used;
    byCommand.set(s.comm, e);
  }
  return { total, byCommand, byProcess: perProcess.join(", ") };
}

/** VmRSS of each process of the tree, bytes. */
export function treeRss(root: number): Map<number, { comm: string; rss: number }> {
  const out = new Map<number, { comm: string; rss: number }>();
  for (const s of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${s.pid}/status`, "utf8"));
      if (m) out.set(s.pid, { comm: s.comm, rss: Number(m[1]) * 1024 });
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Sum of VmRSS over the tree, bytes. */
export function treeRssBytes(root: number): number {
  let sum = 0;
  for (const { rss } of treeRss(root).values()) sum += rss;
  return sum;
}

/** Per process of the tree: RSS growth from `before` to `after`, divided by `per` (KiB each). */
export function rssGrowth(before: Map<number, { comm: string; rss: number }>, after: Map<number, { comm: string; rss: number }>, per: number): string {
  return [...after]
    .map(([pid, a]) => `${a.comm}[${pid}] ${(((a.rss - (before.get(pid)?.rss ?? 0)) / Math.max(1, per)) / 1024).toFixed(1)}`)
    .join(", ");
}
