import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { canHost, signInHref, useSession } from "../../session.tsx";

const order = { live: 0, scheduled: 1, ended: 2 } as const;

export function StatusBadge({ status }: { status: ShowSummary["status"] }) {
  const { m } = useI18n();
  return <span class={`badge badge-status badge-${status}`}>{m.showStatus[status]}</span>;
}

export function StudioListPage() {
  const { m, fmt } = useI18n();
  const { user } = useSession();
  useTitle(m.studio.myShows);
  const shows = useAsync(() => (canHost(user) ? api.host.shows() : Promise.resolve({ items: [] })), [user?.id]);
  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.studio.myShows}</h1>
        <Link class="btn btn-primary" href={signInHref("/studio")}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  const items = [...(shows.data?.items ?? [])].sort((a, b) => order[a.status] - order[b.status] || (a.status === "ended" ? b.scheduledAt.localeCompare(a.scheduledAt) : a.scheduledAt.localeCompare(b.scheduledAt)));
  return (
    <section class="page">
      <h1>{m.studio.myShows}</h1>
      <p>
        <Link class="btn btn-small" href="/studio/videos" data-testid="studio-upload-link">
          {m.shortVideos.uploadLink}
        </Link>
      </p>
      {shows.loading && !shows.data ? (
        <Spinner />
      ) : shows.error ? (
        <ErrorBox error={shows.error} onRetry={shows.reload} />
      ) : items.length === 0 ? (
        <p class="empty">{m.studio.noShows}</p>
      ) : (
        <ul class="card-list">
          {items.map((s) => (
            <li key={s.id} class="card show-item">
              {s.coverUrl ? <img src={s.coverUrl} alt="" class="thumb" /> : <span class="thumb" aria-hidden="true" />}
              <div class="grow">
                <h2 class="card-title">{s.title}</h2>
                <p class="muted">
                  <StatusBadge status={s.status} /> <time dateTime={s.scheduledAt}>{fmt.dateTime(s.scheduledAt)}</time> · {s.merchantName}
                </p>
                <div class="actions">
                  <Link class="btn btn-small btn-primary" href={`/studio/${s.id}`}>
                    {m.studio.open}
                  </Link>
                  <Link class="btn btn-small btn-ghost" href={`/shows/${s.id}`}>
                    {m.studio.viewerPage}
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
