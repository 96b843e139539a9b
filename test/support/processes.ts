import fs from "node:fs";

/**
 * Live ffmpeg processes this test process started itself, except `publishers` (the test's own pushes):
 * the server's packagers when the server runs in this process. Read from /proc (Linux).
 */
export function childFfmpegPids(publishers: ReadonlySet<number>): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (comm === "ffmpeg" && Number(ppid) === process.pid && state !== "Z" && !publishers.has(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}
