import { useEffect, useState } from "preact/hooks";
import { ErrorBox, Spinner } from "../../components/ui.tsx";
import type { LiveSource } from "./use-live.ts";

/**
 * The dashboards' routes. Their code (and Chart.js with it) is a separate chunk, fetched the first
 * time a dashboard opens: viewers on a phone never download it.
 */
type Pages = typeof import("./pages.ts");
let pages: Promise<Pages> | null = null;

function usePages(): { mod: Pages | null; error: unknown; retry(): void } {
  const [mod, setMod] = useState<Pages | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    (pages ??= import("./pages.ts")).then(
      (m) => live && setMod(m),
      (err) => {
        pages = null;
        if (live) setError(err);
      },
    );
    return () => void (live = false);
  }, [attempt]);
  return { mod, error, retry: () => (setError(null), setAttempt((n) => n + 1)) };
}

/**
 * `/dashboard/shows/:id`. An agency passes its own `source` (its live endpoints) and `links={false}`
 * (the studio and the brand's report are not its to open).
 */
export function LiveDashboardRoute({ showId, source, links }: { showId: string; source?: LiveSource; links?: boolean }) {
  const { mod, error, retry } = usePages();
  if (error) return <ErrorBox error={error} onRetry={retry} />;
  return mod ? <mod.LiveDashboard showId={showId} source={source} links={links} /> : <Spinner />;
}

/** `/dashboard/reports` */
export function ReportsRoute() {
  const { mod, error, retry } = usePages();
  if (error) return <ErrorBox error={error} onRetry={retry} />;
  return mod ? <mod.ReportsPage /> : <Spinner />;
}
