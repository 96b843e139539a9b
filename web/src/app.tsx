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
  if (path === "/studio") return <Shell><StudioListPage /></Shell>;
  if ((p = matchPath("/studio/:id", path))) return <Shell><StudioPage key={p.id} showId={p.id!} /></Shell>;
  if (path === "/merchant") return <Redirect to="/merchant/products" />;
  if ((p = matchPath("/merchant/:tab", path)) && (merchantTabs as readonly string[]).includes(p.tab!))
    return <Shell><MerchantPage tab={p.tab as MerchantTab} /></Shell>;
  if (path === "/orders") return <Shell><BuyerOrdersPage /></Shell>;
  return <NotFound />;
}
