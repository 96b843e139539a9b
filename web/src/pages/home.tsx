import type { ShowSummary } from "../../../src/shared/contracts/shows.ts";
import { useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link } from "../router.tsx";
import { Feed } from "./feed/feed.tsx";

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

export function EyeIcon() {
  return (
    <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="currentColor">
      <path d="M12 5C6.5 5 2.7 9.1 1.5 12c1.2 2.9 5 7 10.5 7s9.3-4.1 10.5-7C21.3 9.1 17.5 5 12 5zm0 11.5a4.5 4.5 0 1 1 0-9 4.5 4.5 0 0 1 0 9zm0-2.5a2 2 0 1 0 0-4 2 2 0 0 0 0 4z" />
    </svg>
  );
}

/** The home page: the feed (live, upcoming, replays, short videos; followed accounts first). */
export function HomePage() {
  const { m } = useI18n();
  useTitle(null);
  return (
    <div class="home-feed">
      <h1 class="visually-hidden">{m.home.title}</h1>
      <Feed />
    </div>
  );
}
