import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Creator } from "../../../../src/shared/contracts/creators.ts";
import { isApiError } from "../../api/client.ts";
import { api } from "../../api/endpoints.ts";
import { ErrorBox, Spinner, useAsync, useTitle } from "../../components/ui.tsx";
import { useI18n, type Messages } from "../../i18n/index.tsx";
import { Link } from "../../router.tsx";
import { signInHref, useSession } from "../../session.tsx";
import { ProfileForm } from "./profile-tab.tsx";
import { CreatorCampaignsTab } from "./campaigns-tab.tsx";
import { CreatorShowsTab } from "./shows-tab.tsx";
import { EarningsTab } from "./earnings-tab.tsx";

/**
 * The creator hub's tabs. A section with its own route and component (say `/creator/agency`) joins the
 * navigation with one more entry here, and renders itself inside `<CreatorHub current="agency">`.
 */
export interface CreatorNavItem {
  id: string;
  href: string;
  label: (m: Messages) => string;
}
export const creatorNav: CreatorNavItem[] = [
  { id: "profile", href: "/creator/profile", label: (m) => m.creator.profile },
  { id: "campaigns", href: "/creator/campaigns", label: (m) => m.creator.campaigns },
  { id: "shows", href: "/creator/shows", label: (m) => m.creator.shows },
  { id: "earnings", href: "/creator/earnings", label: (m) => m.creator.earnings },
  { id: "agency", href: "/creator/agency", label: (m) => m.creatorAgency.title },
];

/** The sections this page renders (routes `/creator/<tab>`); `/creator` is the profile. */
export const creatorTabs = ["profile", "campaigns", "shows", "earnings"] as const;
export type CreatorTab = (typeof creatorTabs)[number];

/** The signed-in user's creator profile: null when it has none yet. */
async function loadProfile(): Promise<Creator | null> {
  try {
    return await api.creators.mine();
  } catch (err) {
    if (isApiError(err) && err.code === "creator_profile_required") return null;
    throw err;
  }
}

/**
 * The hub's frame: sign-in prompt, "become a creator" for users without a profile, else the title and
 * tabs around `children`, which get the profile.
 */
export function CreatorHub({ current, children }: { current: string; children: (creator: Creator, setCreator: (c: Creator) => void) => ComponentChildren }) {
  const { m } = useI18n();
  const { user } = useSession();
  const item = creatorNav.find((t) => t.id === current);
  useTitle(item ? `${item.label(m)} · ${m.creator.title}` : m.creator.title);
  const profile = useAsync(() => (user ? loadProfile() : Promise.resolve(null)), [user?.id]);
  const [created, setCreated] = useState(false);
  useEffect(() => () => setCreated(false), [current]);
  // On a phone the tabs scroll sideways: keep the current one in view.
  const tabs = useRef<HTMLElement>(null);
  useEffect(() => tabs.current?.querySelector('[aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "nearest" }), [current, !!profile.data]);

  if (user === undefined) return <Spinner />;
  if (user === null)
    return (
      <section class="page narrow">
        <h1>{m.creator.title}</h1>
        <p>{m.creator.signIn}</p>
        <Link class="btn btn-primary" href={signInHref(current === "profile" ? "/creator" : `/creator/${current}`)}>
          {m.nav.signIn}
        </Link>
      </section>
    );
  if (profile.loading && profile.data === undefined) return <Spinner />;
  if (profile.error) return (
    <section class="page narrow">
      <ErrorBox error={profile.error} onRetry={profile.reload} />
    </section>
  );
  const creator = profile.data ?? null;
  if (!creator)
    return (
      <section class="page narrow creator-become">
        <h1 id="creator-become-title">{m.creator.becomeTitle}</h1>
        <p class="lead">{m.creator.becomeIntro}</p>
        {current !== "profile" && <p class="hint">{m.creator.needProfile}</p>}
        <ProfileForm creator={null} suggestedName={user.displayName} onSaved={(c) => (setCreated(true), profile.setData(c))} />
      </section>
    );
  return (
    <div class="page creator-hub">
      <h1>
        {m.creator.title}
        <span class="muted"> · @{creator.handle}</span>
      </h1>
      <nav class="tabs" aria-label={m.creator.tabs} ref={tabs}>
        {creatorNav.map((t) => (
          <Link key={t.id} href={t.href} class="tab" aria-current={t.id === current ? "page" : undefined} replace>
            {t.label(m)}
          </Link>
        ))}
      </nav>
      {created && (
        <p class="flash" role="status" data-testid="creator-created">
          {m.creator.created}
        </p>
      )}
      {children(creator, profile.setData)}
    </div>
  );
}

export function CreatorPage({ tab }: { tab: CreatorTab }) {
  return (
    <CreatorHub current={tab}>
      {(creator, setCreator) => (
        <>
          {tab === "profile" && <ProfileForm creator={creator} onSaved={setCreator} />}
          {tab === "campaigns" && <CreatorCampaignsTab />}
          {tab === "shows" && <CreatorShowsTab />}
          {tab === "earnings" && <EarningsTab />}
        </>
      )}
    </CreatorHub>
  );
}
