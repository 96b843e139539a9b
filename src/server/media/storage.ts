/**
 * Where recorded media lives: a small object store (keys → bytes), so that the recordings of shows
 * can move from the local disk to S3-compatible storage without the recorder or the replay routes
 * changing. The embedded default keeps objects as files under `<DATA_DIR>/media/`.
 *
 * Keys are `/`-separated names of letters, digits, `.`, `_` and `-`, each starting with a letter or
 * a digit (so no `..`, no hidden files, no absolute paths): `replays/<showId>/<file>`. Every method
 * rejects any other key with an InvalidStorageKeyError before it touches storage.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";

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
