import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { StatusBadge } from "../studio/studio-list.tsx";

const order = { live: 0, scheduled: 1, ended: 2 } as const;

/** The shows the creator hosts: its campaign shows (and any a merchant gave it), with the studio and the viewer page. */
export function CreatorShowsTab() {
  const { m, fmt } = useI18n();
  const shows = useAsync(() => api.creator.shows(), []);
  if (shows.loading && !shows.data) return <Spinner />;
  if (shows.error) return <ErrorBox error={shows.error} onRetry={shows.reload} />;
  const items = [...(shows.data?.items ?? [])].sort(
    (a, b) => order[a.status] - order[b.status] || (a.status === "ended" ? b.scheduledAt.localeCompare(a.scheduledAt) : a.scheduledAt.localeCompare(b.scheduledAt)),
  );
  return (
    <section aria-label={m.creator.shows}>
      <div class="toolbar">
        <Link class="btn btn-ghost" href="/dashboard/reports">
          {m.dashboard.navReports}
        </Link>
        <span class="grow" />
        <Link class="btn btn-primary" href="/creator/campaigns">
          {m.creatorCampaigns.scheduleShow}
        </Link>
      </div>
      {items.length === 0 ? (
        <p class="empty">{m.creatorShows.none}</p>
      ) : (
        <ul class="card-list" data-testid="creator-show-list">
          {items.map((s) => (
            <li key={s.id} class="card show-item" data-testid="creator-show">
              {s.coverUrl ? <img src={s.coverUrl} alt="" class="thumb" /> : <span class="thumb" aria-hidden="true" />}
              <div class="grow">
                <h3 class="card-title">{s.title}</h3>
                <p class="muted">
                  <StatusBadge status={s.status} /> <time dateTime={s.scheduledAt}>{fmt.dateTime(s.scheduledAt)}</time> · {s.campaignId ? m.creatorShows.forBrand(s.merchantName) : s.merchantName}
                </p>
                <div class="actions">
                  {s.status !== "ended" && (
                    <Link class="btn btn-small btn-primary" href={`/studio/${s.id}`}>
                      {m.creatorShows.studio}
                    </Link>
                  )}
                  <Link class="btn btn-small btn-ghost" href={`/shows/${s.id}`}>
                    {s.status === "ended" ? m.creatorShows.replay : m.creatorShows.viewerPage}
                  </Link>
                  {s.status !== "scheduled" && (
                    <Link class="btn btn-small btn-ghost" href={`/dashboard/shows/${s.id}`}>
                      {m.dashboard.liveLink}
                    </Link>
                  )}
                </div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
