/**
 * Polls `fn` until it returns something truthy and returns that; fails naming `what` after `timeoutMs`.
 * For tests and scripts that wait on a real server, browser or process (no fixed sleeps).
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
