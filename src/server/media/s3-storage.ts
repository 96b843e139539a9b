/**
 * MediaStorage on S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Backblaze B2…), so that
 * several nodes share recordings, clips and images. Same contract as the local disk (storage.ts), and
 * the same key rules, checked before any request is made.
 *
 * Why it is built the way it is:
 * - PutObject replaces an object atomically: readers get the old object or the new one, never part.
 * - One keep-alive agent with a bounded socket pool: the recorder writes a segment per second per live
 *   show, and a TLS handshake per write would cost more than the write.
 * - Timeouts and retries are explicit: a stalled endpoint must fail a write (the recorder's queue then
 *   drops segments and says so) rather than hold it forever.
 * - Checksums only when the operation requires them: the SDK's newer default (CRC32 on every request)
 *   is not understood by every S3-compatible service.
 * - Errors are reported as StorageError with the operation, key, status and request id, never with the
 *   request's headers (which carry the signature) or the credentials.
 */
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import { cacheControlOf, contentTypeOf, InvalidStorageKeyError, isValidStorageKey, StorageError, type MediaStorage } from "./storage.ts";

export { StorageError };

export interface S3StorageConfig {
  /** e.g. https://<account>.r2.cloudflarestorage.com, http://minio:9000; unset: AWS S3 of `region` */
  endpoint?: string;
  region: string;
  bucket: string;
  /** a folder inside the bucket that holds this instance's objects ("" for the bucket's root) */
  prefix: string;
  /** both or neither; neither: the SDK's default chain (environment, instance role…) */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** https://endpoint/bucket/key instead of https://bucket.endpoint/key (MinIO, most self-hosted services) */
  forcePathStyle: boolean;
}

export interface S3StorageOptions {
  log?: Logger;
  /** sockets open at once per node; default 64 */
  maxSockets?: number;
  /** attempts per operation (the SDK's standard retry with backoff, on throttling, 5xx and network errors); default 3 */
  maxAttempts?: number;
  /** ms to establish a connection; default 5000 */
  connectionTimeoutMs?: number;
  /** ms a socket may sit idle in the middle of a request or response before it is failed; default 30000 */
  socketTimeoutMs?: number;
  /** ms an operation other than stream() may take in all (attempts included); default 120000 */
  operationTimeoutMs?: number;
}

export interface S3MediaStorage extends MediaStorage {
  /** Checks that the bucket exists and these credentials may use it; throws a StorageError saying what is wrong. */
  verify(): Promise<void>;
  /** Closes the pooled sockets. */
  close(): void;
}

/** "a/b/" for " /a/b// ", "" for nothing; throws when it is not made of valid key parts. */
export function normalizeS3Prefix(prefix: string | undefined): string {
  const p = (prefix ?? "").trim().replace(/^\/+|\/+$/g, "");
  if (p === "") return "";
  if (!isValidStorageKey(p)) throw new InvalidStorageKeyError(p);
  return p + "/";
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface AwsError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  message?: string;
  code?: string;
}

function isNotFound(err: unknown): boolean {
  const e = err as AwsError;
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.Code === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

/** `length` bytes of `source` after its first `skip` bytes; the source is let go once they are read. */
function sliceStream(source: Readable, skip: number, length: number): Readable {
  return Readable.from(
    (async function* () {
      let toSkip = skip;
      let left = length;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        let c = chunk;
        if (toSkip > 0) {
          if (c.length <= toSkip) {
            toSkip -= c.length;
            continue;
          }
          c = c.subarray(toSkip);
          toSkip = 0;
        }
        if (c.length >= left) {
          yield c.subarray(0, left);
          return;
        }
        left -= c.length;
        yield c;
      }
    })(),
    { objectMode: false },
  );
}

export function s3Storage(config: S3StorageConfig, options: S3StorageOptions = {}): S3MediaStorage {
  const base = normalizeS3Prefix(config.prefix);
  const bucket = config.bucket;
  const maxSockets = options.maxSockets ?? 64;
  const operationTimeoutMs = options.operationTimeoutMs ?? 120_000;
  const agentOptions = { keepAlive: true, keepAliveMsecs: 1000, maxSockets, maxFreeSockets: Math.min(16, maxSockets), scheduling: "lifo" as const };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);
  const clientConfig: S3ClientConfig = {
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    credentials: config.accessKeyId && config.secretAccessKey ? { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } : undefined,
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: "standard",
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: {
      httpAgent,
      httpsAgent,
      connectionTimeout: options.connectionTimeoutMs ?? 5000,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
    },
  };
  const client = new S3Client(clientConfig);
  const log = options.log;

  const objectKey = (key: string): string => {
    if (!isValidStorageKey(key)) throw new InvalidStorageKeyError(key);
    return base + key;
  };

  // The same trouble (operation + error) is logged at most every 10 s, with how many were held back:
  // during an outage the recorder alone would log a line per segment per show.
  const logged = new Map<string, { at: number; held: number }>();
  function fail(op: string, key: string, err: unknown): never {
    const e = err as AwsError;
    const status = e?.$metadata?.httpStatusCode;
    // the S3 error code (NoSuchBucket, SlowDown…), else the network's (ECONNRESET…)
    const awsCode = e?.Code ?? (e?.name && e.name !== "Error" ? e.name : undefined) ?? e?.code;
    const requestId = e?.$metadata?.requestId;
    const what = e?.name === "TimeoutError" || e?.name === "AbortError" ? "timed out" : (awsCode ?? "failed");
    const error = new StorageError(`object storage: ${op} ${bucket}/${base}${key}: ${what}${status ? ` (HTTP ${status})` : ""}`, op, key, status, awsCode, requestId);
    if (log) {
      const kind = `${op}:${awsCode}:${status}`;
      const now = Date.now();
      const t = logged.get(kind);
      if (t && now - t.at < 10_000) t.held++;
      else {
        log.warn({ op, bucket, key: base + key, status, code: awsCode, requestId, attempts: e?.$metadata?.attempts, heldBack: t?.held ?? 0 }, error.message);
        logged.set(kind, { at: now, held: 0 });
      }
    }
    throw error;
  }

  const deadline = () => ({ abortSignal: AbortSignal.timeout(operationTimeoutMs) });

  return {
    async write(key, data) {
      const k = objectKey(key);
      const body = typeof data === "string" ? Buffer.from(data) : data;
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: k, Body: body, ContentLength: body.length, ContentType: contentTypeOf(key), CacheControl: cacheControlOf(key) }),
          deadline(),
        );
      } catch (err) {
        fail("write", key, err);
      }
    },

    async stat(key) {
      const k = objectKey(key);
      try {
        const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: k }), deadline());
        return { size: r.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) return null;
        fail("stat", key, err);
      }
    },

    async read(key) {
      const k = objectKey(key);
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k }), deadline());
        if (!r.Body) return Buffer.alloc(0);
        return Buffer.from(await r.Body.transformToByteArray());
      } catch (err) {
        if (isNotFound(err)) return null;
        fail("read", key, err);
      }
    },

    async stream(key, range) {
      const k = objectKey(key);
      // No overall deadline: a large file to a slow viewer may take long; the socket's idle timeout
      // fails a stalled transfer instead.
      let body: unknown;
      let served: string | undefined;
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: k, Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
        body = r.Body;
        served = r.ContentRange;
      } catch (err) {
        if (isNotFound(err)) return null;
        fail("stream", key, err);
      }
      let stream: Readable;
      if (body instanceof Readable) stream = body;
      // Only in runtimes other than Node (a web stream); kept so that the contract holds anyway.
      else if (body && typeof (body as { transformToWebStream?: unknown }).transformToWebStream === "function") {
        stream = Readable.fromWeb((body as { transformToWebStream(): import("node:stream/web").ReadableStream }).transformToWebStream());
      } else stream = Readable.from([]);
      if (!range) return stream;
      // A server may ignore a Range or answer a wider one (RFC 9110 allows it; some S3 look-alikes do
      // for "bytes=0-0"): cut what was asked for out of what came.
      const got = /^bytes (\d+)-(\d+)\//.exec(served ?? "");
      const from = got ? Number(got[1]) : 0;
      const to = got ? Number(got[2]) : Infinity;
      if (from === range.start && to === range.end) return stream;
      if (from > range.start) {
        stream.destroy();
        fail("stream", key, { name: "UnexpectedRange", message: `asked for ${range.start}-${range.end}, got ${served}` });
      }
      return sliceStream(stream, range.start - from, range.end - range.start + 1);
    },

    async list(prefix) {
      if (!prefix.endsWith("/")) throw new InvalidStorageKeyError(prefix);
      const p = objectKey(prefix.slice(0, -1)) + "/";
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: p, Delimiter: "/", ContinuationToken: token }), deadline());
          for (const o of r.Contents ?? []) {
            const name = o.Key?.slice(p.length);
            // what the local disk would show: objects directly under the prefix with a valid name
            if (o.Key?.startsWith(p) && name && NAME.test(name)) keys.push(prefix + name);
          }
          token = r.IsTruncated ? r.NextContinuationToken : undefined;
        } while (token);
      } catch (err) {
        fail("list", prefix, err);
      }
      // Byte order, as S3 returns it and as the local disk sorts (keys are ASCII).
      return keys.sort();
    },

    async delete(key) {
      const k = objectKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: k }), deadline());
      } catch (err) {
        if (isNotFound(err)) return;
        fail("delete", key, err);
      }
    },

    async verify() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(Math.min(operationTimeoutMs, 30_000)) });
      } catch (err) {
        const e = err as AwsError;
        const status = e?.$metadata?.httpStatusCode;
        const where = `${config.endpoint ?? `AWS S3 (${config.region})`}, bucket ${JSON.stringify(bucket)}`;
        const why =
          status === 404
            ? "the bucket does not exist (check S3_BUCKET, and S3_ENDPOINT / S3_REGION)"
            : status === 403
              ? "access denied (check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY and the bucket's policy)"
              : status === 301 || status === 400
                ? `the bucket is in another region or needs another addressing style (check S3_REGION and S3_FORCE_PATH_STYLE; HTTP ${status})`
                : e?.name === "TimeoutError" || e?.name === "AbortError"
                  ? "no answer in time (check S3_ENDPOINT and the network)"
                  : /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH)$/.test(String(e?.code ?? ""))
                    ? `cannot connect, ${e?.code} (check S3_ENDPOINT${config.endpoint ? "" : " / S3_REGION"} and the network)`
                  : `${e?.name ?? "error"}${status ? ` (HTTP ${status})` : ""}: ${(e?.code ?? e?.message ?? "").toString().slice(0, 200)}`;
        throw new StorageError(`object storage unreachable at ${where}: ${why}`, "verify", "", status, e?.name, e?.$metadata?.requestId);
      }
    },

    close() {
      client.destroy();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
