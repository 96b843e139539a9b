import type { CampaignAudience, MembershipStatus } from "../../shared/contracts/campaigns.ts";

export interface CampaignsTables {
  /** A brand's offer to creators: sell these products in this period for this commission. */
  campaigns: {
    id: string;
    merchant_id: string;
    name: string;
    /** the campaign's one currency: its products are priced in it and its commissions paid in it */
    currency: string;
    /** default rate, basis points (100..8000) */
    commission_bps: number;
    audience: CampaignAudience;
    starts_at: number;
    ends_at: number;
    created_by: string;
    created_at: number;
  };
  campaign_products: {
    campaign_id: string;
    product_id: string;
    /** this product's own rate; null: the campaign's */
    commission_bps: number | null;
    position: number;
  };
  /** A creator's place in a campaign: invited by the brand, then accepted or declined; or joined an open campaign. */
  campaign_creators: {
    campaign_id: string;
    creator_id: string;
    status: MembershipStatus;
    /** null when the creator joined an open campaign without an invitation */
    invited_at: number | null;
    responded_at: number | null;
  };
}
