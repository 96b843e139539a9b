import os from "node:os";
import path from "node:path";
import { z } from "zod";
import type { StorageConfig } from "./media/storage.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z.string().optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "lower-case letters, digits and _").optional(),
  /** PostgreSQL: keep statements prepared on each connection (parsed once; planned once where PostgreSQL settles on a generic plan); false behind a pooler that cannot carry them (PgBouncer in transaction mode before 1.21) */
  DATABASE_PREPARED_STATEMENTS: bool.default(true),
  /** multi-node: the broker the nodes share (redis://, rediss:// or nats://); unset: one process, events in memory (docs/multi-node.md) */
  BROKER_URL: z.string().regex(/^(rediss?|nats):\/\/./i, "a redis://, rediss:// or nats:// URL").optional(),
  /** namespaces every broker key and subject, so several instances can share one Redis/NATS; default DATABASE_SCHEMA or "vetrina" */
  BROKER_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1-64 letters, digits, _ and -").optional(),
  RTMP_PORT: z.coerce.number().int().min(0).max(65535).default(1935),
  RTMP_PUBLIC_URL: z.string().optional(),
  /** embedded: our own RTMP listener (RTMP_PORT); external: an edge RTMP server (nginx-rtmp) calls /api/v1/ingest/nginx/* (docs/deployment.md) */
  INGEST: z.enum(["embedded", "external"]).default("embedded"),
  /** external ingest: where the packager pulls a stream the edge accepted, with {key} for the stream key */
  INGEST_PULL_URL: z.string().regex(/^rtmps?:\/\/[^/\s]+\/\S*\{key\}/, "an rtmp:// URL containing {key}, such as rtmp://127.0.0.1:1935/live/{key}").optional(),
  /** external ingest: the edge must send it as ?secret= on its callback URLs */
  INGEST_CALLBACK_SECRET: z.string().min(16, "at least 16 characters").optional(),
  FFMPEG_PATH: z.string().optional(),
  /** multi-node: a live show whose ingesting node has not renewed its lease for this long is ended by another node (renewed every third of it) */
  INGEST_LEASE_SECONDS: z.coerce.number().min(1).max(600).default(15),
  MEDIA_STALL_TIMEOUT_MS: z.coerce.number().int().min(1000).default(6000),
  HLS_SEGMENT_SECONDS: z.coerce.number().min(1).max(10).default(1),
  /** media jobs (clips, transcodes) run at once by this process (ffmpeg is CPU-bound; the live path comes first) */
  MEDIA_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /** a running media job's lease: another runner takes it this long after its worker died */
  MEDIA_JOB_LEASE_SECONDS: z.coerce.number().min(0.5).max(3600).default(60),
  /** a showcase's clip starts this long before it and ends this long after it (rounded out to whole segments) */
  CLIP_BEFORE_SECONDS: z.coerce.number().min(0).max(120).default(5),
  CLIP_AFTER_SECONDS: z.coerce.number().min(1).max(300).default(40),
  /** uploaded short videos: at most this many bytes (refused at creation) and seconds (refused once probed) */
  UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).max(20 * 1024 ** 3).default(1024 ** 3),
  UPLOAD_MAX_SECONDS: z.coerce.number().min(1).max(3600).default(180),
  /** an unfinished upload's staging file is deleted this long after it was created */
  UPLOAD_EXPIRY_HOURS: z.coerce.number().min(0.01).max(24 * 30).default(24),
  /** extra transcoded renditions, by height ("360", "480,240"); none by default (a 2-core box holds one or two) */
  HLS_RENDITIONS: z
    .string()
    .regex(/^\s*(\d{3,4}\s*(,\s*\d{3,4}\s*)*)?$/, 'heights such as "360" or "480,240"')
    .transform((v) => v.split(",").map((h) => Number(h.trim())).filter((h) => h > 0))
    .refine((hs) => hs.length <= 3 && hs.every((h) => h >= 144 && h <= 1080 && h % 2 === 0), "at most 3 even heights between 144 and 1080")
    .default([]),
  /** WHIP: local addresses offered as ICE host candidates (comma-separated); default HOST, or every interface when HOST is a wildcard */
  WHIP_ICE_ADDRESSES: z.string().regex(/^[0-9a-fA-F.:,\s]*$/, "comma-separated IP addresses").optional(),
  /** WHIP: extra addresses to announce, e.g. the public IP of a server behind 1:1 NAT */
  WHIP_ICE_ANNOUNCED_ADDRESSES: z.string().regex(/^[0-9a-fA-F.:,\s]*$/, "comma-separated IP addresses").optional(),
  /** WHIP: UDP port range for ICE, "min-max" */
  WHIP_ICE_PORTS: z.string().regex(/^\d{1,5}-\d{1,5}$/, 'a range such as "40000-40999"').optional(),
  /** WHIP: STUN/TURN server URLs, comma-separated */
  WHIP_ICE_SERVERS: z.string().optional(),
  DEMO_DATA: bool.optional(),
  COOKIE_SECURE: bool.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  FLASH_HOLD_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  /** chat messages per second a room shows to everyone before it shows a fair sample */
  /**
   * Room sockets: 0 keeps them in the server process; n > 0 runs n gateway processes (each may hold
   * up to ~19,000 sockets, and they use every core); "auto" runs one per core beyond the first.
   */
  ROOM_GATEWAYS: z.union([z.literal("auto"), z.coerce.number().int().min(0).max(32)]).default(0),
  ROOM_CHAT_RATE: z.coerce.number().int().min(1).max(10_000).default(150),
  ROOM_WRITES_PER_SECOND: z.coerce.number().int().min(1_000).max(10_000_000).default(40_000),
  ROOM_CHAT_DELIVERIES_PER_SECOND: z.coerce.number().int().min(10_000).max(1_000_000_000).default(2_500_000),
  ROOM_KEEPALIVE_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  SESSION_TTL_HOURS: z.coerce.number().int().min(1).default(24 * 30),
  /** days a commission stays pending (returns and refunds may still reverse it) before it is available */
  COMMISSION_HOLD_DAYS: z.coerce.number().int().min(0).max(365).default(14),
  /** days after a click on a partner-store product within which the partner's reported sale earns commission */
  PARTNER_ATTRIBUTION_DAYS: z.coerce.number().int().min(1).max(90).default(7),
  /** notifications: e-mail goes out through this SMTP server (smtp://user:pass@host:port, smtps://…); unset: no e-mail */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, "an smtp:// or smtps:// URL").optional(),
  /** the From of notification e-mails */
  MAIL_FROM: z.string().optional(),
  /** minutes before a show's start when followers and reminder holders get "starting soon" */
  NOTIFY_BEFORE_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** where recordings, videos and images live: the local disk (default) or S3-compatible object storage (docs/media-jobs.md, "Storage") */
  STORAGE: z.enum(["local", "s3"]).default("local"),
  /** S3: the service's URL (MinIO, R2, B2…); unset: AWS S3 in S3_REGION */
  S3_ENDPOINT: z.string().url("a URL such as https://s3.example.com").optional(),
  S3_REGION: z.string().regex(/^[a-z0-9-]{1,64}$/, 'a region name such as "us-east-1" (R2: "auto")').default("us-east-1"),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "a bucket name: 3-63 lower-case letters, digits, dots and hyphens").optional(),
  /** S3: a folder inside the bucket for this instance's objects (several instances may share a bucket) */
  S3_PREFIX: z.string().regex(/^$|^\/?[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*\/?$/, 'folder names separated by "/", such as "vetrina/prod"').default(""),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** S3: bucket in the path (https://endpoint/bucket/key); default true with S3_ENDPOINT, false on AWS */
  S3_FORCE_PATH_STYLE: bool.optional(),
});

export interface AppConfig {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  database: { kind: "sqlite"; file: string } | { kind: "postgres"; url: string; schema?: string; preparedStatements?: boolean };
  /** the nodes' shared broker (BROKER_URL); null: a single process with the in-process event bus */
  broker: { url: string; prefix: string } | null;
  rtmp: { port: number; publicUrl: string };
  /** embedded: our own RTMP listener; external: an edge RTMP server authorizes through callbacks and we pull from it */
  ingest: { kind: "embedded" } | { kind: "external"; pullUrl: string; callbackSecret: string | null };
  media: { ffmpegPath?: string; stallTimeoutMs: number; segmentSeconds: number; renditions: number[]; jobConcurrency: number; jobLeaseSeconds: number; clipBeforeSeconds: number; clipAfterSeconds: number; ingestLeaseSeconds: number };
  /** resumable video uploads (tus): limits, and where unfinished uploads are staged (`<DATA_DIR>/upload-staging`) */
  uploads: { maxBytes: number; maxSeconds: number; expiryMs: number; stagingDir: string };
  /** WHIP ICE settings; undefined fields take the ingest's defaults */
  whip: { interfaceAddresses?: string[]; announcedAddresses?: string[]; portRange?: [number, number]; iceServers?: string[] };
  flashSales: { holdSeconds: number };
  commissions: { holdDays: number };
  partners: { attributionDays: number };
  notifications: { beforeMinutes: number; smtpUrl: string | null; mailFrom: string };
  room: { chatRate: number; gateways: number; writesPerSecond: number; chatDeliveriesPerSecond: number; keepAliveMs: number };
  uploadsDir: string;
  /** where persistent media lives (recordings, videos, images): local disk under DATA_DIR, or S3 */
  storage: StorageConfig;
  webDir: string;
  demoData: boolean;
  cookieSecure: boolean;
  logLevel: string;
  sessionTtlMs: number;
}

export class ConfigError extends Error {}

/** STORAGE and S3_*: what S3 needs is checked here, so a missing setting is named at start-up. */
function storageConfig(e: z.infer<typeof EnvSchema>): StorageConfig {
  if (e.STORAGE === "local") return { kind: "local" };
  const problems: string[] = [];
  if (!e.S3_BUCKET) problems.push("  S3_BUCKET: required with STORAGE=s3");
  if (!!e.S3_ACCESS_KEY_ID !== !!e.S3_SECRET_ACCESS_KEY) problems.push(`  ${e.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID"}: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together`);
  else if (e.S3_ENDPOINT && !e.S3_ACCESS_KEY_ID) problems.push("  S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY: required with S3_ENDPOINT (only AWS S3 can take credentials from the instance)");
  if (problems.length) throw new ConfigError(`Invalid configuration (STORAGE=s3):\n${problems.join("\n")}`);
  return {
    kind: "s3",
    endpoint: e.S3_ENDPOINT,
    region: e.S3_REGION,
    bucket: e.S3_BUCKET!,
    prefix: e.S3_PREFIX.replace(/^\/+|\/+$/g, ""),
    accessKeyId: e.S3_ACCESS_KEY_ID,
    secretAccessKey: e.S3_SECRET_ACCESS_KEY,
    forcePathStyle: e.S3_FORCE_PATH_STYLE ?? !!e.S3_ENDPOINT,
  };
}

/** INGEST and INGEST_*: external ingest needs the URL to pull from. */
function ingestConfig(e: z.infer<typeof EnvSchema>): AppConfig["ingest"] {
  if (e.INGEST === "embedded") return { kind: "embedded" };
  if (!e.INGEST_PULL_URL) throw new ConfigError("Invalid configuration (INGEST=external):\n  INGEST_PULL_URL: required, e.g. rtmp://127.0.0.1:1935/live/{key}");
  return { kind: "external", pullUrl: e.INGEST_PULL_URL, callbackSecret: e.INGEST_CALLBACK_SECRET ?? null };
}

/** "a, b,c" → ["a", "b", "c"]; unset or blank → undefined */
function list(v: string | undefined): string[] | undefined {
  const items = v?.split(",").map((s) => s.trim()).filter(Boolean);
  return items?.length ? items : undefined;
}

/** Reads and validates configuration once, at start-up; throws a ConfigError naming the bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  let database: AppConfig["database"] = { kind: "sqlite", file: path.join(dataDir, "vetrina.db") };
  if (e.DATABASE_URL) {
    if (/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) database = { kind: "postgres", url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, preparedStatements: e.DATABASE_PREPARED_STATEMENTS };
    else if (e.DATABASE_URL.startsWith("sqlite:")) database = { kind: "sqlite", file: path.resolve(e.DATABASE_URL.slice("sqlite:".length)) };
    else throw new ConfigError("Invalid configuration:\n  DATABASE_URL: must start with postgres://, postgresql:// or sqlite:");
  }
  const port = e.PORT;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, "");
  const config: AppConfig = {
    env: e.NODE_ENV,
    host: e.HOST,
    port,
    publicUrl,
    dataDir,
    database,
    broker: e.BROKER_URL ? { url: e.BROKER_URL, prefix: e.BROKER_PREFIX ?? e.DATABASE_SCHEMA ?? "vetrina" } : null,
    rtmp: { port: e.RTMP_PORT, publicUrl: e.RTMP_PUBLIC_URL ?? `rtmp://${new URL(publicUrl).hostname}:${e.RTMP_PORT}/live` },
    ingest: ingestConfig(e),
    media: {
      ffmpegPath: e.FFMPEG_PATH,
      stallTimeoutMs: e.MEDIA_STALL_TIMEOUT_MS,
      segmentSeconds: e.HLS_SEGMENT_SECONDS,
      renditions: e.HLS_RENDITIONS,
      jobConcurrency: e.MEDIA_JOB_CONCURRENCY,
      jobLeaseSeconds: e.MEDIA_JOB_LEASE_SECONDS,
      clipBeforeSeconds: e.CLIP_BEFORE_SECONDS,
      clipAfterSeconds: e.CLIP_AFTER_SECONDS,
      ingestLeaseSeconds: e.INGEST_LEASE_SECONDS,
    },
    uploads: { maxBytes: e.UPLOAD_MAX_BYTES, maxSeconds: e.UPLOAD_MAX_SECONDS, expiryMs: Math.round(e.UPLOAD_EXPIRY_HOURS * 3600_000), stagingDir: path.join(dataDir, "upload-staging") },
    whip: {
      interfaceAddresses: list(e.WHIP_ICE_ADDRESSES),
      announcedAddresses: list(e.WHIP_ICE_ANNOUNCED_ADDRESSES),
      portRange: e.WHIP_ICE_PORTS ? (e.WHIP_ICE_PORTS.split("-").map(Number) as [number, number]) : undefined,
      iceServers: list(e.WHIP_ICE_SERVERS),
    },
    flashSales: { holdSeconds: e.FLASH_HOLD_SECONDS },
    commissions: { holdDays: e.COMMISSION_HOLD_DAYS },
    partners: { attributionDays: e.PARTNER_ATTRIBUTION_DAYS },
    notifications: { beforeMinutes: e.NOTIFY_BEFORE_MINUTES, smtpUrl: e.SMTP_URL ?? null, mailFrom: e.MAIL_FROM ?? `Vetrina <no-reply@${new URL(publicUrl).hostname}>` },
    room: { chatRate: e.ROOM_CHAT_RATE, writesPerSecond: e.ROOM_WRITES_PER_SECOND, chatDeliveriesPerSecond: e.ROOM_CHAT_DELIVERIES_PER_SECOND, keepAliveMs: e.ROOM_KEEPALIVE_SECONDS * 1000, gateways: e.ROOM_GATEWAYS === "auto" ? Math.max(0, Math.min(8, os.availableParallelism() - 1)) : e.ROOM_GATEWAYS },
    uploadsDir: path.join(dataDir, "uploads"),
    storage: storageConfig(e),
    webDir: path.resolve(import.meta.dirname, "../../dist/web"),
    demoData: e.DEMO_DATA ?? e.NODE_ENV !== "production",
    cookieSecure: e.COOKIE_SECURE ?? publicUrl.startsWith("https:"),
    logLevel: e.LOG_LEVEL,
    sessionTtlMs: e.SESSION_TTL_HOURS * 3600_000,
    ...overrides,
  };
  const ports = config.whip.portRange;
  if (ports && !(ports[0] >= 1024 && ports[0] < ports[1] && ports[1] <= 65535)) {
    throw new ConfigError("Invalid configuration:\n  WHIP_ICE_PORTS: must be min-max with 1024 <= min < max <= 65535");
  }
  if (config.env === "production" && config.demoData) {
    throw new ConfigError("Invalid configuration:\n  DEMO_DATA: demo accounts have published passwords; do not enable them in production");
  }
  return config;
}
