import { Spinner, useTitle } from "../../components/ui.tsx";
import { useI18n } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { isMerchant, signInHref, useSession } from "../../session.tsx";
import { OrdersTab } from "./orders-tab.tsx";
import { ProductsTab } from "./products-tab.tsx";
import { ShowsTab } from "./shows-tab.tsx";
import { CampaignsTab } from "./campaigns-tab.tsx";
import { ChannelsTab } from "../channels/channels-tab.tsx";

export const merchantTabs = ["products", "shows", "orders", "campaigns", "channels"] as const;
export type MerchantTab = (typeof merchantTabs)[number];

export function MerchantPage({ tab }: { tab: MerchantTab }) {
  const { m } = useI18n();
  const { user } = useSession();
  useTitle(`${m.merchant[tab]} · ${m.merchant.title}`);
  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.merchant.title}</h1>
        <Link class="btn btn-primary" href={signInHref(`/merchant/${tab}`)}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  if (!isMerchant(user))
    return (
      <section class="page narrow">
        <h1>{m.merchant.title}</h1>
        <p>{m.merchant.forbidden}</p>
      </section>
    );
  return (
    <div class="page merchant">
      <h1>
        {m.merchant.title}
        {user.merchantName && <span class="muted"> · {user.merchantName}</span>}
      </h1>
      <nav class="tabs" aria-label={m.merchant.tabs}>
        {merchantTabs.map((t) => (
          <Link key={t} href={`/merchant/${t}`} class="tab" aria-current={t === tab ? "page" : undefined} replace>
            {m.merchant[t]}
          </Link>
        ))}
      </nav>
      {tab === "products" && <ProductsTab />}
      {tab === "shows" && <ShowsTab />}
      {tab === "orders" && <OrdersTab />}
      {tab === "campaigns" && <CampaignsTab />}
      {tab === "channels" && <ChannelsTab />}
    </div>
  );
}
