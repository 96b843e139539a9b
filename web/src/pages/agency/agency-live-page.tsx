import { useMemo } from "preact/hooks";
import { api } from "../../api/endpoints.ts";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { LiveDashboardRoute } from "../dashboard/routes.tsx";
import "./agency.css";

/**
 * A roster creator's show, followed live by its agency: the same dashboard (KPIs, charts, funnel, per
 * product) as the brand's and the creator's, fed by the agency's own endpoints, which check the roster.
 */
export function AgencyLivePage({ showId }: { showId: string }) {
  const { m } = useI18n();
  const source = useMemo(() => ({ snapshot: (signal?: AbortSignal) => api.agency.live(showId, signal), streamUrl: api.agency.liveStreamUrl(showId) }), [showId]);
  return (
    <section class="agency agency-live">
      <p class="page agency-live-back">
        <Link href="/agency">← {m.agencyLive.back}</Link>
      </p>
      <LiveDashboardRoute showId={showId} source={source} links={false} />
    </section>
  );
}
