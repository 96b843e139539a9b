import type { AgencyInvitationStatus, AgencyStaffRole } from "../../shared/contracts/agencies.ts";

/**
 * The agencies domain's tables. (A type rather than an interface: `db.withTables<AgenciesTables>()`
 * wants an indexable record.)
 */
export type AgenciesTables = {
  /** An MCN: it manages a roster of creators and takes a share of their commission. */
  agencies: {
    id: string;
    name: string;
    /** as typed, for display */
    handle: string;
    /** lower-cased handle: unique */
    handle_key: string;
    created_by: string;
    created_at: number;
  };
  /** Who acts for an agency: its owner and the staff the owner added. A user staffs at most one agency. */
  agency_staff: {
    agency_id: string;
    user_id: string;
    role: AgencyStaffRole;
    added_at: number;
  };
  /** An agency asks a creator to join its roster at a share; the creator accepts or declines. */
  agency_invitations: {
    id: string;
    agency_id: string;
    creator_id: string;
    share_bps: number;
    status: AgencyInvitationStatus;
    invited_by: string;
    invited_at: number;
    responded_at: number | null;
  };
  /**
   * A creator's stints in agencies: [joined_at, left_at). At most one open stint per creator (a
   * partial unique index), so a creator belongs to at most one agency at a time. Never deleted.
   */
  agency_memberships: {
    id: string;
    agency_id: string;
    creator_id: string;
    invitation_id: string | null;
    joined_at: number;
    /** null: still on the roster */
    left_at: number | null;
    left_reason: "left" | "removed" | null;
  };
  /**
   * The share in force during a stint, [valid_from, valid_to): a change closes the row in force and
   * opens a new one, so the share at any past instant (a sale's time) can still be answered.
   */
  agency_shares: {
    id: string;
    membership_id: string;
    share_bps: number;
    valid_from: number;
    /** null: in force now */
    valid_to: number | null;
    set_by: string;
  };
};
