import { useState } from "preact/hooks";
import type { CreatorAgencyView } from "../../../../src/shared/contracts/agencies.ts";
import { api } from "../../api/endpoints.ts";
import { isApiError } from "../../api/client.ts";
import { ErrorBox, ErrorLine, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { formatBps } from "./percent.ts";
import { CreatorHub } from "../creator/creator-hub.tsx";
import "./agency.css";

/**
 * The creator's side of agencies: its current agency (leave it) and the invitations waiting for an
 * answer (accept, decline). A card, so the creator pages can show it wherever they like.
 */
export function CreatorAgencyCard() {
  const { m, fmt, locale, errorText } = useI18n();
  const view = useAsync(
    () =>
      api.agency.creatorView().catch((err) => {
        if (isApiError(err) && err.code === "creator_profile_required") return null;
        throw err;
      }),
    [],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<CreatorAgencyView>) => {
    setBusy(true);
    setError(null);
    try {
      view.setData(await fn());
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (view.loading && view.data === undefined) return <Spinner />;
  if (view.error) return <ErrorBox error={view.error} onRetry={view.reload} />;
  const v = view.data;
  return (
    <section class="card creator-agency" aria-labelledby="creator-agency-title" data-testid="creator-agency">
      <h2 id="creator-agency-title" class="card-title">
        {m.creatorAgency.current}
      </h2>
      {v === null ? (
        <p>
          {m.creatorAgency.needProfile} <Link href="/creator">{m.creatorAgency.profileLink}</Link>
        </p>
      ) : (
        <>
          {v!.membership ? (
            <div class="creator-agency-current">
              <div class="grow">
                <strong>{v!.membership.agency.name}</strong> <span class="muted">@{v!.membership.agency.handle}</span>
                <span class="block">{m.creatorAgency.takes(formatBps(v!.membership.shareBps, locale))}</span>
                <span class="muted small block">{m.creatorAgency.joined(fmt.date(v!.membership.joinedAt))}</span>
              </div>
              <button
                type="button"
                class="btn btn-small btn-danger-ghost"
                disabled={busy}
                onClick={() => window.confirm(m.creatorAgency.confirmLeave(v!.membership!.agency.name)) && act(() => api.agency.leave())}
              >
                {m.creatorAgency.leave}
              </button>
            </div>
          ) : (
            <p class="muted">{m.creatorAgency.none}</p>
          )}
          <h3 class="creator-agency-sub">{m.creatorAgency.invitations}</h3>
          {v!.invitations.length === 0 ? (
            <p class="empty">{m.creatorAgency.noInvitations}</p>
          ) : (
            <ul class="plain agency-pending">
              {v!.invitations.map((i) => (
                <li key={i.id} data-testid="agency-invitation">
                  <div class="grow">
                    <strong>{i.agency.name}</strong> <span class="muted">@{i.agency.handle}</span>
                    <span class="block small">{m.creatorAgency.offer(formatBps(i.shareBps, locale))}</span>
                  </div>
                  <div class="agency-invitation-actions">
                    <button type="button" class="btn btn-small btn-primary" disabled={busy || !!v!.membership} title={v!.membership ? m.creatorAgency.leaveFirst : undefined} onClick={() => act(() => api.agency.accept(i.id))}>
                      {m.creatorAgency.accept}
                    </button>
                    <button type="button" class="btn btn-small btn-ghost" disabled={busy} onClick={() => act(() => api.agency.decline(i.id))}>
                      {m.creatorAgency.decline}
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          )}
          {v!.membership && v!.invitations.length > 0 && <p class="hint small">{m.creatorAgency.leaveFirst}</p>}
        </>
      )}
      <ErrorLine text={error} />
    </section>
  );
}

/** `/creator/agency`: the card on a page of its own. */
/** `/creator/agency`: a tab of the creator hub (sign-in and "become a creator" come with the hub). */
export function CreatorAgencyPage() {
  const { m } = useI18n();
  return (
    <CreatorHub current="agency">
      {() => (
        <section class="narrow">
          <p class="muted">{m.creatorAgency.intro}</p>
          <CreatorAgencyCard />
        </section>
      )}
    </CreatorHub>
  );
}
