import { useEffect, useState } from "preact/hooks";

/**
 * The server's clock as seen from this device, so that every viewer's countdown shows the same
 * instant whatever their own clock says.
 *
 * Each answer that carries the server's time gives one sample: offset = serverTime − Date.now() at
 * receipt. The message was in flight (and maybe waited for the room's next tick) before we read it,
 * so a sample can only be *below* the true offset: the highest recent sample is the best estimate.
 * Samples age out, so a device clock that jumps is followed within a minute.
 */
const WINDOW_MS = 60_000;
const MAX_SAMPLES = 16;

class ServerClock {
  private samples: { offset: number; at: number }[] = [];
  private current: number | null = null;
  private listeners = new Set<() => void>();

  /** Records one server timestamp (ISO string) received at `receivedAt` (this device's ms). */
  observe(serverTime: string, receivedAt = Date.now()): void {
    const server = Date.parse(serverTime);
    if (!Number.isFinite(server)) return;
    this.samples.push({ offset: server - receivedAt, at: receivedAt });
    // Keep the recent ones, but never drop the newest.
    this.samples = this.samples.filter((s, i, all) => i === all.length - 1 || receivedAt - s.at <= WINDOW_MS).slice(-MAX_SAMPLES);
    const next = Math.max(...this.samples.map((s) => s.offset));
    if (next !== this.current) {
      this.current = next;
      for (const l of this.listeners) l();
    }
  }

  /** Milliseconds to add to Date.now() to get the server's time (0 until the first sample). */
  get offset(): number {
    return this.current ?? 0;
  }

  /** The server's time now, in ms since the epoch. */
  now(): number {
    return Date.now() + this.offset;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export const serverClock = new ServerClock();

/**
 * The server's time, re-rendering every `intervalMs` while `active` (a countdown on screen), and
 * whenever the offset estimate changes.
 */
export function useServerNow(active: boolean, intervalMs = 250): number {
  const [, setTick] = useState(0);
  useEffect(() => serverClock.subscribe(() => setTick((n) => n + 1)), []);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick((n) => n + 1), intervalMs);
    return () => clearInterval(t);
  }, [active, intervalMs]);
  return serverClock.now();
}

/** "4:59", "0:07": whole seconds left, rounded up so that 0:00 means it is over. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}
