import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type { User } from "../../shared/contracts/accounts.ts";
import type { FeedProduct } from "../../shared/contracts/feed.ts";
import { MAX_VIDEO_PRODUCTS, type ShortVideo, type ShortVideoPlayback, type StudioClip } from "../../shared/contracts/videos.ts";
import { stripItem, type Catalog } from "../catalog/service.ts";
import type { Database, Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import { iso, isoOrNull } from "../platform/time.ts";
import type { Jobs, JobContext } from "../jobs/runner.ts";
import type { JobsTables } from "../jobs/schema.ts";
import type { Shows } from "../shows/service.ts";
import type { MediaStorage } from "../media/storage.ts";
import { replayPrefix } from "../media/recorder.ts";
import { replayClockOf } from "../media/replay-clock.ts";
import { REPLAY_PLAYLIST } from "../media/vod-playlist.ts";
import { clipWindow, cutClip, segmentsWithin, type CutResult } from "./clip.ts";
import type { ShortVideoStatus, VideosTables } from "./schema.ts";

export const CLIP_JOB = "clip.cut";

/** What a clip job carries: which video, and the window of the replay it is cut from. */
export interface ClipPayload {
  videoId: string;
  showId: string;
  productId: string;
  /** the showcase's instant, and its place in the replay (ms) */
  at: number;
  anchorMs: number;
  /** whole segments: [fromMs, toMs) of the replay */
  fromMs: number;
  toMs: number;
}

export interface VideosDeps {
  db: Db;
  jobs: Pick<Jobs, "enqueue">;
  storage: MediaStorage;
  shows: Pick<Shows, "timeline">;
  catalog: Pick<Catalog, "cards">;
  ffmpegPath: () => string;
  ffprobePath: () => string | null;
  clipBeforeMs: number;
  clipAfterMs: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  clock?: () => number;
}

export interface Videos {
  /** Queues the clip of every showcase of an ended show with a replay (idempotent: the same showcases give the same jobs and rows). */
  enqueueClips(showId: string): Promise<number>;
  /** the `clip.cut` job handler */
  cutHandler(ctx: JobContext): Promise<unknown>;
  /** Every clip of the show, for its host, its merchant's staff and admins. */
  clipsOfShow(user: User, showId: string, authorizeHost: (user: User, showId: string) => Promise<Result<{}>>): Promise<Result<{ items: StudioClip[] }>>;
  publish(user: User, videoId: string): Promise<Result<{ video: StudioClip }>>;
  discard(user: User, videoId: string): Promise<Result<{ video: StudioClip }>>;
  /** A published video; null otherwise. */
  getPublished(videoId: string): Promise<ShortVideo | null>;
  /** Published videos, newest first. */
  listPublished(cursor: string | undefined, limit: number): Promise<Result<{ items: ShortVideo[]; nextCursor: string | null }>>;
  /** The storage key of a video's file, if `user` (null: anyone) may fetch it now; `pub` when it is published. */
  mediaFile(user: User | null, videoId: string, file: "mp4" | "jpg" | { hls: string }): Promise<{ key: string; pub: boolean } | null>;
  /** Any video its creator (or the merchant's staff, or an admin) manages, any status. */
  studioVideo(user: User, videoId: string): Promise<Result<{ video: StudioClip }>>;
  /** The uploads `user` made, newest first (any status but discarded). */
  myUploads(user: User): Promise<StudioClip[]>;
  /** Replaces a video's tagged products (at most 10, of the video's merchant, active). */
  setProducts(user: User, videoId: string, productIds: string[]): Promise<Result<{ video: StudioClip }>>;
  /** Checks product ids for tagging on `merchantId`'s video: every one exists, is theirs and active. */
  checkTaggable(merchantId: string, productIds: string[]): Promise<Result<{}>>;
  /** The feed's videos source: published videos after `cursor`, newest first, with their products. */
  feedEntries(cursor: string | null, limit: number, scope?: FeedVideoScope): Promise<FeedVideoEntry[]>;
  /** For stitching (channels): where a published upload's HLS rendition is in MediaStorage; null if none. */
  publishedPlaylist(videoId: string): Promise<{ prefix: string; playlistKey: string } | null>;
  /** A shop's name; null when there is no such shop. */
  merchantName(merchantId: string): Promise<string | null>;
  /** Tagged products of videos, in order, with the lowest price (a clip's own product until tags are set). */
  productsOf(videos: { id: string; product_id: string | null; tags_set: number }[]): Promise<Map<string, FeedProduct[]>>;
}

/**
 * Which published videos the feed asks for: those of the accounts a viewer follows (tier 0: made by a
 * followed creator or for a followed shop), or everyone else's (tier 1). No scope: all of them.
 */
export interface FeedVideoScope {
  tier: 0 | 1;
  hosts: string[];
  merchants: string[];
}

/** What the feed's `videos` source returns (src/server/feed/service.ts FeedVideoEntry). */
export interface FeedVideoEntry {
  cursor: string;
  video: { id: string; title: string; posterUrl: string | null; playbackUrl: string | null; creatorName: string; creatorHandle: string | null; merchantName: string | null; createdAt: string };
  products?: FeedProduct[];
}

/** A clip's id, from its job's key: enqueueing the same showcase again finds the same row. */
export function clipVideoId(key: string): string {
  return `vid_${createHash("sha256").update(key).digest("base64url").slice(0, 22)}`;
}

export const videoMediaKey = (id: string) => `videos/${id}.mp4`;
export const videoPosterKey = (id: string) => `videos/${id}.jpg`;
/** An upload's HLS rendition: `videos/<id>/hls/index.m3u8`, `init.mp4`, `seg-NNNN.m4s`. */
export const videoHlsPrefix = (id: string) => `videos/${id}/hls/`;
export const VIDEO_HLS_PLAYLIST = "index.m3u8";

/** Where players find a video: the MP4 of a clip, the HLS playlist of an upload. */
export function playbackOf(v: { id: string; kind: "clip" | "upload"; media_key: string | null }): ShortVideoPlayback | null {
  if (!v.media_key) return null;
  return v.kind === "upload" ? { kind: "hls", url: `/media/videos/${v.id}/hls/${VIDEO_HLS_PLAYLIST}` } : { kind: "mp4", url: `/media/videos/${v.id}.mp4` };
}

function encodeVideoCursor(publishedAt: number, id: string) {
  return Buffer.from(JSON.stringify([publishedAt, id])).toString("base64url");
}
function decodeVideoCursor(cursor: string): [number, string] | null {
  try {
    const c = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (!Array.isArray(c) || typeof c[0] !== "number" || typeof c[1] !== "string" || c[1].length > 64) return null;
    return [c[0], c[1]];
  } catch {
    return null;
  }
}

export function createVideos(deps: VideosDeps): Videos {
  const db = deps.db.withTables<VideosTables & JobsTables>() as unknown as Kysely<VideosTables & JobsTables & Database>;
  const now = deps.clock ?? Date.now;

  const baseQuery = () =>
    db
      .selectFrom("short_videos as v")
      .innerJoin("users as u", "u.id", "v.owner_user_id")
      .innerJoin("merchants as m", "m.id", "v.merchant_id")
      .leftJoin("creators as c", "c.user_id", "v.owner_user_id")
      .leftJoin("products as p", "p.id", "v.product_id")
      .leftJoin("media_jobs as j", "j.id", "v.job_id")
      .select([
        "v.id",
        "v.kind",
        "v.show_id",
        "v.product_id",
        "v.owner_user_id",
        "v.merchant_id",
        "v.status",
        "v.media_key",
        "v.poster_key",
        "v.duration_ms",
        "v.width",
        "v.height",
        "v.created_at",
        "v.published_at",
        "v.title",
        "v.caption",
        "v.publish_when_ready",
        "v.failure",
        "v.tags_set",
        "u.display_name as owner_name",
        "c.handle as owner_handle",
        "m.name as merchant_name",
        "p.title as product_title",
        "p.images as product_images",
        "j.progress as job_progress",
        "j.status as job_status",
        "j.error as job_error",
        "j.payload as job_payload",
      ]);
  type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>["executeTakeFirstOrThrow"]>>;

  const toVideo = (r: Row, products: Map<string, FeedProduct[]>): ShortVideo => {
    const images = r.product_images ? (JSON.parse(r.product_images) as string[]) : [];
    const playback = playbackOf(r);
    return {
      id: r.id,
      kind: r.kind,
      title: r.title ?? r.product_title ?? "",
      caption: r.caption ?? null,
      posterUrl: r.poster_key ? `/media/videos/${r.id}.jpg` : null,
      mediaUrl: playback?.url ?? null,
      playback,
      products: products.get(r.id) ?? [],
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      width: r.width === null ? null : Number(r.width),
      height: r.height === null ? null : Number(r.height),
      product: r.product_id && r.product_title !== null ? { id: r.product_id, title: r.product_title, imageUrl: images[0] ?? null } : null,
      showId: r.show_id,
      creator: { userId: r.owner_user_id, displayName: r.owner_name, handle: r.owner_handle ?? null },
      merchant: { id: r.merchant_id, name: r.merchant_name },
      publishedAt: isoOrNull(r.published_at === null ? null : Number(r.published_at)),
    };
  };
  const toClip = (r: Row, products: Map<string, FeedProduct[]>): StudioClip => {
    let anchor: number | null = null;
    try {
      anchor = r.job_payload ? ((JSON.parse(r.job_payload) as ClipPayload).anchorMs ?? null) : null;
    } catch {
      anchor = null;
    }
    const status: ShortVideoStatus = r.status === "processing" && r.job_status === "failed" ? "failed" : r.status;
    return {
      ...toVideo(r, products),
      status,
      progress: r.status === "processing" ? Number(r.job_progress ?? 0) / 1000 : status === "failed" ? 0 : 1,
      error: status === "failed" ? (r.failure ?? r.job_error ?? null) : null,
      showcaseOffsetMs: r.kind === "clip" ? anchor : null,
      publishWhenReady: Number(r.publish_when_ready) === 1,
      createdAt: iso(Number(r.created_at)),
    };
  };
  const videosOf = async (rows: Row[]) => {
    const products = await self.productsOf(rows);
    return rows.map((r) => toVideo(r, products));
  };
  const clipsOf = async (rows: Row[]) => {
    const products = await self.productsOf(rows);
    return rows.map((r) => toClip(r, products));
  };
  const clipOf = async (id: string) => (await clipsOf([(await row(id))!]))[0]!;

  const canManage = (user: User, r: { owner_user_id: string; merchant_id: string }) => user.role === "admin" || r.owner_user_id === user.id || (user.merchantId !== null && user.merchantId === r.merchant_id);
  const row = (id: string) => baseQuery().where("v.id", "=", id).executeTakeFirst();

  async function managed(user: User, videoId: string): Promise<Result<{ r: Row }>> {
    const r = await row(videoId);
    if (!r) return fail("not_found", "No such video.");
    if (!canManage(user, r)) return fail("forbidden", "Only the host of the show or its merchant can do that.");
    return { ok: true, r };
  }

  /** Published videos, newest first, after `cursor`; in `scope` when given (see FeedVideoScope). */
  async function publishedPage(cursor: string | undefined, limit: number, scope?: FeedVideoScope): Promise<Result<{ items: ShortVideo[]; nextCursor: string | null }>> {
    let q = baseQuery().where("v.status", "=", "published");
    if (scope) {
      const { hosts, merchants } = scope;
      if (scope.tier === 0) {
        if (!hosts.length && !merchants.length) return { ok: true, items: [], nextCursor: null };
        q = q.where((eb) => eb.or([...(hosts.length ? [eb("v.owner_user_id", "in", hosts)] : []), ...(merchants.length ? [eb("v.merchant_id", "in", merchants)] : [])]));
      } else {
        if (hosts.length) q = q.where("v.owner_user_id", "not in", hosts);
        if (merchants.length) q = q.where("v.merchant_id", "not in", merchants);
      }
    }
    if (cursor) {
      const c = decodeVideoCursor(cursor);
      if (!c) return fail("validation_failed", "Invalid cursor.");
      // A row comparison: PostgreSQL turns it into an index range (the OR form reads every row before the cursor).
      q = q.where((eb) => eb(eb.refTuple("v.published_at", "v.id"), "<", eb.tuple(c[0], c[1])));
    }
    const rows = await q.orderBy("v.published_at", "desc").orderBy("v.id", "desc").limit(limit + 1).execute();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > limit && last ? encodeVideoCursor(Number(last.published_at), last.id) : null;
    return { ok: true, items: await videosOf(items), nextCursor };
  }

  const self: Videos = {
    async enqueueClips(showId) {
      const show = await db.selectFrom("shows").select(["id", "merchant_id", "host_user_id"]).where("id", "=", showId).executeTakeFirst();
      const timeline = await deps.shows.timeline(showId);
      if (!show || !timeline?.length) return 0;
      const playlist = (await deps.storage.read(replayPrefix(showId) + REPLAY_PLAYLIST))?.toString("utf8");
      const clock = playlist ? replayClockOf(playlist) : null;
      if (!playlist || !clock) return 0;
      let n = 0;
      for (const [i, entry] of timeline.entries()) {
        if (!entry.productId) continue; // a cleared card: nothing to clip
        const key = `clip:${showId}:${i}`;
        const anchorMs = clock.offsetOf(entry.at);
        const window = clipWindow(playlist, anchorMs, deps.clipBeforeMs, deps.clipAfterMs);
        if (!window) continue;
        const videoId = clipVideoId(key);
        await db
          .insertInto("short_videos")
          .values({
            id: videoId,
            kind: "clip",
            show_id: showId,
            product_id: entry.productId,
            owner_user_id: show.host_user_id,
            merchant_id: show.merchant_id,
            status: "processing",
            media_key: null,
            poster_key: null,
            duration_ms: null,
            width: null,
            height: null,
            job_id: null,
            created_at: now(),
            published_at: null,
            title: null,
            caption: null,
            failure: null,
          })
          .onConflict((oc) => oc.column("id").doNothing())
          .execute();
        const payload: ClipPayload = { videoId, showId, productId: entry.productId, at: entry.at, anchorMs, fromMs: window.fromMs, toMs: window.toMs };
        const job = await deps.jobs.enqueue(CLIP_JOB, key, payload);
        await db.updateTable("short_videos").set({ job_id: job.id }).where("id", "=", videoId).where("job_id", "is", null).execute();
        n++;
      }
      deps.log.info({ showId, clips: n }, "clips queued");
      return n;
    },

    async cutHandler(ctx) {
      const p = ctx.job.payload as ClipPayload;
      const r = await db.selectFrom("short_videos").select(["id", "status"]).where("id", "=", p.videoId).executeTakeFirst();
      if (!r || r.status === "discarded") return { skipped: true };
      try {
        const playlist = (await deps.storage.read(replayPrefix(p.showId) + REPLAY_PLAYLIST))?.toString("utf8");
        if (!playlist) throw new Error(`the replay of ${p.showId} has no playlist`);
        const picked = segmentsWithin(playlist, p.fromMs, p.toMs);
        if (!picked) throw new Error(`no recorded segment of ${p.showId} in ${p.fromMs}–${p.toMs} ms`);
        ctx.progress(0.05);
        const names = [picked.init, ...picked.segments];
        const storage = deps.storage;
        const parts = (async function* () {
          for (const [k, name] of names.entries()) {
            const data = await storage.read(replayPrefix(p.showId) + name);
            if (!data) throw new Error(`missing replay file ${name}`);
            yield data;
            ctx.progress(0.05 + (0.4 * (k + 1)) / names.length);
          }
        })();
        const cut: CutResult = await cutClip({ ffmpeg: deps.ffmpegPath(), ffprobe: deps.ffprobePath(), parts, signal: ctx.signal, onStep: (f) => ctx.progress(f) });
        ctx.signal.throwIfAborted();
        // Same keys on every run: a second run overwrites, atomically (MediaStorage writes are).
        await deps.storage.write(videoMediaKey(p.videoId), cut.mp4);
        await deps.storage.write(videoPosterKey(p.videoId), cut.jpg);
        ctx.progress(0.95);
        ctx.signal.throwIfAborted();
        await db
          .updateTable("short_videos")
          .set({ media_key: videoMediaKey(p.videoId), poster_key: videoPosterKey(p.videoId), duration_ms: cut.durationMs ?? p.toMs - p.fromMs, width: cut.width, height: cut.height })
          .where("id", "=", p.videoId)
          .where("status", "!=", "discarded")
          .execute();
        await db.updateTable("short_videos").set({ status: "draft" }).where("id", "=", p.videoId).where("status", "in", ["processing", "failed"]).execute();
        return { videoId: p.videoId, durationMs: cut.durationMs, bytes: cut.mp4.length, segments: picked.segments.length };
      } catch (err) {
        if (!ctx.signal.aborted && ctx.job.attempts >= ctx.job.maxAttempts) {
          await db.updateTable("short_videos").set({ status: "failed" }).where("id", "=", p.videoId).where("status", "=", "processing").execute();
        }
        throw err;
      }
    },

    async clipsOfShow(user, showId, authorizeHost) {
      const ok = await authorizeHost(user, showId);
      if (!ok.ok) return ok;
      const rows = await baseQuery().where("v.show_id", "=", showId).where("v.kind", "=", "clip").orderBy("v.created_at").orderBy("v.id").execute();
      const items = (await clipsOf(rows)).sort((a, b) => (a.showcaseOffsetMs ?? 0) - (b.showcaseOffsetMs ?? 0));
      return { ok: true, items };
    },

    async publish(user, videoId) {
      const m = await managed(user, videoId);
      if (!m.ok) return m;
      if (m.r.status === "published") return { ok: true, video: await clipOf(videoId) };
      if (m.r.status !== "draft") return fail("video_not_draft", m.r.status === "discarded" ? "A discarded video cannot be published." : "The video is not ready yet.");
      const res = await db.updateTable("short_videos").set({ status: "published", published_at: now() }).where("id", "=", videoId).where("status", "=", "draft").executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return fail("video_not_draft");
      return { ok: true, video: await clipOf(videoId) };
    },

    async discard(user, videoId) {
      const m = await managed(user, videoId);
      if (!m.ok) return m;
      if (m.r.status !== "discarded") {
        await db.updateTable("short_videos").set({ status: "discarded", published_at: null }).where("id", "=", videoId).execute();
        // Its files go too: a discarded video is never shown again.
        await deps.storage.delete(videoMediaKey(videoId));
        await deps.storage.delete(videoPosterKey(videoId));
        for (const key of await deps.storage.list(videoHlsPrefix(videoId))) await deps.storage.delete(key);
        await db.updateTable("short_videos").set({ media_key: null, poster_key: null }).where("id", "=", videoId).execute();
      }
      return { ok: true, video: await clipOf(videoId) };
    },

    async getPublished(videoId) {
      const r = await baseQuery().where("v.id", "=", videoId).where("v.status", "=", "published").executeTakeFirst();
      return r ? (await videosOf([r]))[0]! : null;
    },

    async listPublished(cursor, limit) {
      return publishedPage(cursor, limit);
    },

    async feedEntries(cursor, limit, scope) {
      const r = await publishedPage(cursor && decodeVideoCursor(cursor) ? cursor : undefined, limit, scope);
      if (!r.ok) return [];
      return r.items.map((v) => ({
        cursor: encodeVideoCursor(Date.parse(v.publishedAt!), v.id),
        video: { id: v.id, title: v.title, posterUrl: v.posterUrl, playbackUrl: v.mediaUrl, creatorName: v.creator.displayName, creatorHandle: v.creator.handle, merchantName: v.merchant.name, createdAt: v.publishedAt! },
        products: v.products.slice(0, 3),
      }));
    },

    async mediaFile(user, videoId, file) {
      const r = await db.selectFrom("short_videos").select(["id", "status", "owner_user_id", "merchant_id", "media_key", "poster_key"]).where("id", "=", videoId).executeTakeFirst();
      if (!r || r.status === "discarded") return null;
      let key: string | null;
      if (typeof file === "object") key = r.media_key && r.media_key.startsWith(videoHlsPrefix(videoId)) ? videoHlsPrefix(videoId) + file.hls : null;
      else if (file === "mp4") key = r.media_key && r.media_key === videoMediaKey(videoId) ? r.media_key : null;
      else key = r.poster_key;
      if (!key) return null;
      if (r.status === "published") return { key, pub: true };
      return user && canManage(user, r) ? { key, pub: false } : null;
    },

    async studioVideo(user, videoId) {
      const m = await managed(user, videoId);
      if (!m.ok) return m;
      return { ok: true, video: await clipOf(videoId) };
    },

    async myUploads(user) {
      const rows = await baseQuery().where("v.owner_user_id", "=", user.id).where("v.kind", "=", "upload").where("v.status", "!=", "discarded").orderBy("v.created_at", "desc").orderBy("v.id", "desc").limit(100).execute();
      return clipsOf(rows);
    },

    async checkTaggable(merchantId, productIds) {
      if (new Set(productIds).size !== productIds.length) return fail("validation_failed", "A product is listed twice.");
      if (productIds.length > MAX_VIDEO_PRODUCTS) return fail("validation_failed", `At most ${MAX_VIDEO_PRODUCTS} products can be tagged.`);
      if (!productIds.length) return { ok: true };
      const found = await db.selectFrom("products").select(["id", "merchant_id", "status"]).where("id", "in", productIds).execute();
      const ok = new Set(found.filter((p) => p.merchant_id === merchantId && p.status === "active").map((p) => p.id));
      const bad = productIds.filter((id) => !ok.has(id));
      if (bad.length) return fail("validation_failed", `Not an active product of this video's shop: ${bad.join(", ")}.`);
      return { ok: true };
    },

    async setProducts(user, videoId, productIds) {
      const m = await managed(user, videoId);
      if (!m.ok) return m;
      if (m.r.status === "discarded") return fail("conflict", "A discarded video cannot be tagged.");
      const checked = await self.checkTaggable(m.r.merchant_id, productIds);
      if (!checked.ok) return checked;
      await db.transaction().execute(async (tx) => {
        await tx.deleteFrom("short_video_products").where("video_id", "=", videoId).execute();
        if (productIds.length) await tx.insertInto("short_video_products").values(productIds.map((product_id, position) => ({ video_id: videoId, product_id, position }))).execute();
        await tx.updateTable("short_videos").set({ tags_set: 1 }).where("id", "=", videoId).execute();
      });
      return { ok: true, video: await clipOf(videoId) };
    },

    async productsOf(videos) {
      const out = new Map<string, FeedProduct[]>();
      if (!videos.length) return out;
      const tagged = videos.filter((v) => Number(v.tags_set) === 1).map((v) => v.id);
      const links = tagged.length ? await db.selectFrom("short_video_products").select(["video_id", "product_id"]).where("video_id", "in", tagged).orderBy("video_id").orderBy("position").execute() : [];
      const ids = new Map<string, string[]>();
      for (const v of videos) if (Number(v.tags_set) !== 1 && v.product_id) ids.set(v.id, [v.product_id]);
      for (const l of links) ids.set(l.video_id, [...(ids.get(l.video_id) ?? []), l.product_id]);
      const cards = await deps.catalog.cards([...new Set([...ids.values()].flat())]);
      for (const [videoId, list] of ids) {
        out.set(
          videoId,
          list.flatMap((id) => {
            const c = cards.get(id);
            return c && c.status === "active" ? [stripItem(c)] : [];
          }),
        );
      }
      return out;
    },


    async merchantName(merchantId) {
      const m = await db.selectFrom("merchants").select("name").where("id", "=", merchantId).executeTakeFirst();
      return m?.name ?? null;
    },

    async publishedPlaylist(videoId) {
      const r = await db.selectFrom("short_videos").select(["kind", "status", "media_key"]).where("id", "=", videoId).executeTakeFirst();
      if (!r || r.kind !== "upload" || r.status !== "published" || !r.media_key) return null;
      return { prefix: videoHlsPrefix(videoId), playlistKey: videoHlsPrefix(videoId) + VIDEO_HLS_PLAYLIST };
    },
  };
  return self;
}
