import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import path from "node:path";
import { sql } from "kysely";
import pino, { type Logger } from "pino";
import multipart from "@fastify/multipart";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import type { AppConfig } from "./config.ts";
import { openDatabase, type DbHandle } from "./platform/db.ts";
import { migrateToLatest } from "./platform/migrate.ts";
import { InProcessBus, type EventBus } from "./platform/bus.ts";
import { openBroker, type Broker } from "./platform/broker.ts";
import { ClusterBus } from "./platform/cluster-bus.ts";
import { checkDatabase } from "./platform/db-check.ts";
import { createHttp, type Http } from "./platform/http.ts";
import { createMetrics, type Metrics } from "./platform/metrics.ts";
import { createAccounts, type Accounts } from "./accounts/service.ts";
import { accountsRoutes } from "./accounts/routes.ts";
import { createCatalog, type Catalog } from "./catalog/service.ts";
import { catalogRoutes } from "./catalog/routes.ts";
import { createShows, type Shows } from "./shows/service.ts";
import { showsRoutes } from "./shows/routes.ts";
import { INGEST_LOST, startIngestLease } from "./shows/ingest-lease.ts";
import { createRoomService, type RoomService } from "./room/service.ts";
import { createRealtime, type Realtime } from "./room/realtime.ts";
import { inProcessGateways } from "./room/gateways.ts";
import { gatewayProcesses } from "./room/gateway-pool.ts";
import { roomRoutes } from "./room/routes.ts";
import { replayChatRoutes } from "./room/replay-chat.ts";
import { createSandboxProvider, type PaymentProvider } from "./checkout/payments.ts";
import { createOrders, type Orders } from "./checkout/orders.ts";
import { createCheckout, type Checkout } from "./checkout/buy-now.ts";
import { checkoutRoutes } from "./checkout/routes.ts";
import { createIngest, type Ingest } from "./media/ingest.ts";
import { mediaRoutes, WHIP_PATH } from "./media/routes.ts";
import { edgeIngestRoutes } from "./media/edge-routes.ts";
import { createRecorder, type Recorder } from "./media/recorder.ts";
import { replayUrl } from "./media/replay.ts";
import { replayClocks } from "./media/replay-clock.ts";
import { openStorage, type MediaStorage } from "./media/storage.ts";
import { createFlashSales, type FlashSales } from "./flash-sales/service.ts";
import { flashSalesRoutes } from "./flash-sales/routes.ts";
import { openSaleOwnership } from "./flash-sales/ownership.ts";
import { createModeration, type Moderation } from "./moderation/service.ts";
import { moderationRoutes } from "./moderation/routes.ts";
import { createAnalytics, type Analytics } from "./analytics/service.ts";
import { analyticsRoutes } from "./analytics/routes.ts";
import { createCreators, type Creators } from "./creators/service.ts";
import { creatorsRoutes } from "./creators/routes.ts";
import { createCampaigns, type Campaigns } from "./campaigns/service.ts";
import { campaignsRoutes } from "./campaigns/routes.ts";
import { createCommissions, type Commissions } from "./commissions/service.ts";
import { commissionsRoutes } from "./commissions/routes.ts";
import { createAgencies, type Agencies } from "./agencies/service.ts";
import { agenciesRoutes } from "./agencies/routes.ts";
import { createPartners, type Partners } from "./partners/service.ts";
import { partnersRoutes } from "./partners/routes.ts";
import { createNotifications, type Notifications } from "./notifications/service.ts";
import { notificationsRoutes } from "./notifications/routes.ts";
import type { MailTransport } from "./notifications/mailer.ts";
import { createSearch, type Search } from "./search/service.ts";
import { searchRoutes } from "./search/routes.ts";
import { createSharing, type Sharing } from "./sharing/service.ts";
import { sharingRoutes } from "./sharing/routes.ts";
import { createFeed, type Feed } from "./feed/service.ts";
import { feedRoutes } from "./feed/routes.ts";
import { createReviews, type Reviews } from "./reviews/service.ts";
import { reviewsRoutes } from "./reviews/routes.ts";
import { createJobs, type Jobs } from "./jobs/runner.ts";
import { resolveFfmpeg, resolveFfprobe } from "./media/ffmpeg.ts";
import { CLIP_JOB, createVideos, type Videos } from "./videos/service.ts";
import { videosRoutes } from "./videos/routes.ts";
import { createUploads, TRANSCODE_JOB, type Uploads } from "./videos/uploads.ts";
import { videoChannelSources } from "./videos/channel-source.ts";
import { CHANNEL_COMPILE_JOB, createChannels, type Channels } from "./channels/service.ts";
import { channelsRoutes } from "./channels/routes.ts";
import { indexHtmlReader } from "./sharing/preview.ts";
import { seedDemoData, type DemoAccount } from "./demo/seed.ts";

export interface AppDeps {
  logger?: Logger;
  payments?: (db: DbHandle["db"]) => PaymentProvider;
  /** the clock of time-driven rules (flash-sale countdowns and holds, timed mutes and bans); tests move it */
  clock?: () => number;
  /** analytics timing: counters flushed to the rollup tables every `flushMs`, live dashboards pushed every `pushMs` */
  analytics?: { flushMs?: number; pushMs?: number };
  /** notification e-mail: a transport of one's own instead of SMTP_URL's, and how often the scheduler polls */
  notifications?: { transport?: MailTransport; pollMs?: number };
}

export interface App {
  config: AppConfig;
  http: Http;
  log: Logger;
  db: DbHandle;
  bus: EventBus;
  /** multi-node: the broker the nodes share (BROKER_URL); null in a single process */
  broker: Broker | null;
  metrics: Metrics;
  accounts: Accounts;
  catalog: Catalog;
  shows: Shows;
  room: RoomService;
  realtime: Realtime;
  orders: Orders;
  checkout: Checkout;
  flashSales: FlashSales;
  moderation: Moderation;
  analytics: Analytics;
  creators: Creators;
  campaigns: Campaigns;
  commissions: Commissions;
  agencies: Agencies;
  partners: Partners;
  notifications: Notifications;
  search: Search;
  sharing: Sharing;
  feed: Feed;
  /** verified buyers' reviews of products (docs/discovery.md, "Reviews") */
  reviews: Reviews;
  ingest: Ingest;
  /** where recordings and replays are stored (`<DATA_DIR>/media/`) */
  mediaStorage: MediaStorage;
  /** media work after the fact (clips…) as durable jobs; see docs/media-jobs.md */
  jobs: Jobs;
  /** short videos: clips of showcases, published by their host */
  videos: Videos;
  /** creators' resumable video uploads (tus) and their transcodes */
  uploads: Uploads;
  /** 24-hour channels: playlists of replays and videos played as one live stream (docs/media-jobs.md, "Channels") */
  channels: Channels;
  recorder: Recorder;
  demoAccounts: DemoAccount[];
  /** Starts HTTP and RTMP listeners; returns the HTTP base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Several nodes: a purchase left pending is recovered only once it is this old, far above any payment's
 * timeout, so the node that was paying it is gone.
 */
const CLUSTER_RECOVERY_AGE_MS = 120_000;

/** The composition root: builds every part from config; listening is separate (see listen()). */
export async function buildApp(config: AppConfig, deps: AppDeps = {}): Promise<App> {
  const log = deps.logger ?? pino({ level: config.logLevel });
  fs.mkdirSync(config.dataDir, { recursive: true });
  // Before the in-memory LL-HLS origin, live shows were packaged into <DATA_DIR>/hls: leftovers of an
  // older version are only stale video.
  fs.rmSync(path.join(config.dataDir, "hls"), { recursive: true, force: true });
  // Persistent media (local disk, or S3 checked reachable now: a wrong bucket fails the start-up, not the first show).
  const storage = await openStorage(config.storage, { mediaDir: path.join(config.dataDir, "media"), uploadsDir: config.uploadsDir }, log.child({ domain: "storage" }));
  const db = openDatabase(config.database, (err) => log.warn({ err }, "database: a pooled connection failed while idle (it is replaced on next use)"));
  await checkDatabase(db, config.database);
  await migrateToLatest(db.db);

  const metrics = createMetrics();
  // Multi-node (docs/multi-node.md): events also travel between the nodes through the broker.
  const broker = config.broker
    ? await openBroker(config.broker.url, { prefix: config.broker.prefix, log: log.child({ component: "broker" }) }).catch(async (err) => {
        await db.close();
        throw err;
      })
    : null;
  const onEventError = (err: unknown, event: { type: string }) => log.error({ err, event: event.type }, "event handler failed");
  const bus: EventBus = broker ? new ClusterBus(broker, onEventError, log) : new InProcessBus(onEventError);
  const accounts = createAccounts({ db: db.db, bus, sessionTtlMs: config.sessionTtlMs });
  const catalog = createCatalog({ db: db.db, bus });
  const payments = deps.payments?.(db.db) ?? createSandboxProvider(db.db);

  // Late-bound: the room hub and the ingest are built after the shows domain that they serve.
  let realtime!: Realtime;
  let ingest!: Ingest;
  // Late-bound too: campaigns (which guard what a creator's campaign show may showcase) schedule shows.
  let campaigns!: Campaigns;
  const shows = createShows({
    db: db.db,
    bus,
    catalog,
    viewerCount: (showId) => realtime.hub.viewerCount(showId),
    playbackUrl: (showId) => (ingest.isLive(showId) ? `/hls/${showId}/index.m3u8` : null),
    replayUrl,
    rtmpUrl: config.rtmp.publicUrl,
    whipUrl: `${config.publicUrl}${WHIP_PATH}`,
    campaignShowcase: (campaignId, hostUserId, productId) => campaigns.showcaseAllowed(campaignId, hostUserId, productId),
  });
  const orders = createOrders({ db: db.db, bus, catalog, payments, log });
  // Ordinary purchases go on in a show's replay; flash sales (which ask `shows` directly) are live only.
  const sellingInReplays: Shows = { ...shows, saleContext: (showId, productId) => shows.saleContext(showId, productId, { inReplay: true }) };
  const checkout = createCheckout({ db: db.db, bus, catalog, shows: sellingInReplays, orders, payments, onOutcome: (o) => metrics.checkoutOutcomes.inc({ outcome: o }) });
  // Several nodes on PostgreSQL: one owner per flash sale (an advisory lock on a connection of its own).
  const flashOwnership =
    broker && config.database.kind === "postgres"
      ? await openSaleOwnership({
          url: config.database.url,
          schema: config.database.schema,
          applicationName: `vetrina flash-sale locks ${broker.nodeId}`,
          log: log.child({ domain: "flash-sales" }),
          onLost: (err) => {
            log.fatal({ err }, "flash-sale lock connection lost while owning sales; stopping");
            process.exit(70);
          },
        })
      : null;
  const flashSales = createFlashSales({
    cluster: broker && flashOwnership ? { broker, ownership: flashOwnership } : undefined,
    db: db.db,
    sqlite: db.sqlite,
    bus,
    catalog,
    shows,
    orders,
    payments,
    holdMs: config.flashSales.holdSeconds * 1000,
    clock: deps.clock,
    log: log.child({ domain: "flash-sales" }),
    onFatal: (err) => {
      // Fail-stop: decisions that could not be made durable must not be acted on. Recovery on restart.
      log.fatal({ err }, "flash-sale journal could not commit; stopping");
      process.exit(70);
    },
  });
  const moderation = createModeration({ db: db.db, bus, shows, accounts, clock: deps.clock });
  const creators = createCreators({ db: db.db, shows, bus });
  campaigns = createCampaigns({ db: db.db, catalog, creators, shows, clock: deps.clock });
  const agencies = createAgencies({ db: db.db, creators, shows, clock: deps.clock });
  const commissions = createCommissions({
    db: db.db,
    bus,
    orders,
    shows,
    campaigns,
    creators,
    // A roster creator's agency takes its share of each commission, as in force when the sale was made.
    agencyShare: (creatorId, at) => agencies.shareAt(creatorId, at),
    holdMs: config.commissions.holdDays * 86_400_000,
    clock: deps.clock,
    log: log.child({ domain: "commissions" }),
  });
  const partners = createPartners({ db: db.db, catalog, shows, creators, campaigns, commissions, publicUrl: config.publicUrl, attributionDays: config.partners.attributionDays, clock: deps.clock });
  const analytics = createAnalytics({ db: db.db, dialect: db.dialect, bus, shows, catalog, orders, creators, log: log.child({ domain: "analytics" }), extraLiveViewer: async (user, showId) => (await agencies.canWatchShow(user.id, showId)).ok, ...deps.analytics });
  // The home feed: a read model over shows (short videos join it through `videos` once that domain exists).
  // Reviews: only buyers whose paid order still stands may post; hidden ones vanish from product and feed.
  const reviews = createReviews({ db: db.db, bus, catalog, orders, images: storage.images, clock: deps.clock });
  const feed = createFeed({
    db: db.db,
    catalog,
    shows,
    reviews,
    viewerCount: (showId) => realtime.hub.viewerCount(showId),
    playbackUrl: (showId) => (ingest.isLive(showId) ? `/hls/${showId}/index.m3u8` : null),
    replayUrl,
    // Published short videos, in the videos domain's own order (late-bound: built below).
    videos: (cursor, limit, scope) => videos.feedEntries(cursor, limit, scope),
    bus,
    clock: deps.clock,
  });
  const sharing = createSharing({ db: db.db, bus, shows, catalog, videos: { getPublished: (id) => videos.getPublished(id) }, publicUrl: config.publicUrl, clock: deps.clock, log: log.child({ domain: "sharing" }) });
  const notifications = await createNotifications({
    db: db.db,
    bus,
    shows,
    creators,
    accounts,
    publicUrl: config.publicUrl,
    beforeMinutes: config.notifications.beforeMinutes,
    smtpUrl: config.notifications.smtpUrl,
    mailFrom: config.notifications.mailFrom,
    clock: deps.clock,
    log: log.child({ domain: "notifications" }),
    ...deps.notifications,
  });
  const room = createRoomService({
    db: db.db,
    bus,
    showOpen: async (showId) => {
      const status = await shows.status(showId);
      if (!status) return { ok: false, code: "not_found" };
      if (status === "ended") return { ok: false, code: "show_already_ended" };
      return { ok: true };
    },
    productInShow: async (showId, productId) => !!(await shows.get(showId))?.products.some((p) => p.id === productId),
  });
  realtime = createRealtime({
    bus,
    moderation,
    room,
    shows,
    catalog,
    orders,
    flashSales,
    gateways: config.room.gateways > 0 ? gatewayProcesses({ count: config.room.gateways, keepAliveMs: config.room.keepAliveMs, log }) : inProcessGateways({ keepAliveMs: config.room.keepAliveMs }),
    hub: { chatRate: config.room.chatRate, writesPerSecond: config.room.writesPerSecond, chatDeliveriesPerSecond: config.room.chatDeliveriesPerSecond },
    userForSession: (token) => accounts.userForSession(token),
    onConnectionsChanged: (n) => metrics.roomConnections.set(n),
    onChat: () => metrics.chatMessages.inc(),
    onPresence: (showId, userId, viewers, joined) => analytics.roomPresence(showId, userId, viewers, joined),
    onLikes: (showId, count) => analytics.roomLikes(showId, count),
    onJoin: (j) => void sharing.recordJoin({ showId: j.showId, userId: j.userId, token: j.share, visitor: j.visitor }).catch((err) => log.error({ err, showId: j.showId }, "share join not recorded")),
    cluster: broker ? { broker } : undefined,
    log,
  });
  // Every live show is recorded as it goes (the segments viewers get, no re-encoding) and becomes a replay.
  const mediaStorage = storage.media;
  // Media jobs (docs/media-jobs.md): the clips of a replay's showcases are cut after its recording is finalized.
  let videos!: Videos;
  const jobs = createJobs({
    db: db.db,
    handlers: { [CLIP_JOB]: (ctx) => videos.cutHandler(ctx), [CHANNEL_COMPILE_JOB]: (ctx) => channels.compileHandler(ctx), [TRANSCODE_JOB]: (ctx) => uploads.transcodeHandler(ctx) },
    concurrency: config.media.jobConcurrency,
    leaseMs: config.media.jobLeaseSeconds * 1000,
    log: log.child({ domain: "jobs" }),
  });
  let ffmpegPath: string | undefined;
  videos = createVideos({
    db: db.db,
    jobs,
    storage: mediaStorage,
    shows,
    catalog,
    ffmpegPath: () => (ffmpegPath ??= resolveFfmpeg(config.media.ffmpegPath)),
    ffprobePath: () => resolveFfprobe(ffmpegPath ?? resolveFfmpeg(config.media.ffmpegPath)),
    clipBeforeMs: config.media.clipBeforeSeconds * 1000,
    clipAfterMs: config.media.clipAfterSeconds * 1000,
    log: log.child({ domain: "videos" }),
    clock: deps.clock,
  });
  // Who may upload for a shop: its staff, admins, and creators (who may host any shop's shows, as in shows).
  const uploads = createUploads({
    db: db.db,
    jobs,
    storage: mediaStorage,
    videos,
    ffmpegPath: () => (ffmpegPath ??= resolveFfmpeg(config.media.ffmpegPath)),
    ffprobePath: () => resolveFfprobe(ffmpegPath ?? resolveFfmpeg(config.media.ffmpegPath)),
    maxBytes: config.uploads.maxBytes,
    maxSeconds: config.uploads.maxSeconds,
    expiryMs: config.uploads.expiryMs,
    stagingDir: config.uploads.stagingDir,
    mayUploadFor: async (user, merchantId) => user.role === "admin" || user.merchantId === merchantId || (user.role === "host" && (await videos.merchantName(merchantId)) !== null),
    uploadMerchants: async (user) => {
      const hosted = user.role === "host" || user.role === "admin" ? await shows.list({ hostId: user.id, limit: 200 }) : [];
      const out = new Map(hosted.map((s) => [s.merchantId, s.merchantName]));
      if (user.merchantId) out.set(user.merchantId, (await videos.merchantName(user.merchantId)) ?? user.merchantId);
      return [...out].map(([id, name]) => ({ id, name }));
    },
    log: log.child({ domain: "videos", component: "uploads" }),
    clock: deps.clock,
  });
  const recorder = createRecorder(
    mediaStorage,
    {
      onRecording: (showId) => shows.setRecording(showId, "recording"),
      onFinalized: async (showId, result) => {
        await shows.setRecording(showId, result === "ready" ? "ready" : null);
        // One clip job per showcase (keyed by it: finalizing again queues nothing new).
        if (result === "ready") await videos.enqueueClips(showId).catch((err) => log.error({ err, showId }, "clips not queued"));
      },
    },
    log.child({ domain: "media", component: "recorder" }),
  );
  ingest = createIngest(
    config,
    {
      authorizePublish: async (key) => {
        const r = await shows.showForStreamKey(key);
        metrics.ingestSessions.inc({ result: r ? "accepted" : "refused" });
        return r;
      },
      // In a cluster this node takes the show's ingest lease (shows/ingest-lease.ts).
      onLive: (showId) => shows.markLive(showId, broker?.nodeId),
      onEnded: async (showId, reason) => {
        await shows.markEnded(showId, reason);
      },
    },
    log.child({ domain: "media" }),
    { host: config.host === "0.0.0.0" ? undefined : config.host, whip: config.whip, recorder },
  );
  bus.subscribe("show.started", () => metrics.liveShows.inc());
  bus.subscribe("show.ended", () => metrics.liveShows.dec());
  bus.subscribe("order.paid", (e) => {
    metrics.ordersTotal.inc({ currency: e.hostOrder.currency });
    metrics.orderRevenue.inc({ currency: e.hostOrder.currency }, e.hostOrder.total);
  });

  // Crash recovery: finish half-done purchases; shows that were live have lost their publisher.
  // With several nodes, only what a gone node left behind (docs/multi-node.md#flash-sales-across-nodes).
  const staleOnly = broker ? { olderThanMs: CLUSTER_RECOVERY_AGE_MS } : {};
  const recovered = await checkout.recoverPending(staleOnly);
  if (recovered) log.warn({ recovered }, "settled checkout attempts left pending by a previous run");
  // Channels follow their takeover shows' lifecycle (subscribed before the recovery below ends live shows).
  const channels: Channels = createChannels({
    db: db.db,
    bus,
    jobs,
    storage: mediaStorage,
    shows,
    catalog,
    videos: videoChannelSources(db.db),
    ffprobePath: () => resolveFfprobe(ffmpegPath ?? resolveFfmpeg(config.media.ffmpegPath)),
    log: log.child({ domain: "channels" }),
    clock: deps.clock,
  });
  bus.subscribe("show.started", (e) => channels.onShowStarted(e.showId, e.at));
  bus.subscribe("show.ended", (e) => channels.onShowEnded(e.showId, e.at));
  // Shows left live by a previous run have lost their publisher. In a cluster, only those whose ingest
  // lease ran out: another node may be streaming the others (the lease's own rule, shows/ingest-lease.ts).
  const ingestLeaseMs = config.media.ingestLeaseSeconds * 1000;
  if (broker) await shows.endOrphaned(Date.now() - ingestLeaseMs, INGEST_LOST);
  else for (const showId of await shows.liveShowIds()) await shows.markEnded(showId, "server_restart");
  await channels.recover();
  // ...and their recordings were never finalized: make replays of what was stored.
  for (const showId of await shows.unfinishedRecordings()) {
    const result = await recorder.finalize(showId);
    log.warn({ showId, result }, "finalized a recording left unfinished by a previous run");
  }
  await flashSales.start();
  const settledConversions = await partners.recoverPending(staleOnly);
  if (settledConversions) log.warn({ settledConversions }, "settled partner conversions left pending by a previous run");

  // Search follows the domains' events; a start after an index format change (or the first) rebuilds it.
  const search = createSearch({ db: db.db, searchDb: db.searchDb, dialect: db.dialect, bus, log: log.child({ domain: "search" }), sqliteFile: db.sqlite?.name });
  // In a cluster no node restarts to recover what a dead node left pending: sweep for it now and then.
  const recoverySweep = broker
    ? setInterval(() => {
        checkout.recoverPending(staleOnly).then((n) => n && log.warn({ recovered: n }, "settled checkout attempts left pending by a gone node"), (err) => log.error({ err }, "checkout recovery sweep failed"));
        partners.recoverPending(staleOnly).catch((err) => log.error({ err }, "partner recovery sweep failed"));
      }, 30_000)
    : undefined;
  recoverySweep?.unref();
  // Multi-node: events missed while the broker was away leave per-node state stale; read it again.
  broker?.onHealthChange((h) => {
    if (h.status !== "up") return;
    search.invalidateCache();
    accounts.forgetKept();
    feed.forgetKept();
    moderation.resync().catch((err) => log.error({ err }, "moderation state not re-read after the broker outage"));
  });
  await search.ensureBuilt();

  const demoAccounts = config.demoData ? await seedDemoData({ db: db.db, accounts, catalog, shows, creators, campaigns, agencies, log, images: storage.images }) : [];

  const hasWeb = fs.existsSync(path.join(config.webDir, "index.html"));
  const http = createHttp(log, { bodyLimit: 256 * 1024, spaFallback: hasWeb });
  await http.register(swagger, {
    openapi: {
      info: { title: "Vetrina API", version: "1", description: "Live commerce: shows, catalog, checkout, orders. Errors are application/problem+json with a stable `code`." },
      servers: [{ url: config.publicUrl }],
    },
    transform: jsonSchemaTransform,
  });
  // Room WebSockets: the upgrade is the room's own (it hands sockets to gateways); nothing else upgrades.
  http.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (realtime.isRoomPath(req.url ?? "")) realtime.upgrade(req, socket, head);
    else socket.destroy();
  });
  await http.register(multipart);

  accountsRoutes(http, accounts, { cookieSecure: config.cookieSecure });
  catalogRoutes(http, { catalog, images: storage.images });
  // Shoppable replays: the chat in step with the replay, and where each showcase is in it (docs/media.md).
  const replayClock = replayClocks(mediaStorage);
  showsRoutes(http, {
    shows,
    accounts,
    counters: (showId) => realtime.counters(showId),
    replayClock: (showId) => replayClock(showId),
    endShow: async (showId) => {
      await ingest.stopShow(showId);
      await shows.markEnded(showId, "stopped_by_host");
    },
  });
  roomRoutes(http, { realtime, room, shows });
  replayChatRoutes(http, { db: db.db, showStatus: (showId) => shows.status(showId), clock: replayClock });
  checkoutRoutes(http, { checkout, orders, bus });
  flashSalesRoutes(http, { flashSales });
  moderationRoutes(http, { moderation });
  analyticsRoutes(http, { analytics });
  creatorsRoutes(http, { creators });
  campaignsRoutes(http, { campaigns, shows });
  commissionsRoutes(http, { commissions });
  agenciesRoutes(http, { agencies, commissions, analytics, holdDays: config.commissions.holdDays });
  partnersRoutes(http, { partners });
  notificationsRoutes(http, { notifications });
  searchRoutes(http, { search });
  feedRoutes(http, { feed });
  reviewsRoutes(http, { reviews });
  videosRoutes(http, { videos, uploads, catalog, shows, storage: mediaStorage });
  channelsRoutes(http, { channels, storage: mediaStorage, bus });
  sharingRoutes(http, { sharing, indexHtml: indexHtmlReader(config.webDir) });
  mediaRoutes(http, { variants: (showId) => ingest.variants(showId), replays: mediaStorage, whip: { publishWhip: (k, o) => ingest.publishWhip(k, o), endWhip: (id, k) => ingest.endWhip(id, k) } });
  // INGEST=external: the edge RTMP server's callbacks (docs/deployment.md, "Edge ingest").
  if (config.ingest.kind === "external") edgeIngestRoutes(http, { ingest, secret: config.ingest.callbackSecret, log: log.child({ domain: "media", component: "edge" }) });

  http.get("/api/v1/openapi.json", { schema: { hide: true } }, async () => http.swagger());
  http.get("/healthz", { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(db.db);
      const body = { status: "ok", database: db.dialect, liveShows: ingest.liveShowIds().length, roomConnections: realtime.hub.totalConnections() };
      if (!broker) return body;
      // The broker away: this node still serves its own viewers, but nothing crosses between nodes.
      const b = broker.health();
      const brokerHealth = { kind: broker.kind, node: broker.nodeId, ...b, since: new Date(b.since).toISOString() };
      if (b.status === "up") return { ...body, broker: brokerHealth };
      return reply.status(503).send({ ...body, status: "degraded", degraded: ["broker"], broker: brokerHealth });
    } catch (err) {
      log.error({ err }, "health check: database unreachable");
      return reply.status(503).send({ status: "unavailable", database: "unreachable" });
    }
  });
  http.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  // (Uploaded images are served from storage by the catalog's routes: GET /uploads/:file.)
  if (hasWeb) await http.register(fastifyStatic, { root: config.webDir, prefix: "/", wildcard: false });
  else log.warn({ webDir: config.webDir }, "web app not built: run `npm run build:web`");

  let listening = false;
  let ingestLease: { close(): Promise<void> } | null = null;
  return {
    config,
    http,
    log,
    db,
    bus,
    broker,
    metrics,
    accounts,
    catalog,
    shows,
    room,
    realtime,
    orders,
    checkout,
    flashSales,
    moderation,
    analytics,
    creators,
    campaigns,
    commissions,
    agencies,
    partners,
    notifications,
    search,
    sharing,
    feed,
    reviews,
    ingest,
    mediaStorage,
    jobs,
    videos,
    uploads,
    channels,
    recorder,
    demoAccounts,
    async listen() {
      await ingest.start();
      // Multi-node: renew the lease of the shows this node streams; end those whose node is gone.
      if (broker)
        ingestLease = startIngestLease({
          shows,
          node: broker.nodeId,
          ingesting: () => ingest.liveShowIds(),
          stopStreaming: (showId) => ingest.stopShow(showId),
          onOrphansEnded: async (showIds) => {
            const unfinished = new Set(await shows.unfinishedRecordings());
            for (const showId of showIds) if (unfinished.has(showId)) await recorder.finalize(showId);
          },
          leaseMs: ingestLeaseMs,
          log: log.child({ domain: "shows", component: "ingest-lease" }),
        });
      notifications.start();
      jobs.start();
      uploads.start();
      const address = await http.listen({ host: config.host, port: config.port });
      listening = true;
      return address.replace("[::1]", "127.0.0.1").replace("0.0.0.0", "127.0.0.1");
    },
    async close() {
      // Ingest first, so the shows it ends still reach the rooms; then the rest.
      await ingestLease?.close();
      await ingest.stop();
      // The sessions just ended are being finalized: let their writes and playlists finish.
      await recorder.close();
      // Media jobs stop (running ffmpeg is killed; their leases go back, so a restart takes them at once).
      await jobs.close();
      uploads.close();
      clearInterval(recoverySweep);
      await flashSales.close();
      await flashOwnership?.close();
      await realtime.close();
      // Live analytics streams end before the HTTP server closes (it waits for open responses).
      await analytics.close();
      // Notification streams end too; fan-outs and e-mails in progress finish.
      await notifications.close();
      if (listening || http.server.listening) await http.close();
      else await http.close().catch(() => {});
      await realtime.stop();
      // Let ledger writes started by the last events finish before the database goes.
      await commissions.close();
      // Last: every room, request and event handler is done; what they counted is flushed.
      await analytics.stop();
      await search.close();
      await bus.close();
      await broker?.close();
      await db.close();
      storage.close();
    },
  };
}
