/**
 * Where recorded media lives: a small object store (keys → bytes), so that the recordings of shows
 * can move from the local disk to S3-compatible storage without the recorder or the replay routes
 * changing. The embedded default keeps objects as files under `<DATA_DIR>/media/`.
 *
 * With STORAGE=s3 the same interface is served by S3-compatible object storage (s3-storage.ts); see
 * docs/media-jobs.md, "Storage".
 *
 * Keys are `/`-separated names of letters, digits, `.`, `_` and `-`, each starting with a letter or
 * a digit (so no `..`, no hidden files, no absolute paths): `replays/<showId>/<file>`. Every method
 * rejects any other key with an InvalidStorageKeyError before it touches storage.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import type { S3StorageConfig } from "./s3-storage.ts";

export interface MediaStorage {
  /** Stores `data` under `key`, replacing what is there. Readers see the old object or the new one, never part of one. */
  write(key: string, data: Buffer | string): Promise<void>;
  /** The object's size, or null when there is none. */
  stat(key: string): Promise<{ size: number } | null>;
  /** The whole object, or null when there is none. */
  read(key: string): Promise<Buffer | null>;
  /** The object's bytes `start`…`end` (inclusive; default: all) as a stream, or null when there is none. */
  stream(key: string, range?: { start: number; end: number }): Promise<Readable | null>;
  /** Keys of the objects directly under `prefix` (which ends with `/`), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
}

export class InvalidStorageKeyError extends RangeError {
  constructor(key: string) {
    super(`invalid storage key: ${JSON.stringify(key.slice(0, 200))}`);
  }
}

/** A failed storage operation (S3), described without anything secret; at start-up, an unreachable bucket. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly op: string,
    readonly key: string,
    readonly status: number | undefined,
    readonly awsCode: string | undefined,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = "StorageError";
  }
}

const PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MAX_KEY = 512;

/** Could `key` name an object? (See the module comment.) */
export function isValidStorageKey(key: string): boolean {
  if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY) return false;
  return key.split("/").every((p) => PART.test(p));
}

function checkKey(key: string): void {
  if (!isValidStorageKey(key)) throw new InvalidStorageKeyError(key);
}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  mp4: "video/mp4",
  m4s: "video/iso.segment",
  m4a: "audio/mp4",
  ts: "video/mp2t",
  aac: "audio/aac",
  vtt: "text/vtt; charset=utf-8",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  avif: "image/avif",
  svg: "image/svg+xml",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
};

/** The Content-Type a stored object is served with, by its name's extension. */
export function contentTypeOf(key: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase() ?? "";
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

/**
 * Cache-Control stored with an object, for whatever serves the bucket directly (a CDN in front of it).
 * Playlists and JSON may be rewritten (a recording finalized again), so caches revalidate them; media
 * and images are written under names that are never reused for other content, so caches may keep them.
 */
export function cacheControlOf(key: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(key)?.[1]?.toLowerCase() ?? "";
  if (ext === "m3u8" || ext === "json") return "no-cache";
  return "public, max-age=31536000, immutable";
}

/**
 * The embedded default: one file per object under `root`. A write goes to a hidden temporary file in
 * the same directory, then is renamed over the key (atomic on POSIX), so a crash mid-write leaves at
 * most a `.tmp-*` file, which no key can name and list() does not show.
 */
export function localDiskStorage(root: string): MediaStorage {
  const base = path.resolve(root);
  /** the file of a valid key; also checked to stay under root, in case the key rules ever loosen */
  const fileOf = (key: string): string => {
    checkKey(key);
    const file = path.resolve(base, ...key.split("/"));
    if (!file.startsWith(base + path.sep)) throw new InvalidStorageKeyError(key);
    return file;
  };
  const absent = (err: unknown) => (err as NodeJS.ErrnoException)?.code === "ENOENT" || (err as NodeJS.ErrnoException)?.code === "ENOTDIR";

  return {
    async write(key, data) {
      const file = fileOf(key);
      const dir = path.dirname(file);
      await fs.promises.mkdir(dir, { recursive: true });
      const tmp = path.join(dir, `.tmp-${randomBytes(6).toString("hex")}-${path.basename(file)}`);
      try {
        await fs.promises.writeFile(tmp, data);
        await fs.promises.rename(tmp, file);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true }).catch(() => {});
        throw err;
      }
    },

    async stat(key) {
      try {
        const st = await fs.promises.stat(fileOf(key));
        return st.isFile() ? { size: st.size } : null;
      } catch (err) {
        if (absent(err)) return null;
        throw err;
      }
    },

    async read(key) {
      try {
        return await fs.promises.readFile(fileOf(key));
      } catch (err) {
        if (absent(err) || (err as NodeJS.ErrnoException).code === "EISDIR") return null;
        throw err;
      }
    },

    async stream(key, range) {
      const file = fileOf(key);
      let handle: fs.promises.FileHandle;
      try {
        handle = await fs.promises.open(file, "r");
      } catch (err) {
        if (absent(err)) return null;
        throw err;
      }
      if (!(await handle.stat()).isFile()) {
        await handle.close();
        return null;
      }
      // The stream closes the handle when it ends or is destroyed.
      return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
    },

    async list(prefix) {
      if (!prefix.endsWith("/")) throw new InvalidStorageKeyError(prefix);
      const dir = fileOf(prefix.slice(0, -1));
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (absent(err)) return [];
        throw err;
      }
      return entries
        .filter((e) => e.isFile() && PART.test(e.name))
        .map((e) => prefix + e.name)
        .sort();
    },

    async delete(key) {
      await fs.promises.rm(fileOf(key), { force: true });
    },
  };
}

/** Where persistent media lives, as configured (STORAGE, S3_*). */
export type StorageConfig = { kind: "local" } | ({ kind: "s3" } & S3StorageConfig);

export interface OpenedStorage {
  /** recordings, replays, videos… (`<DATA_DIR>/media/` on local disk) */
  media: MediaStorage;
  /** uploaded images, by file name (`<DATA_DIR>/uploads/` on local disk, `uploads/` in the bucket) */
  images: MediaStorage;
  close(): void;
}

/**
 * Opens the configured storage. S3 is checked (HeadBucket) before anything is built on it, so a wrong
 * bucket, endpoint or key fails the start-up with a readable message instead of the first recording.
 * The S3 client is loaded only when configured: the embedded default never needs it.
 */
export async function openStorage(config: StorageConfig, dirs: { mediaDir: string; uploadsDir: string }, log: Logger): Promise<OpenedStorage> {
  if (config.kind === "local") return { media: localDiskStorage(dirs.mediaDir), images: localDiskStorage(dirs.uploadsDir), close() {} };
  const { s3Storage } = await import("./s3-storage.ts");
  const { kind: _kind, ...s3 } = config;
  const storage = s3Storage(s3, { log });
  try {
    await storage.verify();
  } catch (err) {
    storage.close();
    throw err;
  }
  log.info({ endpoint: s3.endpoint ?? "aws", region: s3.region, bucket: s3.bucket, prefix: s3.prefix }, "media storage: S3");
  return { media: storage, images: prefixedStorage(storage, "uploads/"), close: () => storage.close() };
}

/** `storage`'s objects under `prefix` (which ends with "/"), named without it. */
export function prefixedStorage(storage: MediaStorage, prefix: string): MediaStorage {
  if (!prefix.endsWith("/") || !isValidStorageKey(prefix.slice(0, -1))) throw new InvalidStorageKeyError(prefix);
  const k = (key: string) => {
    checkKey(key);
    return prefix + key;
  };
  return {
    write: async (key, data) => storage.write(k(key), data),
    stat: async (key) => storage.stat(k(key)),
    read: async (key) => storage.read(k(key)),
    stream: async (key, range) => storage.stream(k(key), range),
    async list(p) {
      if (!p.endsWith("/")) throw new InvalidStorageKeyError(p);
      return (await storage.list(k(p.slice(0, -1)) + "/")).map((key) => key.slice(prefix.length));
    },
    delete: async (key) => storage.delete(k(key)),
  };
}
