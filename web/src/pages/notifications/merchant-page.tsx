import { useState } from "preact/hooks";
import type { MerchantPage } from "../../../../src/shared/contracts/notifications.ts";
import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, ErrorLine, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { Cover, LiveCard } from "../home.tsx";
import { ShowActions } from "./show-actions.tsx";
import "./notifications.css";
import { MerchantChannels } from "../channels/merchant-channels.tsx";

/** Follow (or stop following) a shop; `compact` for the viewer page's dark overlay. */
export function FollowMerchantButton({ merchantId, following, onChange, dark }: { merchantId: string; following: boolean; onChange(s: { following: boolean; followerCount: number }): void; dark?: boolean }) {
  const { m, errorText } = useI18n();
  const { user } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (user === undefined) return null;
  if (user === null)
    return (
      <Link class={`btn btn-small ${dark ? "" : "btn-primary"}`} href={signInHref(location.pathname)} data-testid="follow-merchant-sign-in">
        {m.notify.signInToFollow}
      </Link>
    );
  if (user.merchantId === merchantId) return null;
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      onChange(following ? await api.notify.unfollowMerchant(merchantId) : await api.notify.followMerchant(merchantId));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="follow-merchant">
      <button type="button" class={`btn btn-small ${following ? "btn-on" : "btn-primary"}`} aria-pressed={following} disabled={busy} onClick={() => void toggle()} data-testid="follow-merchant">
        {following ? m.notify.followingShop : m.notify.followShop}
      </button>
      <ErrorLine text={error} small />
    </span>
  );
}

function UpcomingShow({ show }: { show: ShowSummary }) {
  const { m, fmt } = useI18n();
  return (
    <li class="upcoming-item">
      <Link href={`/shows/${show.id}`} class="show-row">
        <Cover show={show} />
        <span class="show-row-text">
          <strong>{show.title}</strong>
          <time dateTime={show.scheduledAt}>{m.home.startsAt(fmt.when(show.scheduledAt))}</time>
          <span class="muted">{m.home.withHost(show.hostName)}</span>
        </span>
      </Link>
      <ShowActions show={show} />
    </li>
  );
}

/** A shop's small public page: follow it, see its live and upcoming shows. */
export function MerchantPublicPage({ merchantId }: { merchantId: string }) {
  const { m } = useI18n();
  const { user } = useSession();
  const page = useAsync(() => api.notify.merchant(merchantId), [merchantId, user?.id]);
  const p = page.data;
  useTitle(p?.name ?? null);
  if (page.loading && !p) return <Spinner />;
  if (page.error)
    return (
      <section class="page narrow">
        {isApiError(page.error) && page.error.code === "not_found" ? (
          <>
            <h1>{m.notify.shopNotFound}</h1>
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
  const update = (s: { following: boolean; followerCount: number }): void => page.setData({ ...p, ...s } satisfies MerchantPage);
  return (
    <div class="page merchant-public">
      <section class="card merchant-head">
        <div>
          <h1 data-testid="merchant-name">{p.name}</h1>
          <p class="muted" data-testid="merchant-followers">
            {m.notify.followers(p.followerCount)}
          </p>
        </div>
        <FollowMerchantButton merchantId={p.id} following={p.following} onChange={update} />
      </section>
      {p.live.length > 0 && (
        <section aria-labelledby="m-live">
          <h2 id="m-live" class="section-title">
            <span class="dot-live" aria-hidden="true" /> {m.home.liveNow}
          </h2>
          <ul class="live-grid">
            {p.live.map((s) => (
              <LiveCard key={s.id} show={s} />
            ))}
          </ul>
        </section>
      )}
      <MerchantChannels merchantId={p.id} />
      <section aria-labelledby="m-upcoming">
        <h2 id="m-upcoming" class="section-title">
          {m.notify.shopUpcoming}
        </h2>
        {p.upcoming.length === 0 ? (
          <p class="empty">{m.notify.shopNoUpcoming}</p>
        ) : (
          <ul class="upcoming-list">
            {p.upcoming.map((s) => (
              <UpcomingShow key={s.id} show={s} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/** On the viewer page of an upcoming show: the shop (a link to its page) and a follow button. */
export function PlayerMerchant({ merchantId, merchantName }: { merchantId: string; merchantName: string }) {
  const { m } = useI18n();
  const { user } = useSession();
  const page = useAsync(() => api.notify.merchant(merchantId), [merchantId, user?.id]);
  const p = page.data;
  return (
    <div class="player-merchant">
      <Link href={`/m/${merchantId}`} data-testid="player-merchant-link">
        {m.notify.byShop(merchantName)}
      </Link>
      {p && <FollowMerchantButton merchantId={merchantId} following={p.following} onChange={(s) => page.setData({ ...p, ...s })} dark />}
    </div>
  );
}
