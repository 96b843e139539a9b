import { useEffect, useState } from "preact/hooks";
import { LiveAnalytics } from "../../../../src/shared/contracts/analytics.ts";
import { isApiError } from "../../api/client.ts";

/**
 * Where a live dashboard reads a show's figures: a snapshot (JSON, also used to learn why a stream
 * was refused) and a server-sent event stream of `analytics.live` events. The brand's and creator's
 * dashboard reads /api/v1/analytics/shows/:id/live[/stream]; an agency's, its own endpoints.
 */
export interface LiveSource {
  snapshot(signal: AbortSignal): Promise<LiveAnalytics>;
  streamUrl: string;
}

export type LiveConnection = "connecting" | "open" | "reconnecting";

export interface LiveState {
  live: LiveAnalytics | null;
  /** when the last figures arrived (this browser's clock) */
  receivedAt: number | null;
  connection: LiveConnection;
  /** a refusal that retrying will not fix (signed out, forbidden, no such show) */
  error: unknown;
}

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;
const FINAL = new Set([401, 403, 404]);

/**
 * Follows a show's figures live. EventSource reconnects by itself after a dropped connection; when the
 * server answers with an error instead (the stream is then closed for good), the snapshot tells why: a
 * refusal is shown, anything else is retried with a growing delay. Each update replaces the figures
 * (the charts update in place).
 */
export function useLiveAnalytics(source: LiveSource): LiveState {
  const [state, setState] = useState<LiveState>({ live: null, receivedAt: null, connection: "connecting", error: null });

  useEffect(() => {
    let es: EventSource | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const ac = new AbortController();
    setState({ live: null, receivedAt: null, connection: "connecting", error: null });

    const got = (live: LiveAnalytics) => setState({ live, receivedAt: Date.now(), connection: "open", error: null });

    const retry = () => {
      if (stopped) return;
      const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempt++);
      setState((s) => ({ ...s, connection: "reconnecting" }));
      timer = setTimeout(open, wait);
    };

    function open() {
      if (stopped) return;
      es = new EventSource(source.streamUrl, { withCredentials: true });
      es.addEventListener("analytics.live", (ev) => {
        let parsed: ReturnType<typeof LiveAnalytics.safeParse>;
        try {
          parsed = LiveAnalytics.safeParse(JSON.parse((ev as MessageEvent<string>).data));
        } catch {
          return;
        }
        if (!parsed.success) return;
        attempt = 0;
        got(parsed.data);
      });
      es.onopen = () => setState((s) => ({ ...s, connection: s.live ? "open" : s.connection }));
      es.onerror = () => {
        if (stopped || !es) return;
        // Still CONNECTING: the browser is reconnecting on its own (the connection dropped, or the server restarted).
        if (es.readyState !== EventSource.CLOSED) {
          setState((s) => ({ ...s, connection: "reconnecting" }));
          return;
        }
        es.close();
        es = null;
        source.snapshot(ac.signal).then(
          (live) => {
            got(live);
            retry();
          },
          (err) => {
            if (stopped) return;
            if (isApiError(err) && FINAL.has(err.status)) setState((s) => ({ ...s, error: err }));
            else retry();
          },
        );
      };
    }
    open();

    return () => {
      stopped = true;
      clearTimeout(timer);
      ac.abort();
      es?.close();
    };
    // A new stream URL means another show (or another source).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source.streamUrl]);

  return state;
}

/** Re-renders every `ms` (for "updated 5 s ago"). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
