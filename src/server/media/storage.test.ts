import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { cacheControlOf, contentTypeOf, InvalidStorageKeyError, isValidStorageKey, localDiskStorage, prefixedStorage, type MediaStorage } from "./storage.ts";
import { INVALID_KEYS, storageContract } from "./storage-contract.ts";

async function text(r: Readable | null): Promise<string | null> {
  if (!r) return null;
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("local disk media storage: the MediaStorage contract", () => {
  let dir: string;
  let storage: MediaStorage;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-storage-contract-"));
    storage = localDiskStorage(path.join(dir, "media"));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  storageContract(() => ({ storage }));
});

describe("local disk media storage", () => {
  let dir: string;
  let root: string;
  let storage: MediaStorage;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-storage-"));
    root = path.join(dir, "media");
    storage = localDiskStorage(root);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("write, stat, read, stream a range, list, replace, delete", async () => {
    assert.equal(await storage.read("replays/shw_1/a.mp4"), null);
    assert.equal(await storage.stat("replays/shw_1/a.mp4"), null);
    assert.deepEqual(await storage.list("replays/shw_1/"), []);

    await storage.write("replays/shw_1/a.mp4", Buffer.from("0123456789"));
    await storage.write("replays/shw_1/index.m3u8", "#EXTM3U\n");
    assert.equal(fs.readFileSync(path.join(root, "replays", "shw_1", "a.mp4"), "utf8"), "0123456789", "a file under <root>/<key>");
    assert.deepEqual(await storage.stat("replays/shw_1/a.mp4"), { size: 10 });
    assert.equal((await storage.read("replays/shw_1/index.m3u8"))?.toString(), "#EXTM3U\n");
    assert.equal(await text(await storage.stream("replays/shw_1/a.mp4")), "0123456789");
    assert.equal(await text(await storage.stream("replays/shw_1/a.mp4", { start: 2, end: 4 })), "234");
    assert.equal(await storage.stream("replays/shw_1/missing.mp4"), null);
    assert.deepEqual(await storage.list("replays/shw_1/"), ["replays/shw_1/a.mp4", "replays/shw_1/index.m3u8"]);
    assert.deepEqual(await storage.list("replays/"), [], "only objects directly under the prefix");

    await storage.write("replays/shw_1/a.mp4", Buffer.from("new"));
    assert.equal((await storage.read("replays/shw_1/a.mp4"))?.toString(), "new");

    await storage.delete("replays/shw_1/a.mp4");
    await storage.delete("replays/shw_1/a.mp4");
    assert.equal(await storage.read("replays/shw_1/a.mp4"), null);
    assert.deepEqual(await storage.list("replays/shw_1/"), ["replays/shw_1/index.m3u8"]);
  });

  test("a folder is not an object", async () => {
    await storage.write("replays/shw_2/x.mp4", "x");
    assert.equal(await storage.read("replays/shw_2"), null);
    assert.equal(await storage.stat("replays/shw_2"), null);
    assert.equal(await storage.stream("replays/shw_2"), null);
  });

  test("writes are atomic: temporary files are hidden from list() and from every key", async () => {
    const folder = path.join(root, "replays", "shw_3");
    await storage.write("replays/shw_3/seg.mp4", Buffer.alloc(1024 * 1024, 7));
    // what a crash mid-write leaves behind
    fs.writeFileSync(path.join(folder, ".tmp-abc-seg2.mp4"), "half");
    assert.deepEqual(await storage.list("replays/shw_3/"), ["replays/shw_3/seg.mp4"]);
    assert.equal(fs.readdirSync(folder).filter((n) => n.startsWith(".tmp-") && n !== ".tmp-abc-seg2.mp4").length, 0, "no temporary file left by a write");
    await assert.rejects(storage.read("replays/shw_3/.tmp-abc-seg2.mp4"), InvalidStorageKeyError);
  });

  test("names are validated: no traversal, no absolute paths, no hidden or empty parts", async () => {
    fs.writeFileSync(path.join(dir, "secret.txt"), "secret");
    for (const key of INVALID_KEYS) {
      assert.equal(isValidStorageKey(key), false, JSON.stringify(key));
      await assert.rejects(storage.read(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.write(key, "x"), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.stat(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.stream(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.delete(key), InvalidStorageKeyError, JSON.stringify(key));
    }
    await assert.rejects(storage.list("../"), InvalidStorageKeyError);
    await assert.rejects(storage.list("replays"), InvalidStorageKeyError, "a prefix ends with /");
    assert.equal(fs.readFileSync(path.join(dir, "secret.txt"), "utf8"), "secret");
    for (const key of ["replays/shw_1/index.m3u8", "replays/shw_0lx2k9a0f00a3q8h1m2nxk/ab12-s3-t1767225600123-d1001000.mp4", "a..b"]) {
      assert.equal(isValidStorageKey(key), true, key);
    }
  });

  test("a prefixed view names objects without the prefix and cannot leave it", async () => {
    const images = prefixedStorage(storage, "uploads/");
    await images.write("img_1.png", "png");
    assert.equal(fs.readFileSync(path.join(root, "uploads", "img_1.png"), "utf8"), "png");
    assert.deepEqual(await images.stat("img_1.png"), { size: 3 });
    await images.write("more/img_2.png", "png");
    assert.deepEqual(await images.list("more/"), ["more/img_2.png"]);
    await assert.rejects(images.read("../media/x"), InvalidStorageKeyError);
    await assert.rejects(images.read(""), InvalidStorageKeyError);
    assert.throws(() => prefixedStorage(storage, "uploads"), InvalidStorageKeyError);
  });
});

test("content types and cache policies by extension", () => {
  assert.equal(contentTypeOf("replays/s/index.m3u8"), "application/vnd.apple.mpegurl");
  assert.equal(contentTypeOf("replays/s/a.mp4"), "video/mp4");
  assert.equal(contentTypeOf("videos/v.JPG"), "image/jpeg");
  assert.equal(contentTypeOf("uploads/x.webp"), "image/webp");
  assert.equal(contentTypeOf("uploads/x.svg"), "image/svg+xml");
  assert.equal(contentTypeOf("x.unknown"), "application/octet-stream");
  assert.equal(cacheControlOf("replays/s/index.m3u8"), "no-cache", "a playlist may be rewritten");
  assert.match(cacheControlOf("replays/s/a.mp4"), /immutable/);
});
