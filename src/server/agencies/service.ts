import type { Agency, AgencyInput, AgencyInvitation, AgencyStaffRole, CreatorAgencyView, MyAgency, RosterDashboard, RosterEntry } from "../../shared/contracts/agencies.ts";
import type { Creator } from "../../shared/contracts/creators.ts";
import type { Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Creators } from "../creators/service.ts";
import type { Shows } from "../shows/service.ts";
import type { AgencyShare } from "../commissions/service.ts";
import type { AgenciesTables } from "./schema.ts";
import { rosterFigures } from "./figures.ts";

/** The agency a user acts for, and as what. */
export interface StaffSeat {
  agency: Agency;
  role: AgencyStaffRole;
}

export interface Agencies {
  /** Any signed-in user may create an agency (and becomes its owner); a user staffs at most one. */
  create(userId: string, input: AgencyInput): Promise<Result<{ agency: MyAgency }>>;
  mine(userId: string): Promise<MyAgency | null>;
  seat(userId: string): Promise<StaffSeat | null>;
  addStaff(userId: string, email: string): Promise<Result<{ agency: MyAgency }>>;
  removeStaff(userId: string, staffUserId: string): Promise<Result<{ agency: MyAgency }>>;
  /** Invites a creator (by handle) at a share; inviting again while pending updates the share. */
  invite(userId: string, handle: string, shareBps: number): Promise<Result<{ invitation: AgencyInvitation }>>;
  revokeInvitation(userId: string, invitationId: string): Promise<Result<{ invitation: AgencyInvitation }>>;
  /** A new share for a roster creator, for the sales made from now on. */
  setShare(userId: string, creatorId: string, shareBps: number): Promise<Result<{ entry: RosterEntry }>>;
  /** The agency takes a creator off its roster. */
  remove(userId: string, creatorId: string): Promise<Result<{}>>;
  /** The creator's side: its agency and the invitations waiting for it. */
  creatorView(userId: string): Promise<Result<{ view: CreatorAgencyView }>>;
  respond(userId: string, invitationId: string, answer: "accept" | "decline"): Promise<Result<{ view: CreatorAgencyView }>>;
  leave(userId: string): Promise<Result<{ view: CreatorAgencyView }>>;
  /** The agency a creator belonged to at `at` and the share then in force (the commissions' `agencyShare`). */
  shareAt(creatorId: string, at: number): Promise<AgencyShare | null>;
  /** May this user (agency staff) follow this show's live figures: is its host on the user's roster? */
  canWatchShow(userId: string, showId: string): Promise<Result<{}>>;
  roster(userId: string, q: { from: number; to: number; creatorId?: string }): Promise<Result<{ dashboard: RosterDashboard }>>;
}

export interface AgenciesDeps {
  db: Db;
  creators: Pick<Creators, "byHandle" | "byUser" | "getMany">;
  shows: Pick<Shows, "list" | "get">;
  clock?: () => number;
}

const isUniqueViolation = (err: unknown) => /unique|duplicate key/i.test(String(err));
const keyOf = (handle: string) => handle.trim().toLowerCase();
const UPCOMING = 3;

export function createAgencies(deps: AgenciesDeps): Agencies {
  const db = deps.db.withTables<AgenciesTables>();
  const { creators, shows } = deps;
  const now = deps.clock ?? Date.now;

  const toAgency = (r: AgenciesTables["agencies"]): Agency => ({ id: r.id, name: r.name, handle: r.handle, createdAt: iso(Number(r.created_at)) });

  async function agencyRow(agencyId: string) {
    return db.selectFrom("agencies").selectAll().where("id", "=", agencyId).executeTakeFirst();
  }

  async function seat(userId: string): Promise<StaffSeat | null> {
    const r = await db
      .selectFrom("agency_staff as s")
      .innerJoin("agencies as a", "a.id", "s.agency_id")
      .selectAll("a")
      .select("s.role")
      .where("s.user_id", "=", userId)
      .executeTakeFirst();
    return r ? { agency: toAgency(r), role: r.role } : null;
  }

  async function requireSeat(userId: string): Promise<Result<StaffSeat>> {
    const s = await seat(userId);
    return s ? { ok: true, ...s } : fail("not_agency_member", "Create an agency, or ask its owner to add you, first.");
  }

  async function myAgency(userId: string): Promise<MyAgency | null> {
    const s = await seat(userId);
    if (!s) return null;
    const [staff, roster] = await Promise.all([
      db
        .selectFrom("agency_staff as s")
        .innerJoin("users as u", "u.id", "s.user_id")
        .select(["s.user_id", "s.role", "s.added_at", "u.display_name", "u.email"])
        .where("s.agency_id", "=", s.agency.id)
        .orderBy("s.added_at")
        .execute(),
      db.selectFrom("agency_memberships").select((eb) => eb.fn.countAll<number>().as("n")).where("agency_id", "=", s.agency.id).where("left_at", "is", null).executeTakeFirstOrThrow(),
    ]);
    return {
      ...s.agency,
      role: s.role,
      staff: staff.map((m) => ({ userId: m.user_id, displayName: m.display_name, email: m.email, role: m.role, addedAt: iso(Number(m.added_at)) })),
      rosterSize: Number(roster.n),
    };
  }

  /** Invitations as both sides see them, in the order of `rows`. */
  async function toInvitations(rows: AgenciesTables["agency_invitations"][]): Promise<AgencyInvitation[]> {
    if (!rows.length) return [];
    const [agencies, found] = await Promise.all([
      db.selectFrom("agencies").selectAll().where("id", "in", [...new Set(rows.map((r) => r.agency_id))]).execute(),
      creators.getMany(rows.map((r) => r.creator_id)),
    ]);
    const agencyById = new Map(agencies.map((a) => [a.id, toAgency(a)]));
    const creatorById = new Map(found.map((c) => [c.id, c]));
    return rows.map((r) => ({
      id: r.id,
      agency: agencyById.get(r.agency_id)!,
      creatorId: r.creator_id,
      creatorHandle: creatorById.get(r.creator_id)?.handle ?? "",
      creatorName: creatorById.get(r.creator_id)?.displayName ?? "",
      shareBps: r.share_bps,
      status: r.status,
      invitedAt: iso(Number(r.invited_at)),
      respondedAt: isoOrNull(r.responded_at === null ? null : Number(r.responded_at)),
    }));
  }

  /** A creator's open stint (in any agency) and the share in force in it. */
  async function openStint(creatorId: string) {
    return db
      .selectFrom("agency_memberships as m")
      .innerJoin("agency_shares as s", (j) => j.onRef("s.membership_id", "=", "m.id").on("s.valid_to", "is", null))
      .select(["m.id", "m.agency_id", "m.joined_at", "s.id as share_id", "s.share_bps", "s.valid_from"])
      .where("m.creator_id", "=", creatorId)
      .where("m.left_at", "is", null)
      .executeTakeFirst();
  }

  /** The agency's current roster: open stints with their shares in force. */
  async function rosterRows(agencyId: string) {
    return db
      .selectFrom("agency_memberships as m")
      .innerJoin("agency_shares as s", (j) => j.onRef("s.membership_id", "=", "m.id").on("s.valid_to", "is", null))
      .select(["m.id", "m.creator_id", "m.joined_at", "s.share_bps", "s.valid_from"])
      .where("m.agency_id", "=", agencyId)
      .where("m.left_at", "is", null)
      .orderBy("m.joined_at")
      .execute();
  }

  /** Ends a stint: the stint and its share in force close at the same instant. */
  async function endStint(stintId: string, reason: "left" | "removed"): Promise<boolean> {
    const at = now();
    return db.transaction().execute(async (tx) => {
      const closed = await tx.updateTable("agency_memberships").set({ left_at: at, left_reason: reason }).where("id", "=", stintId).where("left_at", "is", null).executeTakeFirst();
      if (Number(closed.numUpdatedRows) !== 1) return false;
      await tx.updateTable("agency_shares").set({ valid_to: at }).where("membership_id", "=", stintId).where("valid_to", "is", null).execute();
      return true;
    });
  }

  async function view(creator: Creator): Promise<CreatorAgencyView> {
    const [stint, pending] = await Promise.all([
      openStint(creator.id),
      db.selectFrom("agency_invitations").selectAll().where("creator_id", "=", creator.id).where("status", "=", "pending").orderBy("invited_at", "desc").execute(),
    ]);
    const agency = stint ? await agencyRow(stint.agency_id) : undefined;
    return {
      membership:
        stint && agency ? { agency: toAgency(agency), shareBps: stint.share_bps, joinedAt: iso(Number(stint.joined_at)), shareSince: iso(Number(stint.valid_from)) } : null,
      invitations: await toInvitations(pending),
    };
  }

  const self: Agencies = {
    async create(userId, input) {
      if (await seat(userId)) return fail("conflict", "You already belong to an agency.");
      const taken = await db.selectFrom("agencies").select("id").where("handle_key", "=", keyOf(input.handle)).executeTakeFirst();
      if (taken) return fail("agency_handle_taken");
      const id = newId("agy");
      const at = now();
      try {
        await db.transaction().execute(async (tx) => {
          await tx.insertInto("agencies").values({ id, name: input.name, handle: input.handle, handle_key: keyOf(input.handle), created_by: userId, created_at: at }).execute();
          await tx.insertInto("agency_staff").values({ agency_id: id, user_id: userId, role: "owner", added_at: at }).execute();
        });
      } catch (err) {
        // Two requests racing: the unique indexes decide.
        if (!isUniqueViolation(err)) throw err;
        if (await seat(userId)) return fail("conflict", "You already belong to an agency.");
        return fail("agency_handle_taken");
      }
      return { ok: true, agency: (await myAgency(userId))! };
    },

    mine: myAgency,
    seat,

    async addStaff(userId, email) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      if (s.role !== "owner") return fail("forbidden", "Only the agency's owner adds staff.");
      const user = await db.selectFrom("users").select("id").where("email", "=", email.trim().toLowerCase()).executeTakeFirst();
      if (!user) return fail("not_found", "No account with this e-mail.");
      const other = await seat(user.id);
      if (other) return fail("conflict", other.agency.id === s.agency.id ? "Already on your staff." : "This person already belongs to another agency.");
      try {
        await db.insertInto("agency_staff").values({ agency_id: s.agency.id, user_id: user.id, role: "staff", added_at: now() }).execute();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return fail("conflict", "This person already belongs to an agency.");
      }
      return { ok: true, agency: (await myAgency(userId))! };
    },

    async removeStaff(userId, staffUserId) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      if (s.role !== "owner") return fail("forbidden", "Only the agency's owner removes staff.");
      const removed = await db.deleteFrom("agency_staff").where("agency_id", "=", s.agency.id).where("user_id", "=", staffUserId).where("role", "=", "staff").executeTakeFirst();
      if (Number(removed.numDeletedRows) !== 1) return fail("not_found", "No such staff member (the owner cannot be removed).");
      return { ok: true, agency: (await myAgency(userId))! };
    },

    async invite(userId, handle, shareBps) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      const creator = await creators.byHandle(handle);
      if (!creator) return fail("not_found", `No creator with the handle @${handle}.`);
      const stint = await openStint(creator.id);
      // Only one's own roster is told apart: whether a creator is in another agency is not the inviter's business.
      if (stint?.agency_id === s.agency.id) return fail("already_in_agency", `@${creator.handle} is already on your roster.`);
      const at = now();
      const pending = await db.selectFrom("agency_invitations").select("id").where("agency_id", "=", s.agency.id).where("creator_id", "=", creator.id).where("status", "=", "pending").executeTakeFirst();
      let id = pending?.id;
      if (id) {
        await db.updateTable("agency_invitations").set({ share_bps: shareBps, invited_by: userId, invited_at: at }).where("id", "=", id).execute();
      } else {
        id = newId("agi");
        try {
          await db
            .insertInto("agency_invitations")
            .values({ id, agency_id: s.agency.id, creator_id: creator.id, share_bps: shareBps, status: "pending", invited_by: userId, invited_at: at, responded_at: null })
            .execute();
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          return self.invite(userId, handle, shareBps);
        }
      }
      const row = await db.selectFrom("agency_invitations").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
      return { ok: true, invitation: (await toInvitations([row]))[0]! };
    },

    async revokeInvitation(userId, invitationId) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      const r = await db
        .updateTable("agency_invitations")
        .set({ status: "revoked", responded_at: now() })
        .where("id", "=", invitationId)
        .where("agency_id", "=", s.agency.id)
        .where("status", "=", "pending")
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return fail("agency_invitation_not_found");
      const row = await db.selectFrom("agency_invitations").selectAll().where("id", "=", invitationId).executeTakeFirstOrThrow();
      return { ok: true, invitation: (await toInvitations([row]))[0]! };
    },

    async setShare(userId, creatorId, shareBps) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      const stint = await openStint(creatorId);
      if (!stint || stint.agency_id !== s.agency.id) return fail("not_on_roster");
      if (stint.share_bps !== shareBps) {
        const at = now();
        const changed = await db.transaction().execute(async (tx) => {
          // The share in force ends now and the new one starts now: a sale belongs to exactly one of them.
          const closed = await tx.updateTable("agency_shares").set({ valid_to: at }).where("id", "=", stint.share_id).where("valid_to", "is", null).executeTakeFirst();
          if (Number(closed.numUpdatedRows) !== 1) return false;
          await tx.insertInto("agency_shares").values({ id: newId("ags"), membership_id: stint.id, share_bps: shareBps, valid_from: at, valid_to: null, set_by: userId }).execute();
          return true;
        });
        if (!changed) return fail("conflict", "The roster changed meanwhile; reload it.");
      }
      const after = await openStint(creatorId);
      const [creator] = await creators.getMany([creatorId]);
      if (!after || !creator) return fail("conflict", "The roster changed meanwhile; reload it.");
      return {
        ok: true,
        entry: { creatorId, handle: creator.handle, displayName: creator.displayName, shareBps: after.share_bps, joinedAt: iso(Number(after.joined_at)), shareSince: iso(Number(after.valid_from)) },
      };
    },

    async remove(userId, creatorId) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      const stint = await openStint(creatorId);
      if (!stint || stint.agency_id !== s.agency.id || !(await endStint(stint.id, "removed"))) return fail("not_on_roster");
      return { ok: true };
    },

    async creatorView(userId) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      return { ok: true, view: await view(creator) };
    },

    async respond(userId, invitationId, answer) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const inv = await db.selectFrom("agency_invitations").selectAll().where("id", "=", invitationId).where("creator_id", "=", creator.id).where("status", "=", "pending").executeTakeFirst();
      if (!inv) return fail("agency_invitation_not_found");
      const at = now();
      if (answer === "decline") {
        await db.updateTable("agency_invitations").set({ status: "declined", responded_at: at }).where("id", "=", inv.id).where("status", "=", "pending").execute();
        return { ok: true, view: await view(creator) };
      }
      if (await openStint(creator.id)) return fail("already_in_agency", "Leave your current agency before you join another.");
      try {
        const outcome = await db.transaction().execute(async (tx) => {
          const taken = await tx.updateTable("agency_invitations").set({ status: "accepted", responded_at: at }).where("id", "=", inv.id).where("status", "=", "pending").executeTakeFirst();
          if (Number(taken.numUpdatedRows) !== 1) return "gone" as const;
          const stintId = newId("agm");
          // The partial unique index (one open stint per creator) refuses a second agency, even in a race.
          await tx.insertInto("agency_memberships").values({ id: stintId, agency_id: inv.agency_id, creator_id: creator.id, invitation_id: inv.id, joined_at: at, left_at: null, left_reason: null }).execute();
          await tx.insertInto("agency_shares").values({ id: newId("ags"), membership_id: stintId, share_bps: inv.share_bps, valid_from: at, valid_to: null, set_by: inv.invited_by }).execute();
          return "joined" as const;
        });
        if (outcome === "gone") return fail("agency_invitation_not_found");
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return fail("already_in_agency", "Leave your current agency before you join another.");
      }
      return { ok: true, view: await view(creator) };
    },

    async leave(userId) {
      const creator = await creators.byUser(userId);
      if (!creator) return fail("creator_profile_required");
      const stint = await openStint(creator.id);
      if (!stint || !(await endStint(stint.id, "left"))) return fail("agency_not_found", "You are not in an agency.");
      return { ok: true, view: await view(creator) };
    },

    async shareAt(creatorId, at) {
      const r = await db
        .selectFrom("agency_shares as s")
        .innerJoin("agency_memberships as m", "m.id", "s.membership_id")
        .select(["m.agency_id", "s.share_bps"])
        .where("m.creator_id", "=", creatorId)
        .where("s.valid_from", "<=", at)
        .where((eb) => eb.or([eb("s.valid_to", "is", null), eb("s.valid_to", ">", at)]))
        .executeTakeFirst();
      return r ? { agencyId: r.agency_id, shareBps: r.share_bps } : null;
    },

    async canWatchShow(userId, showId) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      const show = await shows.get(showId);
      if (!show) return fail("not_found", "No such show.");
      const host = await creators.byUser(show.hostId);
      const stint = host ? await openStint(host.id) : undefined;
      if (stint?.agency_id !== s.agency.id) return fail("forbidden", "The host of this show is not on your roster.");
      return { ok: true };
    },

    async roster(userId, q) {
      const s = await requireSeat(userId);
      if (!s.ok) return s;
      let members = await rosterRows(s.agency.id);
      if (q.creatorId) {
        members = members.filter((m) => m.creator_id === q.creatorId);
        if (!members.length) return fail("not_on_roster");
      }
      const previous = { from: q.from - (q.to - q.from), to: q.from };
      const profiles = await creators.getMany(members.map((m) => m.creator_id));
      const byId = new Map(profiles.map((c) => [c.id, c]));
      const people = members.flatMap((m) => {
        const c = byId.get(m.creator_id);
        return c ? [{ member: m, creator: c }] : [];
      });
      const ids = people.map((p) => p.creator.id);
      const [current, before, showLists, pending] = await Promise.all([
        rosterFigures(db, s.agency.id, ids, q.from, q.to),
        rosterFigures(db, s.agency.id, ids, previous.from, previous.to),
        Promise.all(
          people.map(async (p) => ({
            live: await shows.list({ hostId: p.creator.userId, status: "live", limit: 5 }),
            upcoming: await shows.list({ hostId: p.creator.userId, status: "scheduled", limit: UPCOMING }),
          })),
        ),
        q.creatorId
          ? Promise.resolve([])
          : db.selectFrom("agency_invitations").selectAll().where("agency_id", "=", s.agency.id).where("status", "=", "pending").orderBy("invited_at", "desc").execute(),
      ]);
      return {
        ok: true,
        dashboard: {
          agency: s.agency,
          period: { from: iso(q.from), to: iso(q.to) },
          previousPeriod: { from: iso(previous.from), to: iso(previous.to) },
          creators: people.map(({ member, creator }, i) => ({
            creatorId: creator.id,
            handle: creator.handle,
            displayName: creator.displayName,
            avatarUrl: creator.avatarUrl,
            verified: creator.verified,
            shareBps: member.share_bps,
            joinedAt: iso(Number(member.joined_at)),
            live: showLists[i]!.live,
            upcoming: showLists[i]!.upcoming,
            current: current.of(creator.id),
            previous: before.of(creator.id),
          })),
          pendingInvitations: await toInvitations(pending),
          totals: { current: current.total(), previous: before.total() },
        },
      };
    },
  };
  return self;
}
