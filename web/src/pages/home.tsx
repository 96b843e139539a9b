import type { ShowSummary } from "../../../src/shared/contracts/shows.ts";
import { api } from "../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync, useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link } from "../router.tsx";
import { ShowActions } from "./notifications/show-actions.tsx";

export function Cover({ show }: { show: ShowSummary }) {
  return show.coverUrl ? <img src={show.coverUrl} alt="" loading="lazy" /> : <div class="cover-fallback" aria-hidden="true" />;
}

/** A live show's card; `subtitle` under the title (default: who hosts it). */
export function LiveCard({ show, subtitle }: { show: ShowSummary; subtitle?: string }) {
  const { m, fmt } = useI18n();
  return (
    <li>
      <Link href={`/shows/${show.id}`} class="show-card show-card-live">
        <Cover show={show} />
        <span class="badge badge-live">{m.player.live}</span>
        <span class="badge badge-viewers" aria-label={m.home.watching(show.viewerCount)}>
          <EyeIcon /> {fmt.compact(show.viewerCount)}
        </span>
        <span class="show-card-text">
          <strong>{show.title}</strong>
          <span>{subtitle ?? m.home.withHost(show.hostName)}</span>
        </span>
      </Link>
    </li>
  );
}

function UpcomingRow({ show }: { show: ShowSummary }) {
  const { m, fmt } = useI18n();
  return (
    <li class="upcoming-item" data-testid="home-upcoming">
      <Link href={`/shows/${show.id}`} class="show-row">
        <Cover show={show} />
        <span class="show-row-text">
          <strong>{show.title}</strong>
          <span>
            <time dateTime={show.scheduledAt}>{m.home.startsAt(fmt.when(show.scheduledAt))}</time>
          </span>
          <span class="muted">
            {m.home.withHost(show.hostName)} · {show.merchantName}
          </span>
        </span>
      </Link>
      <ShowActions show={show} />
    </li>
  );
}

export function EyeIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="currentColor">
      <path d="M12 5C6.5 5 2.7 9.1 1.5 12c1.2 2.9 5 7 10.5 7s9.3-4.1 10.5-7C21.3 9.1 17.5 5 12 5zm0 11.5a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9zm0-2.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4z" />
    </svg>
  );
}

export function HomePage() {
  const { m } = useI18n();
  useTitle(null);
  const live = useAsync(() => api.shows.list("live"), []);
  const upcoming = useAsync(() => api.shows.list("scheduled"), []);
  const liveItems = [...(live.data?.items ?? [])].sort((a, b) => b.viewerCount - a.viewerCount);
  const upcomingItems = [...(upcoming.data?.items ?? [])].sort((a, b) => a.scheduledAt.localeCompare(b.scheduledAt));
  return (
    <div class="page home">
      <h1 class="visually-hidden">{m.home.title}</h1>
      <section aria-labelledby="live-now">
        <h2 id="live-now" class="section-title">
          <span class="dot-live" aria-hidden="true" /> {m.home.liveNow}
        </h2>
        {live.loading && !live.data ? (
          <Spinner />
        ) : live.error ? (
          <ErrorBox error={live.error} onRetry={live.reload} />
        ) : liveItems.length === 0 ? (
          <p class="empty">{m.home.noLive}</p>
        ) : (
          <ul class="live-grid">
            {liveItems.map((s) => (
              <LiveCard key={s.id} show={s} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming" class="section-title">
          {m.home.upcoming}
        </h2>
        {upcoming.loading && !upcoming.data ? (
          <Spinner />
        ) : upcoming.error ? (
          <ErrorBox error={upcoming.error} onRetry={upcoming.reload} />
        ) : upcomingItems.length === 0 ? (
          <p class="empty">{m.home.noUpcoming}</p>
        ) : (
          <ul class="upcoming-list">
            {upcomingItems.map((s) => (
              <UpcomingRow key={s.id} show={s} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
