import type { Creator, CreatorCategory, CreatorInput, CreatorPage, FollowState } from "../../shared/contracts/creators.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Shows } from "../shows/service.ts";

export interface Creators {
  /** Turns on the user's creator profile. */
  create(userId: string, input: CreatorInput): Promise<Result<{ creator: Creator }>>;
  update(userId: string, input: CreatorInput): Promise<Result<{ creator: Creator }>>;
  get(creatorId: string): Promise<Creator | null>;
  byUser(userId: string): Promise<Creator | null>;
  /** Case-insensitive. */
  byHandle(handle: string): Promise<Creator | null>;
  /** Case-insensitive; unknown handles are left out. */
  byHandles(handles: string[]): Promise<Creator[]>;
  getMany(creatorIds: string[]): Promise<Creator[]>;
  /** The public page; `readerId` (signed-in reader, if any) only decides `following`. */
  page(handle: string, readerId: string | null): Promise<CreatorPage | null>;
  follow(userId: string, handle: string): Promise<Result<FollowState>>;
  unfollow(userId: string, handle: string): Promise<Result<FollowState>>;
  setVerified(creatorId: string, verified: boolean, by: string): Promise<Result<{ creator: Creator }>>;
  /** Who follows the creator profile of this user: user ids after `afterUserId`, in order, `limit` at a time (notification fan-out). */
  followersOfUser(userId: string, afterUserId: string | null, limit: number): Promise<string[]>;
}

const isUniqueViolation = (err: unknown) => /unique/i.test(String(err));
const keyOf = (handle: string) => handle.trim().toLowerCase();

export function createCreators(deps: { db: Db; shows: Pick<Shows, "list">; bus?: EventBus }): Creators {
  const { db, shows } = deps;
  const changed = (creatorId: string) => deps.bus?.publish({ type: "creator.changed", creatorId });

  async function load(where: { ids?: string[]; userId?: string; handleKeys?: string[] }): Promise<Creator[]> {
    let q = db.selectFrom("creators").selectAll();
    if (where.ids) {
      if (!where.ids.length) return [];
      q = q.where("id", "in", where.ids);
    }
    if (where.userId) q = q.where("user_id", "=", where.userId);
    if (where.handleKeys) {
      if (!where.handleKeys.length) return [];
      q = q.where("handle_key", "in", where.handleKeys);
    }
    const rows = await q.execute();
    if (!rows.length) return [];
    const counts = await db
      .selectFrom("creator_follows")
      .select((eb) => ["creator_id", eb.fn.countAll<number>().as("n")])
      .where(
        "creator_id",
        "in",
        rows.map((r) => r.id),
      )
      .groupBy("creator_id")
      .execute();
    const followers = new Map(counts.map((c) => [c.creator_id, Number(c.n)]));
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      handle: r.handle,
      displayName: r.display_name,
      avatarUrl: r.avatar_url,
      bio: r.bio,
      categories: JSON.parse(r.categories) as CreatorCategory[],
      links: JSON.parse(r.links) as string[],
      verified: r.verified_at !== null,
      verifiedAt: isoOrNull(r.verified_at),
      followerCount: followers.get(r.id) ?? 0,
      createdAt: iso(r.created_at),
    }));
  }
  const one = async (where: Parameters<typeof load>[0]) => (await load(where))[0] ?? null;

  const profileColumns = (input: CreatorInput) => ({
    handle: input.handle,
    handle_key: keyOf(input.handle),
    display_name: input.displayName,
    avatar_url: input.avatarUrl,
    bio: input.bio,
    categories: JSON.stringify(input.categories),
    links: JSON.stringify(input.links),
  });

  async function handleFree(handle: string, exceptCreatorId: string | null): Promise<boolean> {
    const taken = await db.selectFrom("creators").select("id").where("handle_key", "=", keyOf(handle)).executeTakeFirst();
    return !taken || taken.id === exceptCreatorId;
  }

  async function followState(creatorId: string, userId: string): Promise<FollowState> {
    const [count, mine] = await Promise.all([
      db.selectFrom("creator_follows").select((eb) => eb.fn.countAll<number>().as("n")).where("creator_id", "=", creatorId).executeTakeFirstOrThrow(),
      db.selectFrom("creator_follows").select("creator_id").where("creator_id", "=", creatorId).where("follower_user_id", "=", userId).executeTakeFirst(),
    ]);
    return { following: !!mine, followerCount: Number(count.n) };
  }

  const self: Creators = {
    async create(userId, input) {
      if (await self.byUser(userId)) return fail("conflict", "You already have a creator profile: edit it instead.");
      if (!(await handleFree(input.handle, null))) return fail("creator_handle_taken");
      const id = newId("crt");
      const now = Date.now();
      try {
        await db
          .insertInto("creators")
          .values({ id, user_id: userId, ...profileColumns(input), verified_at: null, verified_by: null, created_at: now, updated_at: now })
          .execute();
      } catch (err) {
        // Two requests racing: the unique indexes decide which one wins.
        if (!isUniqueViolation(err)) throw err;
        if (await self.byUser(userId)) return fail("conflict", "You already have a creator profile: edit it instead.");
        return fail("creator_handle_taken");
      }
      changed(id);
      return { ok: true, creator: (await self.get(id))! };
    },

    async update(userId, input) {
      const current = await self.byUser(userId);
      if (!current) return fail("creator_profile_required");
      if (!(await handleFree(input.handle, current.id))) return fail("creator_handle_taken");
      try {
        await db
          .updateTable("creators")
          .set({ ...profileColumns(input), updated_at: Date.now() })
          .where("id", "=", current.id)
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) return fail("creator_handle_taken");
        throw err;
      }
      changed(current.id);
      return { ok: true, creator: (await self.get(current.id))! };
    },

    get: (creatorId) => one({ ids: [creatorId] }),
    byUser: (userId) => one({ userId }),
    byHandle: (handle) => one({ handleKeys: [keyOf(handle)] }),
    byHandles: (handles) => load({ handleKeys: [...new Set(handles.map(keyOf))] }),
    getMany: (creatorIds) => load({ ids: [...new Set(creatorIds)] }),

    async page(handle, readerId) {
      const creator = await self.byHandle(handle);
      if (!creator) return null;
      const [live, upcoming, past, following] = await Promise.all([
        shows.list({ hostId: creator.userId, status: "live", limit: 10 }),
        shows.list({ hostId: creator.userId, status: "scheduled", limit: 50 }),
        shows.list({ hostId: creator.userId, status: "ended", limit: 20 }),
        readerId ? followState(creator.id, readerId).then((s) => s.following) : Promise.resolve(false),
      ]);
      return { creator, following, live, upcoming, past };
    },

    async follow(userId, handle) {
      const creator = await self.byHandle(handle);
      if (!creator) return fail("not_found", "No such creator.");
      if (creator.userId === userId) return fail("validation_failed", "You cannot follow yourself.");
      await db
        .insertInto("creator_follows")
        .values({ creator_id: creator.id, follower_user_id: userId, created_at: Date.now() })
        .onConflict((oc) => oc.columns(["creator_id", "follower_user_id"]).doNothing())
        .execute();
      deps.bus?.publish({ type: "follows.changed", userId });
      return { ok: true, ...(await followState(creator.id, userId)) };
    },

    async unfollow(userId, handle) {
      const creator = await self.byHandle(handle);
      if (!creator) return fail("not_found", "No such creator.");
      await db.deleteFrom("creator_follows").where("creator_id", "=", creator.id).where("follower_user_id", "=", userId).execute();
      deps.bus?.publish({ type: "follows.changed", userId });
      return { ok: true, ...(await followState(creator.id, userId)) };
    },

    async followersOfUser(userId, afterUserId, limit) {
      let q = db
        .selectFrom("creator_follows")
        .innerJoin("creators", "creators.id", "creator_follows.creator_id")
        .select("creator_follows.follower_user_id")
        .where("creators.user_id", "=", userId);
      if (afterUserId) q = q.where("creator_follows.follower_user_id", ">", afterUserId);
      const rows = await q.orderBy("creator_follows.follower_user_id").limit(limit).execute();
      return rows.map((r) => r.follower_user_id);
    },

    async setVerified(creatorId, verified, by) {
      const current = await self.get(creatorId);
      if (!current) return fail("not_found", "No such creator.");
      // Verifying again keeps the first verification's instant.
      if (verified !== current.verified) {
        await db
          .updateTable("creators")
          .set(verified ? { verified_at: Date.now(), verified_by: by, updated_at: Date.now() } : { verified_at: null, verified_by: null, updated_at: Date.now() })
          .where("id", "=", creatorId)
          .execute();
        changed(creatorId);
      }
      return { ok: true, creator: (await self.get(creatorId))! };
    },
  };
  return self;
}
