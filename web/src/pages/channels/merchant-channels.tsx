import { api } from "../../api/endpoints.ts";
import { useAsync } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";

/** The shop page's channels: each a link to its 24-hour stream (nothing when the shop has none on air). */
export function MerchantChannels({ merchantId }: { merchantId: string }) {
  const { m } = useI18n();
  const list = useAsync(() => api.channels.ofMerchant(merchantId), [merchantId]);
  const items = (list.data?.items ?? []).filter((c) => c.playlistUrl);
  if (!items.length) return null;
  return (
    <section aria-labelledby="m-channels" data-testid="merchant-channels">
      <h2 id="m-channels" class="section-title">
        {m.channels.listTitle}
      </h2>
      <ul class="channels-shop-list">
        {items.map((c) => (
          <li key={c.id}>
            <Link class="channels-shop-card" href={`/channels/${c.id}`} aria-label={m.channels.watch(c.name)}>
              {c.coverUrl ? <img src={c.coverUrl} alt="" /> : <span class="channels-shop-cover" aria-hidden="true">24/7</span>}
              <span class="channels-shop-text">
                <strong>{c.name}</strong>
                <span class={c.live ? "badge badge-live" : "badge channel-badge"}>{c.live ? m.channels.liveNow : `● ${m.channels.badge}`}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
