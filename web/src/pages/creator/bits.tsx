import type { CampaignStatus, MembershipStatus } from "../../../../src/shared/contracts/campaigns.ts";
import { useI18n } from "../../i18n/index.tsx";
import { formatBps } from "../../lib/rates.ts";

/** Small pieces shared by the creator's and the brand's campaign screens. */

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  const { m } = useI18n();
  return <span class={`badge badge-campaign badge-campaign-${status}`}>{m.campaignStatus[status]}</span>;
}

export function MembershipBadge({ status }: { status: MembershipStatus }) {
  const { m } = useI18n();
  return <span class={`badge badge-member badge-member-${status}`}>{m.membershipStatus[status]}</span>;
}

/** A rate in basis points as a localized percentage. */
export function Rate({ bps }: { bps: number }) {
  const { locale } = useI18n();
  return <span class="rate">{formatBps(bps, locale)}</span>;
}

/** "1 Oct 2025 – 30 Sept 2026" */
export function Period({ from, to }: { from: string; to: string }) {
  const { fmt } = useI18n();
  return (
    <span class="period">
      <time dateTime={from}>{fmt.date(from)}</time> – <time dateTime={to}>{fmt.date(to)}</time>
    </span>
  );
}

export function Avatar({ url, name, size = "md" }: { url: string | null; name: string; size?: "sm" | "md" | "lg" }) {
  return url ? (
    <img src={url} alt="" class={`avatar avatar-${size}`} />
  ) : (
    <span class={`avatar avatar-${size} avatar-fallback`} aria-hidden="true">
      {(name.trim()[0] ?? "?").toUpperCase()}
    </span>
  );
}

export function VerifiedBadge() {
  const { m } = useI18n();
  return (
    <span class="verified" title={m.creatorPage.verified}>
      <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path fill="currentColor" d="M12 1.5l2.6 1.9 3.2-.1 1 3 2.6 1.9-1 3.1 1 3.1-2.6 1.9-1 3-3.2-.1L12 22.5l-2.6-1.9-3.2.1-1-3-2.6-1.9 1-3.1-1-3.1 2.6-1.9 1-3 3.2.1z" />
        <path fill="#fff" d="M10.4 15.6l-3.2-3.2 1.4-1.4 1.8 1.8 4.9-4.9 1.4 1.4z" />
      </svg>
      <span class="visually-hidden">{m.creatorPage.verified}</span>
    </span>
  );
}
