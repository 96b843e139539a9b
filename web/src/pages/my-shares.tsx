import type { MyShare } from "../../../src/shared/contracts/sharing.ts";
import { api } from "../api/endpoints.ts";
import { CopyButton, ErrorBox, Spinner, useAsync, useTitle } from "../components/ui.tsx";
import { useI18n } from "../i18n/index.tsx";
import { Link } from "../router.tsx";
import { signInHref, useSession } from "../session.tsx";

/** The links this person shared, with the visits, joins, orders and sales that came through them. */
export function MySharesPage() {
  const { m } = useI18n();
  const { user } = useSession();
  useTitle(m.share.title);
  const shares = useAsync(() => (user ? api.shares.mine() : Promise.resolve({ items: [] })), [user?.id]);

  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.share.title}</h1>
        <p>{m.share.signIn}</p>
        <Link class="btn btn-primary" href={signInHref("/me/shares")}>
          {m.nav.signIn}
        </Link>
      </section>
    );

  const items = shares.data?.items ?? [];
  return (
    <section class="page narrow">
      <h1>{m.share.title}</h1>
      <p class="muted">{m.share.intro}</p>
      {shares.error != null && <ErrorBox error={shares.error} onRetry={shares.reload} />}
      {shares.loading && !shares.data && <Spinner />}
      {shares.data && items.length === 0 && <p class="empty">{m.share.empty}</p>}
      <ul class="card-list" data-testid="my-shares">
        {items.map((s) => (
          <ShareRow key={s.token ?? s.path} share={s} />
        ))}
      </ul>
    </section>
  );
}

function ShareRow({ share: s }: { share: MyShare }) {
  const { m, fmt } = useI18n();
  const page = s.path.split("?")[0]!;
  return (
    <li class="card share-card" data-testid="share-row">
      <div class="share-card-head">
        <span class="badge">{m.share.kind[s.kind]}</span>
        {s.title ? (
          <Link href={page} class="share-card-title">
            {s.title}
          </Link>
        ) : (
          <span class="muted">{m.share.gone}</span>
        )}
        <CopyButton text={location.origin + s.path} label={s.title ?? undefined} />
      </div>
      <dl class="share-stats">
        <div>
          <dt>{m.share.visits}</dt>
          <dd data-testid="share-visits">{fmt.compact(s.visits)}</dd>
        </div>
        <div>
          <dt>{m.share.joins}</dt>
          <dd data-testid="share-joins">{fmt.compact(s.joins)}</dd>
        </div>
        <div>
          <dt>{m.share.orders}</dt>
          <dd data-testid="share-orders">{fmt.compact(s.orders)}</dd>
        </div>
        <div>
          <dt>{m.share.gmv}</dt>
          <dd data-testid="share-gmv">{s.gmv.length ? s.gmv.map((g) => fmt.money(g.amount, g.currency)).join(" · ") : "—"}</dd>
        </div>
      </dl>
      {s.ordersRefunded > 0 && <p class="muted small">{m.share.refunded(s.ordersRefunded)}</p>}
    </li>
  );
}
