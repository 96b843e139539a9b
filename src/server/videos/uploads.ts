/**
 * Creators' video uploads: resumable (tus, @tus/server with a file store in the data dir), judged by
 * content once complete (ffprobe), then transcoded by the `video.transcode` job into an fMP4 HLS VOD
 * rendition and a poster. See docs/media-jobs.md, "Uploads" and "Transcodes".
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import fs from "node:fs";
import path from "node:path";
import { Server as TusServer } from "@tus/server";
import { FileStore } from "@tus/file-store";
import type { Upload } from "@tus/server";
import type { Kysely } from "kysely";
import type { User } from "../../shared/contracts/accounts.ts";
import { UploadMetadata, type UploadOptions } from "../../shared/contracts/videos.ts";
import type { Database, Db } from "../platform/db.ts";
import { fail, type Result } from "../platform/errors.ts";
import type { ErrorCode } from "../../shared/contracts/errors.ts";
import { problemBody } from "../platform/http.ts";
import type { Jobs, JobContext } from "../jobs/runner.ts";
import type { MediaStorage } from "../media/storage.ts";
import { probeUpload, transcodeToHls, HLS_PLAYLIST, type ProbedVideo } from "./transcode.ts";
import { videoHlsPrefix, videoPosterKey, type Videos } from "./service.ts";
import type { VideosTables } from "./schema.ts";

export const TRANSCODE_JOB = "video.transcode";
export const UPLOADS_PATH = "/api/v1/uploads/videos";
/** the response header that names the video a finished upload became */
export const VIDEO_ID_HEADER = "Vetrina-Video-Id";

/**
 * Everything the transcode needs, including what makes the video's row: the job can (re)create it if
 * the process died between queueing the job and inserting the row, so a finished upload is never lost.
 */
export interface TranscodePayload {
  videoId: string;
  uploadId: string;
  ownerUserId: string;
  merchantId: string;
  title: string;
  caption: string | null;
  productIds: string[];
  publish: boolean;
  probe: ProbedVideo;
  createdAt: number;
}

export interface UploadsDeps {
  db: Db;
  jobs: Pick<Jobs, "enqueue">;
  storage: MediaStorage;
  videos: Pick<Videos, "checkTaggable">;
  ffmpegPath: () => string;
  ffprobePath: () => string | null;
  maxBytes: number;
  maxSeconds: number;
  expiryMs: number;
  stagingDir: string;
  /** may `user` make videos for `merchantId`? (its staff, a creator who may host for it, an admin) */
  mayUploadFor(user: User, merchantId: string): Promise<boolean>;
  /** merchants `user` may upload for, for the studio's picker */
  uploadMerchants(user: User): Promise<{ id: string; name: string }[]>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  clock?: () => number;
}

export interface Uploads {
  tus: TusServer;
  /** Checks a creation request (before tus sees it): who, for which merchant, what metadata, what size. */
  authorizeCreate(user: User, headers: IncomingMessage["headers"]): Promise<Result<{}>>;
  /** Checks a request on an existing upload: only its creator may continue, inspect or end it. */
  authorizeExisting(user: User, uploadId: string): Promise<Result<{}>>;
  /** Remembers who makes the upload this (raw) request creates. */
  claim(raw: IncomingMessage, user: User): void;
  options(user: User): Promise<UploadOptions>;
  /** the `video.transcode` job handler */
  transcodeHandler(ctx: JobContext): Promise<unknown>;
  /** Deletes abandoned (expired, unfinished) staging files; started by start(). */
  cleanupExpired(): Promise<number>;
  start(): void;
  close(): void;
}

/** An upload's video id, from the tus upload id: the same upload always makes the same video. */
export function uploadVideoId(uploadId: string): string {
  return `vid_${createHash("sha256").update(`upload:${uploadId}`).digest("base64url").slice(0, 22)}`;
}

/** Upload-Metadata: comma-separated `key base64value` pairs (tus 1.0.0). */
export function parseUploadMetadata(header: string | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const pair of header.split(",")) {
    const [key, value, ...rest] = pair.trim().split(" ");
    if (!key || rest.length || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) return null;
    out[key] = value ? Buffer.from(value, "base64").toString("utf8") : "";
  }
  return out;
}

/** tus answers errors as text/plain; our refusals (the hooks' problem bodies) go out as problem+json. */
class ProblemTusServer extends TusServer {
  override write(context: Parameters<TusServer["write"]>[0], headers: Headers, status: number, body?: string) {
    if (status >= 400 && body?.startsWith('{"type":"https://vetrina.dev/problems/')) headers.set("Content-Type", "application/problem+json");
    return super.write(context, headers, status, body);
  }
}

class Refusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function createUploads(deps: UploadsDeps): Uploads {
  const db = deps.db.withTables<VideosTables>() as unknown as Kysely<VideosTables & Database>;
  const now = deps.clock ?? Date.now;
  fs.mkdirSync(deps.stagingDir, { recursive: true });
  const store = new FileStore({ directory: deps.stagingDir, expirationPeriodInMilliseconds: deps.expiryMs });
  const owners = new WeakMap<IncomingMessage, string>();
  let sweeper: NodeJS.Timeout | undefined;
  const rawOf = (req: unknown): IncomingMessage | undefined => (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  const stagingFile = (uploadId: string) => path.join(deps.stagingDir, uploadId);
  const removeStaging = (uploadId: string) => store.remove(uploadId).catch(() => {});
  // One directory per attempt: an ffmpeg orphaned by a crashed process may still be writing into its own.
  const workDir = (videoId: string, attempt: number) => path.join(deps.stagingDir, "work", `${videoId}-${attempt}-${randomBytes(4).toString("hex")}`);

  async function accept(upload: Upload): Promise<string> {
    // tus stores a key sent without a value as null
    const meta = UploadMetadata.safeParse(Object.fromEntries(Object.entries(upload.metadata ?? {}).filter(([, v]) => v !== null && v !== "")));
    const owner = upload.metadata?.owner;
    if (!meta.success || !owner) throw new Refusal("validation_failed", "The upload's metadata is not valid.");
    const verdict = await probeUpload({ ffprobe: deps.ffprobePath() ?? "ffprobe", ffmpeg: deps.ffmpegPath(), file: stagingFile(upload.id), maxSeconds: deps.maxSeconds });
    if (!verdict.ok) throw new Refusal(verdict.code, verdict.message);
    const videoId = uploadVideoId(upload.id);
    const payload: TranscodePayload = {
      videoId,
      uploadId: upload.id,
      ownerUserId: owner,
      merchantId: meta.data.merchantId,
      title: meta.data.title,
      caption: meta.data.caption || null,
      productIds: meta.data.products,
      publish: meta.data.publish === "1",
      probe: verdict.video,
      createdAt: now(),
    };
    // The job first (keyed by the video), then the row: if we die in between, the job makes the row.
    const job = await deps.jobs.enqueue(TRANSCODE_JOB, `transcode:${videoId}`, payload, { maxAttempts: 3 });
    await ensureRow(payload, job.id);
    deps.log.info({ videoId, uploadId: upload.id, bytes: upload.size, durationMs: verdict.video.durationMs }, "upload accepted");
    return videoId;
  }

  /** Inserts the upload's row and its product tags, once (a second call finds them). */
  async function ensureRow(p: TranscodePayload, jobId: string) {
    await db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto("short_videos")
        .values({
          id: p.videoId,
          kind: "upload",
          show_id: null,
          product_id: null,
          owner_user_id: p.ownerUserId,
          merchant_id: p.merchantId,
          status: "processing",
          media_key: null,
          poster_key: null,
          duration_ms: p.probe.durationMs,
          width: p.probe.width,
          height: p.probe.height,
          job_id: jobId,
          created_at: p.createdAt,
          published_at: null,
          title: p.title,
          caption: p.caption,
          publish_when_ready: p.publish ? 1 : 0,
          failure: null,
          tags_set: 1,
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 && p.productIds.length) {
        // Checked at creation; a product archived since is shown no more (productsOf filters), still fine to link.
        const existing = await tx.selectFrom("products").select("id").where("id", "in", p.productIds).where("merchant_id", "=", p.merchantId).execute();
        const ok = new Set(existing.map((e) => e.id));
        const ids = p.productIds.filter((id) => ok.has(id));
        if (ids.length) await tx.insertInto("short_video_products").values(ids.map((product_id, position) => ({ video_id: p.videoId, product_id, position }))).execute();
      }
    });
  }

  const tus = new ProblemTusServer({
    path: UPLOADS_PATH,
    datastore: store,
    maxSize: deps.maxBytes,
    relativeLocation: true,
    // Same-origin only: the studio is served by this app (no CORS headers for other sites).
    allowedOrigins: () => false,
    respectForwardedHeaders: true,
    exposedHeaders: [VIDEO_ID_HEADER],
    async onUploadCreate(req, upload) {
      const raw = rawOf(req);
      const owner = raw ? owners.get(raw) : undefined;
      if (!owner) throw { status_code: 401, body: JSON.stringify(problemBody("unauthenticated")) };
      // Only what we understand is kept, plus the owner (never from the client: it is the session's).
      const { filename, filetype, owner: _ignored, ...rest } = upload.metadata ?? {};
      return { metadata: { ...rest, ...(filename ? { filename } : {}), ...(filetype ? { filetype } : {}), owner } };
    },
    async onUploadFinish(_req, upload) {
      try {
        const videoId = await accept(upload);
        return { headers: { [VIDEO_ID_HEADER]: videoId } };
      } catch (err) {
        // Refused (or broken): nothing stays behind, and the client hears why as problem+json.
        await removeStaging(upload.id);
        if (err instanceof Refusal) {
          deps.log.info({ uploadId: upload.id, code: err.code }, "upload refused");
          throw { status_code: problemBody(err.code).status, body: JSON.stringify(problemBody(err.code, err.message)) };
        }
        deps.log.error({ err, uploadId: upload.id }, "upload could not be accepted");
        throw { status_code: 500, body: JSON.stringify(problemBody("internal_error")) };
      }
    },
    onResponseError(req, err) {
      // tus's own refusals (size, offsets, missing upload) are plain text; ours are problem+json already.
      if (!(err instanceof Error) && typeof err.body === "string" && err.body.startsWith("{")) return undefined;
      if (err instanceof Error) deps.log.error({ err }, "tus request failed");
      return undefined;
    },
  });

  const self: Uploads = {
    tus,

    async authorizeCreate(user, headers) {
      const meta = parseUploadMetadata(headers["upload-metadata"] as string | undefined);
      if (!meta) return fail("validation_failed", "Upload-Metadata is malformed.");
      const parsed = UploadMetadata.safeParse(meta);
      if (!parsed.success) return fail("validation_failed", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
      if (!(await deps.mayUploadFor(user, parsed.data.merchantId))) return fail("forbidden", "You cannot make videos for this shop.");
      const length = headers["upload-length"];
      if (typeof length !== "string" || !/^\d{1,15}$/.test(length)) return fail("validation_failed", "Upload-Length is required (the video's size in bytes).");
      if (Number(length) > deps.maxBytes) return fail("upload_too_large", `The video is ${Number(length)} bytes; at most ${deps.maxBytes} are allowed.`);
      if (Number(length) === 0) return fail("upload_not_video", "The file is empty.");
      const tags = await deps.videos.checkTaggable(parsed.data.merchantId, parsed.data.products);
      if (!tags.ok) return tags;
      return { ok: true };
    },

    async authorizeExisting(user, uploadId) {
      if (!/^[A-Za-z0-9_-]{1,128}$/.test(uploadId)) return fail("not_found", "No such upload.");
      let upload: Upload;
      try {
        upload = await store.getUpload(uploadId);
      } catch {
        return { ok: true }; // tus answers 404 itself (and the client starts over)
      }
      if (upload.metadata?.owner !== user.id) return fail("forbidden", "This upload is someone else's.");
      return { ok: true };
    },

    claim(raw, user) {
      owners.set(raw, user.id);
    },

    async options(user) {
      return { merchants: await deps.uploadMerchants(user), maxBytes: deps.maxBytes, maxSeconds: deps.maxSeconds };
    },

    async transcodeHandler(ctx) {
      const p = ctx.job.payload as TranscodePayload;
      await ensureRow(p, ctx.job.id);
      const r = await db.selectFrom("short_videos").select(["status"]).where("id", "=", p.videoId).executeTakeFirstOrThrow();
      if (r.status !== "processing") {
        // Discarded meanwhile, or done by an attempt that died before the job was marked done.
        await removeStaging(p.uploadId);
        return { videoId: p.videoId, skipped: r.status };
      }
      const dir = workDir(p.videoId, ctx.job.attempts);
      try {
        const source = stagingFile(p.uploadId);
        if (!fs.existsSync(source)) throw new Error("the uploaded file is gone from staging");
        ctx.progress(0.02);
        const out = await transcodeToHls({
          ffmpeg: deps.ffmpegPath(),
          ffprobe: deps.ffprobePath(),
          source,
          outDir: dir,
          durationMs: p.probe.durationMs,
          hasAudio: p.probe.hasAudio,
          signal: ctx.signal,
          onProgress: (f) => ctx.progress(0.02 + 0.88 * f),
        });
        // Same keys on every run (a re-run overwrites them); the playlist last, so it never names a missing segment.
        const prefix = videoHlsPrefix(p.videoId);
        for (const [i, name] of out.files.entries()) {
          ctx.signal.throwIfAborted();
          await deps.storage.write(prefix + name, await fs.promises.readFile(path.join(dir, name)));
          ctx.progress(0.9 + (0.08 * (i + 1)) / out.files.length);
        }
        for (const stale of await deps.storage.list(prefix)) if (!out.files.includes(stale.slice(prefix.length))) await deps.storage.delete(stale);
        await deps.storage.write(videoPosterKey(p.videoId), await fs.promises.readFile(out.poster));
        ctx.signal.throwIfAborted();
        // Only now, with every file stored, does the video become visible: one conditional update.
        const t = now();
        const res = await db
          .updateTable("short_videos")
          .set({
            status: p.publish ? "published" : "draft",
            published_at: p.publish ? t : null,
            media_key: prefix + HLS_PLAYLIST,
            poster_key: videoPosterKey(p.videoId),
            duration_ms: out.durationMs ?? p.probe.durationMs,
            width: out.width ?? p.probe.width,
            height: out.height ?? p.probe.height,
            failure: null,
          })
          .where("id", "=", p.videoId)
          .where("status", "=", "processing")
          .executeTakeFirst();
        const flipped = Number(res.numUpdatedRows) === 1;
        if (!flipped) {
          // Discarded while we worked: what we just stored must not outlive it.
          const current = await db.selectFrom("short_videos").select("status").where("id", "=", p.videoId).executeTakeFirst();
          if (!current || current.status === "discarded") {
            for (const key of await deps.storage.list(prefix)) await deps.storage.delete(key);
            await deps.storage.delete(videoPosterKey(p.videoId));
          }
        }
        await removeStaging(p.uploadId);
        return { videoId: p.videoId, flipped, files: out.files.length, durationMs: out.durationMs };
      } catch (err) {
        if (!ctx.signal.aborted && ctx.job.attempts >= ctx.job.maxAttempts) {
          const reason = err instanceof Error ? err.message : String(err);
          await db.updateTable("short_videos").set({ status: "failed", failure: "The video could not be processed." }).where("id", "=", p.videoId).where("status", "=", "processing").execute();
          for (const key of await deps.storage.list(videoHlsPrefix(p.videoId))) await deps.storage.delete(key);
          await deps.storage.delete(videoPosterKey(p.videoId));
          await removeStaging(p.uploadId);
          deps.log.error({ videoId: p.videoId, reason }, "transcode failed for good");
        }
        throw err;
      } finally {
        await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => {});
      }
    },

    cleanupExpired: () => store.deleteExpired(),

    start() {
      if (sweeper) return;
      const sweep = () =>
        self.cleanupExpired().then(
          (n) => n && deps.log.info({ removed: n }, "abandoned uploads removed"),
          (err) => deps.log.warn({ err }, "abandoned uploads not swept"),
        );
      void sweep();
      // Work directories of attempts that died with their process (a day old: surely not running).
      void (async () => {
        const root = path.join(deps.stagingDir, "work");
        for (const name of await fs.promises.readdir(root).catch(() => [] as string[])) {
          const st = await fs.promises.stat(path.join(root, name)).catch(() => null);
          if (st && now() - st.mtimeMs > 86_400_000) await fs.promises.rm(path.join(root, name), { recursive: true, force: true }).catch(() => {});
        }
      })();
      sweeper = setInterval(sweep, Math.max(60_000, Math.min(deps.expiryMs / 4, 3600_000)));
      sweeper.unref();
    },

    close() {
      clearInterval(sweeper);
      sweeper = undefined;
    },
  };
  return self;
}
