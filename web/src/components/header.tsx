import type { Locale } from "../../../src/shared/contracts/accounts.ts";
import { catalogs, locales, useI18n } from "../i18n/index.tsx";
import { Link, navigate, useLocation } from "../router.tsx";
import { canHost, isMerchant, signInHref, useSession } from "../session.tsx";
import { useHasAgency } from "../pages/agency/use-agency.ts";
import { NotificationBell } from "../pages/notifications/bell.tsx";
import { SearchBox } from "../pages/search/search-box.tsx";

export function LanguageSwitch({ compact = false }: { compact?: boolean }) {
  const { locale, setLocale, m } = useI18n();
  return (
    <label class={compact ? "lang lang-compact" : "lang"}>
      <span class="visually-hidden">{m.nav.language}</span>
      <select value={locale} onChange={(e) => setLocale(e.currentTarget.value as Locale)}>
        {locales.map((l) => (
          <option key={l} value={l} lang={l}>
            {compact ? l.toUpperCase() : catalogs[l].languageName}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Header() {
  const { m } = useI18n();
  const { user, signOut } = useSession();
  const hasAgency = useHasAgency(user);
  const { path } = useLocation();
  const here = (prefix: string) => (path === prefix || path.startsWith(`${prefix}/`) ? "page" : undefined);
  return (
    <header class="site-header">
      <Link href="/" class="brand" aria-label={m.app.name}>
        <svg viewBox="0 0 64 64" width="28" height="28" aria-hidden="true">
          <rect width="64" height="64" rx="14" fill="var(--accent)" />
          <path d="M16 18h32v6H16zM20 28h24l-4 20H24z" fill="#fff" />
        </svg>
        <span>{m.app.name}</span>
      </Link>
      <nav aria-label={m.nav.main} class="site-nav">
        <Link href="/" aria-current={path === "/" ? "page" : undefined}>
          {m.nav.live}
        </Link>
        {canHost(user) && (
          <Link href="/studio" aria-current={here("/studio")}>
            {m.nav.studio}
          </Link>
        )}
        {isMerchant(user) && (
          <Link href="/merchant/products" aria-current={here("/merchant")}>
            {m.nav.merchant}
          </Link>
        )}
        {canHost(user) && (
          <Link href="/dashboard/reports" aria-current={here("/dashboard")}>
            {m.dashboard.navReports}
          </Link>
        )}
        {hasAgency && (
          <Link href="/agency" aria-current={here("/agency")}>
            {m.nav.agency}
          </Link>
        )}
        {user && (
          <Link href="/orders" aria-current={here("/orders")}>
            {m.nav.myOrders}
          </Link>
        )}
        {user && (
          <Link href="/me/shares" aria-current={here("/me/shares")}>
            {m.nav.myShares}
          </Link>
        )}
        {user && (
          <Link href="/creator" aria-current={here("/creator")}>
            {m.nav.creator}
          </Link>
        )}
      </nav>
      <div class="site-tools">
        {path !== "/search" && <SearchBox />}
        <NotificationBell />
        <LanguageSwitch compact />
        {user === null && (
          <Link class="btn btn-small" href={signInHref(path === "/sign-in" ? "/" : location.pathname + location.search)}>
            {m.nav.signIn}
          </Link>
        )}
        {user && (
          <button
            type="button"
            class="btn btn-small btn-ghost"
            title={m.nav.signedInAs(user.displayName)}
            onClick={async () => {
              await signOut();
              navigate("/");
            }}
          >
            {m.nav.signOut}
          </button>
        )}
      </div>
    </header>
  );
}
