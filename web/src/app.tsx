import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { Header } from "./components/header.tsx";
import { useI18n } from "./i18n/index.tsx";
import { Link, matchPath, navigate, useLocation } from "./router.tsx";
import { HomePage } from "./pages/home.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { ViewerPage } from "./pages/show/viewer-page.tsx";
import { StudioListPage } from "./pages/studio/studio-list.tsx";
import { StudioPage } from "./pages/studio/studio-page.tsx";
import { MerchantPage, merchantTabs, type MerchantTab } from "./pages/merchant/merchant-page.tsx";
import { BuyerOrdersPage } from "./pages/orders.tsx";
import { LiveDashboardRoute, ReportsRoute } from "./pages/dashboard/routes.tsx";
import { AgencyPage } from "./pages/agency/agency-page.tsx";
import { AgencyLivePage } from "./pages/agency/agency-live-page.tsx";
import { CreatorAgencyPage } from "./pages/agency/creator-agency-card.tsx";
import { CreatorPage, creatorTabs, type CreatorTab } from "./pages/creator/creator-hub.tsx";
import { CreatorPublicPage } from "./pages/creator/public-page.tsx";
import { NotificationsPage } from "./pages/notifications/notifications-page.tsx";
import { MerchantPublicPage } from "./pages/notifications/merchant-page.tsx";
import { MySharesPage } from "./pages/my-shares.tsx";
import { ProductPage } from "./pages/product-page.tsx";
import { SearchPage } from "./pages/search/search-page.tsx";
import { ChannelPage } from "./pages/channels/channel-page.tsx";
import { UploadPage } from "./pages/studio/upload-page.tsx";
import { VideoPage } from "./pages/videos/video-page.tsx";

function Shell({ children, tone = "light" }: { children: ComponentChildren; tone?: "light" | "dark" }) {
  const { m } = useI18n();
  return (
    <div class={`shell shell-${tone}`}>
      <a class="skip-link" href="#main">
        {m.app.skipToContent}
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function NotFound() {
  const { m } = useI18n();
  return (
    <Shell>
      <section class="page narrow">
        <h1>{m.app.notFoundTitle}</h1>
        <p>{m.app.notFoundBody}</p>
        <Link class="btn" href="/">
          {m.app.goHome}
        </Link>
      </section>
    </Shell>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

export function App() {
  const { path } = useLocation();
  let p: Record<string, string> | null;

  if (path === "/") return <Shell tone="dark"><HomePage /></Shell>;
  if (path === "/sign-in") return <Shell><SignInPage mode="sign-in" /></Shell>;
  if (path === "/sign-up") return <Shell><SignInPage mode="sign-up" /></Shell>;
  // The viewer page is the whole screen: its own top bar, no site header.
  if ((p = matchPath("/shows/:id", path))) return <ViewerPage key={p.id} showId={p.id!} />;
  if ((p = matchPath("/channels/:id", path))) return <ChannelPage key={p.id} channelId={p.id!} />;
  if (path === "/studio") return <Shell><StudioListPage /></Shell>;
  if (path === "/studio/videos") return <Shell><UploadPage /></Shell>;
  if ((p = matchPath("/videos/:id", path))) return <Shell tone="dark"><VideoPage key={p.id} videoId={p.id!} /></Shell>;
  if ((p = matchPath("/studio/:id", path))) return <Shell><StudioPage key={p.id} showId={p.id!} /></Shell>;
  if (path === "/merchant") return <Redirect to="/merchant/products" />;
  if ((p = matchPath("/merchant/:tab", path)) && (merchantTabs as readonly string[]).includes(p.tab!))
    return <Shell><MerchantPage tab={p.tab as MerchantTab} /></Shell>;
  if (path === "/orders") return <Shell><BuyerOrdersPage /></Shell>;
  if ((p = matchPath("/dashboard/shows/:id", path))) return <Shell><LiveDashboardRoute key={p.id} showId={p.id!} /></Shell>;
  if (path === "/dashboard/reports") return <Shell><ReportsRoute /></Shell>;
  if (path === "/agency") return <Shell><AgencyPage /></Shell>;
  if ((p = matchPath("/agency/shows/:id", path))) return <Shell><AgencyLivePage key={p.id} showId={p.id!} /></Shell>;
  if (path === "/creator/agency") return <Shell><CreatorAgencyPage /></Shell>;
  if (path === "/creator") return <Shell><CreatorPage tab="profile" /></Shell>;
  if ((p = matchPath("/creator/:tab", path)) && (creatorTabs as readonly string[]).includes(p.tab!))
    return <Shell><CreatorPage tab={p.tab as CreatorTab} /></Shell>;
  if (path === "/search") return <Shell><SearchPage /></Shell>;
  if ((p = matchPath("/c/:handle", path))) return <Shell><CreatorPublicPage key={p.handle} handle={p.handle!} /></Shell>;
  if (path === "/notifications") return <Shell><NotificationsPage /></Shell>;
  if ((p = matchPath("/m/:id", path))) return <Shell><MerchantPublicPage key={p.id} merchantId={p.id!} /></Shell>;
  if ((p = matchPath("/products/:id", path))) return <Shell><ProductPage key={p.id} productId={p.id!} /></Shell>;
  if (path === "/me/shares") return <Shell><MySharesPage /></Shell>;
  return <NotFound />;
}
