/**
 * 24-hour channels: a merchant's playlist of replays and published short videos played as one live
 * stream by virtual playout (no encode: the live playlist points at the stored segments), with product
 * cards following what plays, taken over by the merchant's live shows scheduled on it and handed back.
 * See docs/media-jobs.md, "Channels".
 */
import type { Kysely } from "kysely";
import type { Channel, ChannelCard, ChannelInput, ChannelNow, ChannelSummary } from "../../shared/contracts/channels.ts";
import type { Database, Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import { newId } from "../platform/ids.ts";
import type { Jobs, JobContext } from "../jobs/runner.ts";
import type { JobsTables } from "../jobs/schema.ts";
import type { Shows } from "../shows/service.ts";
import type { Catalog } from "../catalog/service.ts";
import type { MediaStorage } from "../media/storage.ts";
import type { VideoChannelSources } from "../videos/channel-source.ts";
import { compileSchedule } from "./compile.ts";
import { adopt, cardAt, handBack, livePlaylist, positionAt, prepare, segmentAt, windowAt, type CompiledSchedule, type PlayoutState, type PreparedSchedule } from "./schedule.ts";
import type { ChannelsTables } from "./schema.ts";

export const CHANNEL_COMPILE_JOB = "channel.compile";
/** segments in the live playlist's window */
export const CHANNEL_WINDOW = 8;

export interface ChannelsDeps {
  db: Db;
  bus: EventBus;
  jobs: Pick<Jobs, "enqueue" | "byKey">;
  storage: MediaStorage;
  shows: Pick<Shows, "get" | "timeline" | "list" | "status">;
  catalog: Pick<Catalog, "get">;
  videos: VideoChannelSources;
  ffprobePath: () => string | null;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  clock?: () => number;
}

type Row = ChannelsTables["channels"];

export function createChannels(deps: ChannelsDeps) {
  const db = deps.db.withTables<ChannelsTables & JobsTables>() as unknown as Kysely<ChannelsTables & JobsTables & Database>;
  const now = deps.clock ?? Date.now;
  /** prepared schedules by channel and version: the playlist is asked for every second or two by every viewer */
  const prepared = new Map<string, { version: number; ps: PreparedSchedule; keys: Set<string> }>();

  const stateOf = (r: Row): PlayoutState => ({ epoch: Number(r.epoch), seqBase: Number(r.seq_base), discBase: Number(r.disc_base), takeoverStartedAt: r.takeover_started_at === null ? null : Number(r.takeover_started_at) });
  const playlistUrl = (id: string) => `/channels/${id}/live.m3u8`;

  function preparedOf(r: Row): { ps: PreparedSchedule; keys: Set<string> } | null {
    if (!r.schedule) return null;
    const hit = prepared.get(r.id);
    if (hit && hit.version === Number(r.schedule_version)) return hit;
    const s = JSON.parse(r.schedule) as CompiledSchedule;
    const ps = prepare(s);
    const keys = new Set(s.segments.flatMap((x) => [x.key, x.init]));
    const entry = { version: Number(r.schedule_version), ps, keys };
    prepared.set(r.id, entry);
    return entry;
  }

  const rowOf = (id: string) => db.selectFrom("channels").selectAll().where("id", "=", id).executeTakeFirst();

  async function productOf(id: string | null) {
    if (!id) return null;
    const p = await deps.catalog.get(id);
    return p ? { id: p.id, title: p.title, imageUrl: p.images[0] ?? null } : null;
  }

  async function cardsOf(ps: PreparedSchedule | null): Promise<ChannelCard[]> {
    if (!ps) return [];
    const products = new Map<string, Awaited<ReturnType<typeof productOf>>>();
    for (const c of ps.s.cards) if (c.productId && !products.has(c.productId)) products.set(c.productId, await productOf(c.productId));
    return ps.s.cards.map((c) => ({ startMs: c.startMs, endMs: c.endMs, item: c.item, product: c.productId ? (products.get(c.productId) ?? null) : null, showId: c.showId }));
  }

  async function toChannel(r: Row): Promise<Channel> {
    const [items, takeovers, merchant] = await Promise.all([
      db.selectFrom("channel_items").select(["kind", "ref_id"]).where("channel_id", "=", r.id).orderBy("position").execute(),
      db.selectFrom("channel_takeover_shows").select("show_id").where("channel_id", "=", r.id).orderBy("show_id").execute(),
      db.selectFrom("merchants").select("name").where("id", "=", r.merchant_id).executeTakeFirst(),
    ]);
    const p = preparedOf(r);
    const compiledItems = p?.ps.s.items ?? [];
    const job = r.compile_job_id ? await db.selectFrom("media_jobs").select(["status", "progress", "error"]).where("id", "=", r.compile_job_id).executeTakeFirst() : undefined;
    const out: Channel["items"] = [];
    for (const it of items) {
      const compiled = Number(r.schedule_version) === Number(r.version) ? compiledItems.find((c) => c.kind === it.kind && c.refId === it.ref_id) : undefined;
      let title = compiled?.title ?? "";
      let posterUrl: string | null = null;
      if (it.kind === "replay") {
        const s = await deps.shows.get(it.ref_id);
        title = s?.title ?? title;
        posterUrl = s?.coverUrl ?? null;
      } else {
        const v = await deps.videos.get(it.ref_id);
        title = v?.title ?? title;
        posterUrl = v?.posterUrl ?? null;
      }
      out.push({ kind: it.kind, refId: it.ref_id, title, posterUrl, durationMs: compiled ? compiled.durationMs : null, problem: compiled?.problem ?? null });
    }
    return {
      id: r.id,
      merchantId: r.merchant_id,
      merchantName: merchant?.name ?? "",
      name: r.name,
      coverUrl: r.cover_url,
      items: out,
      takeoverShowIds: takeovers.map((t) => t.show_id),
      compile: {
        status: job ? job.status : "none",
        progress: job ? Number(job.progress) / 1000 : 0,
        error: job?.error ?? null,
        stale: Number(r.schedule_version) !== Number(r.version),
      },
      playlistUrl: p && p.ps.s.segments.length ? playlistUrl(r.id) : null,
      loopMs: p?.ps.loopMs ?? 0,
      epoch: Number(r.epoch),
      cards: await cardsOf(p?.ps ?? null),
    };
  }

  /** Checks every item and takeover show belongs to the merchant and can play. */
  async function validate(merchantId: string, input: ReturnType<typeof normalize>): Promise<Result<{}>> {
    if (!input.items.length) return fail("channel_playlist_empty");
    for (const it of input.items) {
      if (it.kind === "replay") {
        const s = await deps.shows.get(it.refId);
        if (!s) return fail("channel_item_unavailable", `No such show: ${it.refId}.`);
        if (s.merchantId !== merchantId) return fail("channel_item_not_yours", `The show ${it.refId} is another merchant's.`);
        if (!s.replayUrl) return fail("channel_item_unavailable", `The show ${it.refId} has no ready replay.`);
      } else {
        const v = await deps.videos.get(it.refId);
        if (!v) return fail("channel_item_unavailable", `No such video: ${it.refId}.`);
        if (v.merchantId !== merchantId) return fail("channel_item_not_yours", `The video ${it.refId} is another merchant's.`);
        if (v.status !== "published") return fail("channel_item_unavailable", `The video ${it.refId} is not published.`);
      }
    }
    for (const showId of input.takeoverShowIds) {
      const s = await deps.shows.get(showId);
      if (!s) return fail("channel_item_unavailable", `No such show: ${showId}.`);
      if (s.merchantId !== merchantId) return fail("channel_item_not_yours", `The show ${showId} is another merchant's.`);
    }
    return { ok: true };
  }

  function normalize(input: ChannelInput) {
    return { name: input.name.trim(), coverUrl: input.coverUrl ?? null, items: input.items, takeoverShowIds: [...new Set(input.takeoverShowIds ?? [])] };
  }

  async function enqueueCompile(channelId: string, version: number) {
    const job = await deps.jobs.enqueue(CHANNEL_COMPILE_JOB, `channel:${channelId}:v${version}`, { channelId, version });
    await db.updateTable("channels").set({ compile_job_id: job.id }).where("id", "=", channelId).where("version", "=", version).execute();
  }

  async function save(merchantId: string, channelId: string | null, raw: ChannelInput): Promise<Result<{ channel: Channel }>> {
    const input = normalize(raw);
    if (channelId) {
      const owner = await db.selectFrom("channels").select("merchant_id").where("id", "=", channelId).executeTakeFirst();
      if (!owner || owner.merchant_id !== merchantId) return fail("not_found", "No such channel.");
    }
    const ok = await validate(merchantId, input);
    if (!ok.ok) return ok;
    const t = now();
    let id = channelId;
    let version = 1;
    const done = await db.transaction().execute(async (tx) => {
      if (id) {
        const r = await tx.selectFrom("channels").select(["merchant_id", "version"]).where("id", "=", id).executeTakeFirst();
        if (!r || r.merchant_id !== merchantId) return false;
        version = Number(r.version) + 1;
        await tx.updateTable("channels").set({ name: input.name, cover_url: input.coverUrl, version, updated_at: t }).where("id", "=", id).execute();
        await tx.deleteFrom("channel_items").where("channel_id", "=", id).execute();
        await tx.deleteFrom("channel_takeover_shows").where("channel_id", "=", id).execute();
      } else {
        id = newId("chn");
        await tx
          .insertInto("channels")
          .values({ id, merchant_id: merchantId, name: input.name, cover_url: input.coverUrl, version, schedule_version: 0, schedule: null, compile_job_id: null, epoch: t, seq_base: 0, disc_base: 0, takeover_show_id: null, takeover_started_at: null, created_at: t, updated_at: t })
          .execute();
      }
      await tx.insertInto("channel_items").values(input.items.map((it, position) => ({ channel_id: id!, position, kind: it.kind, ref_id: it.refId }))).execute();
      if (input.takeoverShowIds.length) await tx.insertInto("channel_takeover_shows").values(input.takeoverShowIds.map((show_id) => ({ channel_id: id!, show_id }))).execute();
      return true;
    });
    if (!done) return fail("not_found", "No such channel.");
    await enqueueCompile(id!, version);
    return { ok: true, channel: await toChannel((await rowOf(id!))!) };
  }

  const changed = (channelId: string, reason: "takeover" | "handback" | "schedule") => deps.bus.publish({ type: "channel.changed", channelId, reason });

  async function handBackChannel(r: Row, endedAt: number) {
    const { epoch } = handBack(stateOf(r), endedAt);
    const res = await db
      .updateTable("channels")
      .set({ epoch, takeover_show_id: null, takeover_started_at: null, updated_at: now() })
      .where("id", "=", r.id)
      .where("takeover_show_id", "=", r.takeover_show_id)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows)) {
      deps.log.info({ channelId: r.id, showId: r.takeover_show_id, pausedMs: endedAt - Number(r.takeover_started_at) }, "channel handed back");
      changed(r.id, "handback");
    }
  }

  const self = {
    create: (merchantId: string, input: ChannelInput) => save(merchantId, null, input),
    update: (merchantId: string, channelId: string, input: ChannelInput) => save(merchantId, channelId, input),

    async get(channelId: string): Promise<Channel | null> {
      const r = await rowOf(channelId);
      return r ? toChannel(r) : null;
    },

    async listOfMerchant(merchantId: string): Promise<ChannelSummary[]> {
      const rows = await db.selectFrom("channels").innerJoin("merchants", "merchants.id", "channels.merchant_id").selectAll("channels").select("merchants.name as merchant_name").where("channels.merchant_id", "=", merchantId).orderBy("channels.created_at").execute();
      return rows.map((r) => ({ id: r.id, merchantId: r.merchant_id, merchantName: r.merchant_name, name: r.name, coverUrl: r.cover_url, playlistUrl: r.schedule ? playlistUrl(r.id) : null, live: r.takeover_show_id !== null }));
    },

    /** What the merchant may put on a channel: its ready replays and published videos, and its shows to come (takeovers). */
    async sources(merchantId: string) {
      const ended = await deps.shows.list({ status: "ended", merchantId, limit: 100 });
      const replays: { showId: string; title: string; coverUrl: string | null }[] = [];
      for (const s of ended) {
        const full = await deps.shows.get(s.id);
        if (full?.replayUrl) replays.push({ showId: s.id, title: s.title, coverUrl: s.coverUrl });
      }
      const videos = (await deps.videos.publishedOf(merchantId)).map((v) => ({ videoId: v.id, title: v.title, posterUrl: v.posterUrl }));
      const upcoming = [...(await deps.shows.list({ status: "scheduled", merchantId, limit: 100 })), ...(await deps.shows.list({ status: "live", merchantId, limit: 100 }))].map((s) => ({ showId: s.id, title: s.title, scheduledAt: s.scheduledAt }));
      return { replays, videos, shows: upcoming };
    },

    /** the `channel.compile` job */
    async compileHandler(ctx: JobContext): Promise<unknown> {
      const { channelId, version } = ctx.job.payload as { channelId: string; version: number };
      const r = await rowOf(channelId);
      if (!r || Number(r.version) !== version) return { skipped: "superseded" };
      const items = await db.selectFrom("channel_items").select(["kind", "ref_id"]).where("channel_id", "=", channelId).orderBy("position").execute();
      const schedule = await compileSchedule(
        { storage: deps.storage, show: async (id) => { const s = await deps.shows.get(id); return s ? { id: s.id, merchantId: s.merchantId, title: s.title, hasReplay: !!s.replayUrl } : null; }, timeline: (id) => deps.shows.timeline(id), video: (id) => deps.videos.get(id), ffprobe: deps.ffprobePath },
        version,
        items.map((i) => ({ kind: i.kind, refId: i.ref_id })),
        { signal: ctx.signal, progress: (f) => ctx.progress(f * 0.95) },
      );
      ctx.signal.throwIfAborted();
      // Adopt it (unless a newer schedule is on air already), numbered after the old one: one transaction.
      const adopted = await db.transaction().execute(async (tx) => {
        const cur = await tx.selectFrom("channels").selectAll().where("id", "=", channelId).executeTakeFirst();
        if (!cur || Number(cur.schedule_version) >= version) return false;
        const old = cur.schedule ? prepare(JSON.parse(cur.schedule) as CompiledSchedule) : null;
        const next = adopt(old, stateOf(cur), now());
        await tx
          .updateTable("channels")
          .set({ schedule: JSON.stringify(schedule), schedule_version: version, epoch: next.epoch, seq_base: next.seqBase, disc_base: next.discBase, updated_at: now() })
          .where("id", "=", channelId)
          .where("schedule_version", "=", cur.schedule_version)
          .execute();
        return true;
      });
      if (adopted) changed(channelId, "schedule");
      return { version, segments: schedule.segments.length, flagged: schedule.items.filter((i) => i.problem).length, adopted };
    },

    /** The live media playlist now; null when the channel does not exist or has nothing compiled. */
    async livePlaylist(channelId: string): Promise<string | null> {
      const r = await rowOf(channelId);
      const p = r && preparedOf(r);
      if (!r || !p || !p.ps.s.segments.length) return null;
      const entries = windowAt(p.ps, stateOf(r), now(), CHANNEL_WINDOW);
      return livePlaylist(p.ps, entries, (key) => `media/${key}`);
    },

    /** Is `key` a file of the channel's schedule on air (so that the channel's media route may serve it)? */
    async servesKey(channelId: string, key: string): Promise<boolean> {
      const r = await rowOf(channelId);
      const p = r && preparedOf(r);
      return !!p && p.keys.has(key);
    },

    async now(channelId: string): Promise<ChannelNow | null> {
      const r = await rowOf(channelId);
      if (!r) return null;
      const t = now();
      const base = { channelId, at: new Date(t).toISOString(), playlistUrl: r.schedule ? playlistUrl(r.id) : null };
      if (r.takeover_show_id) {
        const show = await deps.shows.get(r.takeover_show_id);
        return { ...base, state: "live", item: null, card: null, nextChangeAt: null, live: { showId: r.takeover_show_id, title: show?.title ?? "", playbackUrl: show?.playbackUrl ?? null } };
      }
      const p = preparedOf(r);
      if (!p || !p.ps.s.segments.length) return { ...base, state: "off", item: null, card: null, nextChangeAt: null, live: null };
      const pos = positionAt(stateOf(r), t);
      const h = segmentAt(p.ps, pos);
      const seg = p.ps.s.segments[h % p.ps.s.segments.length]!;
      const item = p.ps.s.items[seg.item]!;
      const o = pos % p.ps.loopMs;
      const { card, nextChangeMs } = cardAt(p.ps, o);
      const cards = card ? await cardsOf({ ...p.ps, s: { ...p.ps.s, cards: [card] } }) : [];
      return { ...base, state: "playout", item: { index: seg.item, kind: item.kind, refId: item.refId, title: item.title }, card: cards[0] ?? null, nextChangeAt: new Date(t + (nextChangeMs - o)).toISOString(), live: null };
    },

    /** A show went live: every channel it is scheduled on (and not taken over already) pauses for it. */
    async onShowStarted(showId: string, at: number) {
      const ids = (await db.selectFrom("channel_takeover_shows").select("channel_id").where("show_id", "=", showId).execute()).map((x) => x.channel_id);
      for (const id of ids) {
        const res = await db.updateTable("channels").set({ takeover_show_id: showId, takeover_started_at: at, updated_at: now() }).where("id", "=", id).where("takeover_show_id", "is", null).executeTakeFirst();
        if (Number(res.numUpdatedRows)) {
          deps.log.info({ channelId: id, showId }, "channel taken over by a live show");
          changed(id, "takeover");
        }
      }
    },

    /** The show ended: the channels it had resume where they paused. */
    async onShowEnded(showId: string, at: number) {
      const rows = await db.selectFrom("channels").selectAll().where("takeover_show_id", "=", showId).execute();
      for (const r of rows) await handBackChannel(r, at);
    },

    /** At start: a takeover whose show is no longer live (it ended while we were down) is handed back. */
    async recover() {
      const rows = await db.selectFrom("channels").selectAll().where("takeover_show_id", "is not", null).execute();
      for (const r of rows) {
        const show = await deps.shows.get(r.takeover_show_id!);
        if (show?.status === "live") continue;
        const endedAt = show?.endedAt ? Date.parse(show.endedAt) : now();
        await handBackChannel(r, Math.max(Number(r.takeover_started_at), endedAt));
      }
    },
  };
  return self;
}

export type Channels = ReturnType<typeof createChannels>;
