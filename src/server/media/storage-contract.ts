/**
 * The MediaStorage contract as tests: every implementation (local disk, S3) runs this same suite, so
 * the recorder, replays, clips and images behave the same whichever one a deployment configures.
 * (Not a *.test.ts file itself: storage.test.ts and s3-storage.test.ts call it.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Readable } from "node:stream";
import { InvalidStorageKeyError, isValidStorageKey, type MediaStorage } from "./storage.ts";

export interface ContractSubject {
  storage: MediaStorage;
  /** how many requests the storage has made so far, where that can be counted (S3: the server's count) */
  requests?: () => Promise<number> | number;
}

async function bytes(r: Readable | null): Promise<Buffer | null> {
  if (!r) return null;
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** 0..255 repeated: every byte's value tells where it was */
const pattern = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

export const INVALID_KEYS = [
  "",
  "../secret.txt",
  "replays/../../secret.txt",
  "replays/./x",
  "/etc/passwd",
  "replays//x",
  "replays/x/",
  ".hidden",
  "replays/.x",
  "replays\\..\\secret.txt",
  "replays/x%2F..",
  "replays/a b",
  "replays/é",
  "a".repeat(600),
  "replays/x\u0000",
];

/** Registers the contract's tests (call inside a describe whose before() sets up `subject()`). */
export function storageContract(subject: () => ContractSubject) {
  // Each run uses its own folder, so the suite does not depend on what an earlier run left.
  const run = `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  test("round trip: Buffer and string in, the same bytes out (read and stream)", async () => {
    const { storage } = subject();
    const data = pattern(300_000);
    await storage.write(`${run}/rt/a.mp4`, data);
    await storage.write(`${run}/rt/index.m3u8`, "#EXTM3U\n#EXT-X-ENDLIST\n");
    assert.deepEqual(await storage.read(`${run}/rt/a.mp4`), data);
    assert.deepEqual(await bytes(await storage.stream(`${run}/rt/a.mp4`)), data);
    assert.equal((await storage.read(`${run}/rt/index.m3u8`))?.toString("utf8"), "#EXTM3U\n#EXT-X-ENDLIST\n");
    await storage.write(`${run}/rt/empty.json`, Buffer.alloc(0));
    assert.deepEqual(await storage.stat(`${run}/rt/empty.json`), { size: 0 });
    assert.equal((await storage.read(`${run}/rt/empty.json`))?.length, 0);
  });

  test("absent objects are null, never an error; a folder is not an object", async () => {
    const { storage } = subject();
    assert.equal(await storage.read(`${run}/none/a.mp4`), null);
    assert.equal(await storage.stat(`${run}/none/a.mp4`), null);
    assert.equal(await storage.stream(`${run}/none/a.mp4`), null);
    assert.equal(await storage.stream(`${run}/none/a.mp4`, { start: 0, end: 0 }), null);
    assert.deepEqual(await storage.list(`${run}/none/`), []);
    await storage.write(`${run}/folder/inner/x.mp4`, "x");
    assert.equal(await storage.read(`${run}/folder/inner`), null);
    assert.equal(await storage.stat(`${run}/folder/inner`), null);
    assert.equal(await storage.stream(`${run}/folder/inner`), null);
  });

  test("replace: a second write is what every reader sees", async () => {
    const { storage } = subject();
    const key = `${run}/replace/seg.m4s`;
    await storage.write(key, pattern(5000));
    await storage.write(key, Buffer.from("new"));
    assert.equal((await storage.read(key))?.toString(), "new");
    assert.deepEqual(await storage.stat(key), { size: 3 });
    assert.equal((await bytes(await storage.stream(key)))?.toString(), "new");
    assert.deepEqual(await storage.list(`${run}/replace/`), [key], "one object, not two");
  });

  test("stat gives the size in bytes", async () => {
    const { storage } = subject();
    await storage.write(`${run}/stat/a.jpg`, pattern(12_345));
    await storage.write(`${run}/stat/b.txt`, "héllo");
    assert.deepEqual(await storage.stat(`${run}/stat/a.jpg`), { size: 12_345 });
    assert.deepEqual(await storage.stat(`${run}/stat/b.txt`), { size: 6 }, "bytes, not characters");
  });

  test("ranges: the first byte, the last byte, the middle, the whole", async () => {
    const { storage } = subject();
    const data = pattern(100_003);
    const key = `${run}/range/v.mp4`;
    await storage.write(key, data);
    const slice = async (start: number, end: number) => bytes(await storage.stream(key, { start, end }));
    assert.deepEqual(await slice(0, 0), data.subarray(0, 1));
    assert.deepEqual(await slice(100_002, 100_002), data.subarray(100_002));
    assert.deepEqual(await slice(40_000, 70_123), data.subarray(40_000, 70_124));
    assert.deepEqual(await slice(0, 100_002), data);
    assert.deepEqual(await slice(99_000, 100_002), data.subarray(99_000), "a tail");
  });

  test("list: keys directly under the prefix, sorted, past 1000 (pagination), not those of nested folders", async () => {
    const { storage } = subject();
    const p = `${run}/many/`;
    // Names whose order differs between naive and byte-wise comparisons: case, digits, "-", ".", "_".
    const names: string[] = [];
    for (let i = 0; i < 1040; i++) names.push(`s${String(i).padStart(5, "0")}.m4s`);
    names.push("A.mp4", "Z-1.mp4", "a.mp4", "a-b.mp4", "a.b.mp4", "a_b.mp4", "0.mp4", "9.mp4", "index.m3u8");
    const shuffled = [...names].sort(() => Math.random() - 0.5);
    for (let i = 0; i < shuffled.length; i += 40) await Promise.all(shuffled.slice(i, i + 40).map((n) => storage.write(p + n, n)));
    // nested: in a deeper folder, in a sibling folder whose name extends the prefix's
    await storage.write(`${p}sub/deep.mp4`, "deep");
    await storage.write(`${p}sub/deeper/x.mp4`, "x");
    await storage.write(`${run}/many-more/x.mp4`, "x");

    const listed = await storage.list(p);
    const expected = names.map((n) => p + n).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.equal(listed.length, names.length);
    assert.deepEqual(listed, expected, "sorted byte-wise, which for these ASCII keys is also JavaScript's default sort");
    assert.deepEqual(await storage.list(`${p}sub/`), [`${p}sub/deep.mp4`]);
    assert.deepEqual(await storage.list(`${p}sub/deeper/`), [`${p}sub/deeper/x.mp4`]);
    assert.deepEqual(await storage.list(`${run}/`), [], "folders are not listed as objects");
  });

  test("delete: gone afterwards; deleting what is absent is no error", async () => {
    const { storage } = subject();
    const key = `${run}/del/a.png`;
    await storage.write(key, "x");
    await storage.write(`${run}/del/b.png`, "y");
    await storage.delete(key);
    await storage.delete(key);
    await storage.delete(`${run}/del/never.png`);
    await storage.delete(`${run}/never/never.png`);
    assert.equal(await storage.read(key), null);
    assert.equal(await storage.stat(key), null);
    assert.deepEqual(await storage.list(`${run}/del/`), [`${run}/del/b.png`]);
  });

  test("invalid keys are refused before storage is touched", async () => {
    const { storage, requests } = subject();
    const before = await requests?.();
    for (const key of INVALID_KEYS) {
      assert.equal(isValidStorageKey(key), false, JSON.stringify(key));
      await assert.rejects(storage.read(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.write(key, "x"), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.stat(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.stream(key), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.stream(key, { start: 0, end: 1 }), InvalidStorageKeyError, JSON.stringify(key));
      await assert.rejects(storage.delete(key), InvalidStorageKeyError, JSON.stringify(key));
    }
    await assert.rejects(storage.list("../"), InvalidStorageKeyError);
    await assert.rejects(storage.list("/"), InvalidStorageKeyError);
    await assert.rejects(storage.list(""), InvalidStorageKeyError);
    await assert.rejects(storage.list("replays"), InvalidStorageKeyError, "a prefix ends with /");
    if (requests) assert.equal(await requests(), before, "no request was made for an invalid key");
    for (const key of ["replays/shw_1/index.m3u8", "replays/shw_0lx2k9a0f00a3q8h1m2nxk/ab12-s3-t1767225600123-d1001000.mp4", "a..b"]) {
      assert.equal(isValidStorageKey(key), true, key);
    }
  });
}
