import { useState } from "preact/hooks";
import type { CreatorPage } from "../../../../src/shared/contracts/creators.ts";
import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { Cover, LiveCard } from "../home.tsx";
import { Avatar, VerifiedBadge } from "./bits.tsx";
import { ShowActions } from "../notifications/show-actions.tsx";

function ShowRow({ show, past }: { show: ShowSummary; past?: boolean }) {
  const { m, fmt } = useI18n();
  return (
    <li class="upcoming-item">
      <Link href={`/shows/${show.id}`} class="show-row" data-testid={past ? "past-show" : "upcoming-show"}>
        <Cover show={show} />
        <span class="show-row-text">
          <strong>{show.title}</strong>
          <span>
            {past ? (
              <>
                <span class="chip chip-replay">{m.creatorPage.replay}</span> <time dateTime={show.scheduledAt}>{fmt.date(show.startedAt ?? show.scheduledAt)}</time>
              </>
            ) : (
              <time dateTime={show.scheduledAt}>{m.home.startsAt(fmt.when(show.scheduledAt))}</time>
            )}
          </span>
          <span class="muted">{show.merchantName}</span>
        </span>
      </Link>
      {!past && <ShowActions show={show} />}
    </li>
  );
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return (u.hostname.replace(/^www\./, "") + u.pathname.replace(/\/$/, "")).slice(0, 40);
  } catch {
    return url;
  }
}

function FollowButton({ page, onChange }: { page: CreatorPage; onChange(p: CreatorPage): void }) {
  const { m, errorText } = useI18n();
  const { user } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const handle = page.creator.handle;
  if (user === undefined) return null;
  if (user === null)
    return (
      <div class="follow-box">
        <Link class="btn btn-primary" href={signInHref(`/c/${encodeURIComponent(handle)}`)} data-testid="follow-sign-in">
          {m.creatorPage.signInToFollow}
        </Link>
      </div>
    );
  if (user.id === page.creator.userId)
    return (
      <div class="follow-box">
        <Link class="btn" href="/creator/profile">
          {m.creatorPage.editProfile}
        </Link>
      </div>
    );
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const s = page.following ? await api.creators.unfollow(handle) : await api.creators.follow(handle);
      onChange({ ...page, following: s.following, creator: { ...page.creator, followerCount: s.followerCount } });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="follow-box">
      <button type="button" class={`btn ${page.following ? "" : "btn-primary"}`} disabled={busy} onClick={() => void toggle()} data-testid="follow">
        {page.following ? m.creatorPage.unfollow : m.creatorPage.follow}
      </button>
      <ErrorLine text={error} small />
    </div>
  );
}

/** The operator marks a creator verified (or takes it back), on the creator's own page. */
function VerifyToggle({ page, onChange }: { page: CreatorPage; onChange(p: CreatorPage): void }) {
  const { m, errorText } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const creator = await api.creators.verify(page.creator.id, !page.creator.verified);
      onChange({ ...page, creator: { ...page.creator, verified: creator.verified } });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="follow-box">
      <button type="button" class="btn btn-small" disabled={busy} onClick={() => void toggle()} data-testid="verify-creator">
        {page.creator.verified ? m.creatorPage.unverify : m.creatorPage.verify}
      </button>
      <ErrorLine text={error} small />
    </div>
  );
}

export function CreatorPublicPage({ handle }: { handle: string }) {
  const { m, fmt } = useI18n();
  const { user } = useSession();
  const page = useAsync(() => api.creators.page(handle), [handle, user?.id]);
  const p = page.data;
  useTitle(p ? `${p.creator.displayName} (@${p.creator.handle})` : null);

  if (page.loading && !p) return <Spinner />;
  if (page.error)
    return (
      <section class="page narrow">
        {isApiError(page.error) && page.error.code === "not_found" ? (
          <>
            <h1>{m.creatorPage.notFound}</h1>
            <p>{m.creatorPage.notFoundBody(handle)}</p>
            <Link class="btn" href="/">
              {m.app.goHome}
            </Link>
          </>
        ) : (
          <ErrorBox error={page.error} onRetry={page.reload} />
        )}
      </section>
    );
  if (!p) return null;
  const c = p.creator;
  return (
    <div class="page creator-public">
      <section class="card creator-head" aria-labelledby="creator-name">
        <Avatar url={c.avatarUrl} name={c.displayName} size="lg" />
        <div class="creator-id">
          <h1 id="creator-name">
            <span data-testid="creator-display-name">{c.displayName}</span>
            {c.verified && <VerifiedBadge />}
          </h1>
          <p class="muted">
            @{c.handle} · <span data-testid="follower-count">{m.creatorPage.followers(c.followerCount)}</span>
          </p>
        </div>
        <FollowButton page={p} onChange={page.setData} />
        {user?.role === "admin" && <VerifyToggle page={p} onChange={page.setData} />}
        {c.bio && <p class="creator-bio">{c.bio}</p>}
        {(c.categories.length > 0 || c.links.length > 0) && (
          <div class="creator-meta">
            {c.categories.length > 0 && (
              <ul class="plain tag-list" aria-label={m.creator.categories}>
                {c.categories.map((cat) => (
                  <li key={cat} class="chip">
                    {m.category[cat]}
                  </li>
                ))}
              </ul>
            )}
            {c.links.length > 0 && (
              <ul class="plain link-list" aria-label={m.creator.links}>
                {c.links.map((l) => (
                  <li key={l}>
                    <a href={l} target="_blank" rel="noopener noreferrer nofollow ugc">
                      {hostOf(l)}
                    </a>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </section>

      <section aria-labelledby="c-live">
        <h2 id="c-live" class="section-title">
          {p.live.length > 0 && <span class="dot-live" aria-hidden="true" />} {m.home.liveNow}
        </h2>
        {p.live.length === 0 ? (
          <p class="empty">{m.creatorPage.noLive}</p>
        ) : (
          <ul class="live-grid">
            {p.live.map((s) => (
              <LiveCard key={s.id} show={s} subtitle={s.merchantName} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="c-upcoming">
        <h2 id="c-upcoming" class="section-title">
          {m.creatorPage.upcoming}
        </h2>
        {p.upcoming.length === 0 ? (
          <p class="empty">{m.creatorPage.noUpcoming}</p>
        ) : (
          <ul class="upcoming-list">
            {p.upcoming.map((s) => (
              <ShowRow key={s.id} show={s} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="c-past">
        <h2 id="c-past" class="section-title">
          {m.creatorPage.past}
        </h2>
        {p.past.length === 0 ? (
          <p class="empty">{m.creatorPage.noPast}</p>
        ) : (
          <ul class="upcoming-list">
            {p.past.map((s) => (
              <ShowRow key={s.id} show={s} past />
            ))}
          </ul>
        )}
      </section>
      <p class="muted small">{m.creatorPage.since(fmt.date(c.createdAt))}</p>
    </div>
  );
}
