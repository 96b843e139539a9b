import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { ToLoadgen } from "./loadgen.ts";

/**
 * A load generator (loadgen.ts) as a child process, asked over IPC: `ask` sends a message and resolves
 * with the generator's answer of the kind named. LOADGEN_NODE_ARGS adds Node flags (e.g. profiling).
 */
export class Loadgen {
  readonly child: ChildProcess;
  private waiters = new Map<string, { resolve: (m: unknown) => void; reject: (e: Error) => void }>();
  constructor() {
    const extra = process.env.LOADGEN_NODE_ARGS ? process.env.LOADGEN_NODE_ARGS.split(" ") : [];
    this.child = fork(path.join(import.meta.dirname, "loadgen.ts"), { execArgv: [...extra, "--import", "tsx"], stdio: "inherit" });
    this.child.on("message", (m: { kind: string }) => {
      const w = this.waiters.get(m.kind);
      this.waiters.delete(m.kind);
      w?.resolve(m);
    });
    this.child.on("exit", (code, signal) => {
      for (const w of this.waiters.values()) w.reject(new Error(`load generator exited (${code ?? signal})`));
      this.waiters.clear();
    });
  }
  ask<T>(message: ToLoadgen, answer: string): Promise<T> {
    const p = new Promise<T>((resolve, reject) => this.waiters.set(answer, { resolve: resolve as (m: unknown) => void, reject }));
    this.child.send(message);
    return p;
  }
  send(message: ToLoadgen) {
    this.child.send(message);
  }
}

/** Destination addresses: 127.0.0.10 upward, a fresh one for every block of sockets (ephemeral ports are per destination). */
export function addressAllocator(): () => string {
  let k = 0;
  return () => {
    const i = k++;
    return `127.0.${Math.floor(i / 240)}.${10 + (i % 240)}`;
  };
}
