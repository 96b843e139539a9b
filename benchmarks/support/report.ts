import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

export function machineDescription(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Appends one dated result section to benchmarks/RESULTS.md. */
export function appendResults(title: string, body: string, machine: string) {
  const file = path.resolve(import.meta.dirname, "../RESULTS.md");
  if (!fs.existsSync(file)) fs.writeFileSync(file, "# Benchmark results\n\nNewest last. Each section says the machine it ran on; these machines are noisy, so compare rows of one run.\n");
  fs.appendFileSync(file, `\n## ${title} — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC\n\nMachine: ${machine}\n\n${body}\n`);
}
