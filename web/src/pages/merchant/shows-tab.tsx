import { useState } from "preact/hooks";
import type { ShowSummary } from "../../../../src/shared/contracts/shows.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { StatusBadge } from "../studio/studio-list.tsx";
import { ShowForm } from "./show-form.tsx";

export function ShowsTab() {
  const { m, fmt } = useI18n();
  const shows = useAsync(() => api.merchant.shows(), []);
  const [editing, setEditing] = useState<ShowSummary | "new" | null>(null);
  const [flash, setFlash] = useState<string | null>(null);

  if (editing)
    return (
      <ShowForm
        show={editing === "new" ? null : editing}
        onCancel={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          setFlash(m.shows.saved);
          shows.reload();
        }}
      />
    );

  const items = [...(shows.data?.items ?? [])].sort((a, b) => b.scheduledAt.localeCompare(a.scheduledAt));
  return (
    <section aria-label={m.merchant.shows}>
      <div class="toolbar">
        <span class="grow" />
        <button type="button" class="btn btn-primary" onClick={() => (setFlash(null), setEditing("new"))} data-testid="new-show">
          {m.shows.newShow}
        </button>
      </div>
      {flash && (
        <p class="flash" role="status">
          {flash}
        </p>
      )}
      {shows.loading && !shows.data ? (
        <Spinner />
      ) : shows.error ? (
        <ErrorBox error={shows.error} onRetry={shows.reload} />
      ) : items.length === 0 ? (
        <p class="empty">{m.shows.none}</p>
      ) : (
        <ul class="card-list" data-testid="show-list">
          {items.map((s) => (
            <li key={s.id} class="card show-item">
              {s.coverUrl ? <img src={s.coverUrl} alt="" class="thumb" /> : <span class="thumb" aria-hidden="true" />}
              <div class="grow">
                <h2 class="card-title">{s.title}</h2>
                <p class="muted">
                  <StatusBadge status={s.status} /> <time dateTime={s.scheduledAt}>{fmt.dateTime(s.scheduledAt)}</time> ·{" "}
                  {s.campaignId ? (
                    // A creator's campaign show: the creator edits and streams it, not the brand.
                    <span title={m.shows.campaignShow} data-testid="campaign-show-host">
                      {s.hostHandle ? <Link href={`/c/${encodeURIComponent(s.hostHandle)}`}>{m.shows.byCreator(s.hostHandle)}</Link> : m.shows.hostedBy(s.hostName)}
                    </span>
                  ) : (
                    m.shows.hostedBy(s.hostName)
                  )}
                </p>
                <div class="actions">
                  {!s.campaignId && (
                    <Link class="btn btn-small btn-primary" href={`/studio/${s.id}`}>
                      {m.shows.studio}
                    </Link>
                  )}
                  <Link class="btn btn-small btn-ghost" href={`/shows/${s.id}`}>
                    {m.shows.watch}
                  </Link>
                  {s.status !== "scheduled" && (
                    <Link class="btn btn-small btn-ghost" href={`/dashboard/shows/${s.id}`} data-testid="show-dashboard">
                      {m.dashboard.liveLink}
                    </Link>
                  )}
                  {s.status === "scheduled" && !s.campaignId && (
                    <button type="button" class="btn btn-small btn-ghost" onClick={() => (setFlash(null), setEditing(s))} aria-label={`${m.shows.edit}: ${s.title}`}>
                      {m.shows.edit}
                    </button>
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
