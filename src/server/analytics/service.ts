import type { User } from "../../shared/contracts/accounts.ts";
import type { AnalyticsReport, ClientAnalyticsEvent, IngestResult, LiveAnalytics } from "../../shared/contracts/analytics.ts";
import type { Db } from "../platform/db.ts";
import type { EventBus } from "../platform/bus.ts";
import { fail, type Result } from "../platform/errors.ts";
import type { Shows } from "../shows/service.ts";
import type { Catalog } from "../catalog/service.ts";
import type { Orders } from "../checkout/orders.ts";
import type { Creators } from "../creators/service.ts";
import { Aggregator, type AnalyticsSink } from "./aggregator.ts";
import { TableEventLog, type EventLog, type OrderLine } from "./event-log.ts";
import { LiveFeed } from "./live-feed.ts";
import { createRollupStore, type AnalyticsDb, type Scope, type ShowDimension } from "./store.ts";
import type { AnalyticsTables } from "./schema.ts";
import { liveView, reportView } from "./views.ts";

export interface Analytics {
  /** Every raw event goes through here (the room, the bus and the ingest endpoint feed it). */
  sink: AnalyticsSink;
  /** The room's hooks: a connection joined or left (`viewers`: the room's size now); likes arrived. */
  roomPresence(showId: string, viewerId: string | null, viewers: number, joined: boolean): void;
  roomLikes(showId: string, count: number): void;
  /** Funnel events reported by a viewer's app (anonymous when `user` is null). */
  ingest(user: User | null, events: ClientAnalyticsEvent[]): Promise<IngestResult>;
  /** The show's merchant staff, its host and admins only. */
  live(user: User, showId: string): Promise<Result<{ live: LiveAnalytics }>>;
  /** Live figures pushed within `pushMs` of a change, the first at once; `end` when analytics closes. */
  watch(user: User, showId: string, watcher: { update(live: LiveAnalytics): void; end(): void }): Promise<Result<{ first: LiveAnalytics; stop(): void }>>;
  report(user: User, q: ReportRequest): Promise<Result<{ report: AnalyticsReport }>>;
  /** Adds everything counted so far to the rollup tables and writes the raw events. */
  flush(): Promise<void>;
  /** Ends the live streams (before the HTTP server closes). */
  close(): Promise<void>;
  /** Stops counting and flushes once more (after the rooms, HTTP and the bus's last events). */
  stop(): Promise<void>;
}

export interface ReportRequest {
  from: number;
  to: number;
  showId?: string;
  productId?: string;
  /** a creator profile's id: the shows its user hosted */
  creatorId?: string;
  campaignId?: string;
}

export interface AnalyticsDeps {
  db: Db;
  dialect: "sqlite" | "postgres";
  bus: EventBus;
  shows: Pick<Shows, "get" | "authorizeHost" | "campaignOf">;
  /** who is a creator (a viewer account with a creator profile hosts shows too), and whose shows a creator id names */
  creators: Pick<Creators, "get" | "byUser">;
  catalog: Pick<Catalog, "get" | "getMany">;
  orders: Pick<Orders, "get">;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Where raw events are kept; default: the `analytics_events` table, batched. */
  eventLog?: (db: AnalyticsDb) => EventLog;
  /** how often counters are added to the rollup tables (and raw events written), ms */
  flushMs?: number;
  /** how often live dashboards may get new figures, ms */
  pushMs?: number;
  now?: () => number;
  /**
   * Who else may follow a show's live figures (live and watch only, not reports): e.g. the staff of
   * the agency whose roster the host is on. Asked only when the show's own people are refused.
   */
  extraLiveViewer?: (user: User, showId: string) => Promise<boolean>;
}

/** Show facts the analytics needs (scoping, titles, which products an ingested event may name), cached. */
interface ShowInfo {
  dimension: ShowDimension;
  products: Map<string, string>;
}
const SHOW_INFO_TTL_MS = 60_000;
/** Orders already counted: the bus may deliver an event twice (retries, several subscribers after a restart). */
const SEEN_ORDERS = 100_000;

export function createAnalytics(deps: AnalyticsDeps): Analytics {
  const now = deps.now ?? Date.now;
  // The domain's view of the database: its own tables only (a narrowing Kysely cannot express by itself).
  const db = deps.db.withTables<AnalyticsTables>() as unknown as AnalyticsDb;
  const store = createRollupStore(db, deps.dialect);
  const eventLog = deps.eventLog?.(db) ?? new TableEventLog(db);

  const infos = new Map<string, { at: number; info: Promise<ShowInfo | null> }>();
  function showInfo(showId: string): Promise<ShowInfo | null> {
    const cached = infos.get(showId);
    if (cached && now() - cached.at < SHOW_INFO_TTL_MS) return cached.info;
    if (infos.size > 10_000) infos.clear();
    const info = Promise.all([deps.shows.get(showId), deps.shows.campaignOf(showId)]).then(([s, campaign]) =>
      s
        ? {
            dimension: { showId: s.id, merchantId: s.merchantId, hostId: s.hostId, title: s.title, campaignId: campaign?.campaignId ?? null },
            products: new Map(s.products.map((p) => [p.id, p.title])),
          }
        : null,
    );
    info.catch(() => infos.delete(showId));
    infos.set(showId, { at: now(), info });
    return info;
  }

  let feed: LiveFeed;
  const aggregator = new Aggregator({
    store,
    log: eventLog,
    now,
    onChange: (showId) => feed.changed(showId),
    async dimensions(showIds) {
      const found = await Promise.all(showIds.map(showInfo));
      return found.filter((i): i is ShowInfo => !!i).map((i) => i.dimension);
    },
  });

  async function computeLive(showId: string): Promise<LiveAnalytics> {
    const [rollup, info] = await Promise.all([aggregator.readShow(showId), showInfo(showId)]);
    const missing = [...rollup.products.values(), ...rollup.sales.values()].map((c) => c.productId).filter((id) => !info?.products.has(id));
    const extra = missing.length ? new Map((await deps.catalog.getMany([...new Set(missing)])).map((p) => [p.id, p.title])) : new Map<string, string>();
    return liveView(rollup, {
      showId,
      now: now(),
      currentViewers: aggregator.currentViewers(showId),
      title: (id) => info?.products.get(id) ?? extra.get(id) ?? id,
    });
  }
  feed = new LiveFeed(computeLive, deps.pushMs ?? 1000, deps.log);

  // ---- sources on the bus (published after commit) ----
  const seen = { paid: new Set<string>(), refunded: new Set<string>() };
  const firstTime = (set: Set<string>, id: string) => {
    if (set.has(id)) return false;
    set.add(id);
    if (set.size > SEEN_ORDERS) set.delete(set.values().next().value!);
    return true;
  };
  /** Handlers still reading an order, awaited before the last flush. */
  const reading = new Set<Promise<void>>();
  const tracked = <E>(fn: (e: E) => Promise<void>) => (e: E) => {
    const p = fn(e).finally(() => reading.delete(p));
    reading.add(p);
    return p;
  };
  const offs = [
    deps.bus.subscribe("chat.posted", (e) => aggregator.record({ kind: "chat.message", showId: e.showId, at: Date.parse(e.message.at), viewerId: e.message.author.id })),
    // Multi-node: every node knows the card on screen (for its own joiners' card.shown); the card's
    // showing to the whole room is counted once, on the node where the host showcased it.
    deps.bus.subscribe("show.showcased", (e, meta) => aggregator.showcased(e.showId, e.productId, e.at, meta.origin === "local"), { scope: "cluster" }),
    deps.bus.subscribe("show.ended", (e) => aggregator.ended(e.showId), { scope: "cluster" }),
    // The host or title may have changed up to the start: read them afresh.
    deps.bus.subscribe("show.started", (e) => void infos.delete(e.showId), { scope: "cluster" }),
    deps.bus.subscribe(
      "order.paid",
      tracked(async (e) => {
        if (!e.showId || !firstTime(seen.paid, e.orderId)) return;
        // Orders are single-product today (buy-now, flash sales): the event says it all. Others are read.
        const lines: OrderLine[] =
          e.productIds.length === 1
            ? [{ productId: e.productIds[0]!, units: e.hostOrder.quantity, amount: e.hostOrder.total }]
            : ((await deps.orders.get(e.orderId))?.items ?? []).map((i) => ({ productId: i.productId, units: i.quantity, amount: i.unitPrice * i.quantity }));
        // Counted in the minute the order was created, as the orders table has it.
        aggregator.record({ kind: "order.paid", showId: e.showId, at: Date.parse(e.hostOrder.at), orderId: e.orderId, viewerId: e.buyerId, currency: e.hostOrder.currency, lines });
      }),
    ),
    // A cancelled order's money goes back to the buyer (cancelled → refunded follows): it leaves GMV now.
    deps.bus.subscribe(
      "order.status_changed",
      tracked(async (e) => {
        if (e.status !== "cancelled" || !e.showId || !firstTime(seen.refunded, e.orderId)) return;
        const order = await deps.orders.get(e.orderId);
        if (!order) return;
        const lines = order.items.map((i) => ({ productId: i.productId, units: i.quantity, amount: i.unitPrice * i.quantity }));
        aggregator.record({ kind: "order.refunded", showId: e.showId, at: e.at, orderId: e.orderId, viewerId: order.buyerId, currency: order.currency, lines });
      }),
    ),
  ];

  let flushing: Promise<void> | null = null;
  async function flush() {
    await aggregator.flush();
    await eventLog.flush();
  }
  const flushTimer = setInterval(() => {
    if (flushing) return;
    flushing = flush()
      .catch((err) => deps.log.error({ err }, "analytics flush failed; counters kept for the next one"))
      .finally(() => (flushing = null));
  }, deps.flushMs ?? 2000);
  flushTimer.unref();

  async function canWatch(user: User, showId: string): Promise<Result<{}>> {
    const r = await deps.shows.authorizeHost(user, showId);
    return r.ok ? { ok: true } : r;
  }

  async function canWatchLive(user: User, showId: string): Promise<Result<{}>> {
    const r = await canWatch(user, showId);
    if (r.ok || r.code !== "forbidden" || !deps.extraLiveViewer) return r;
    return (await deps.extraLiveViewer(user, showId)) ? { ok: true } : r;
  }

  /** how to end each live stream when the app closes */
  const watching = new Set<() => void>();
  let closed = false;

  return {
    sink: aggregator,
    roomPresence: (showId, viewerId, viewers, joined) => aggregator.presence(showId, viewerId, viewers, joined),
    roomLikes: (showId, count) => aggregator.record({ kind: "like", showId, at: now(), count }),

    async ingest(user, events) {
      let accepted = 0;
      const at = now();
      for (const e of events) {
        const info = await showInfo(e.showId);
        if (!info?.products.has(e.productId)) continue;
        aggregator.record({ kind: e.kind, showId: e.showId, productId: e.productId, at, viewerId: user?.id ?? null });
        accepted++;
      }
      return { accepted, dropped: events.length - accepted };
    },

    async live(user, showId) {
      const ok = await canWatchLive(user, showId);
      if (!ok.ok) return ok;
      return { ok: true, live: await computeLive(showId) };
    },

    async watch(user, showId, watcher) {
      const ok = await canWatchLive(user, showId);
      if (!ok.ok) return ok;
      if (closed) return fail("stream_unavailable", "The server is shutting down; reconnect in a moment.");
      const first = await computeLive(showId);
      const unwatch = feed.watch(showId, (live) => watcher.update(live));
      const end = () => watcher.end();
      const stop = () => {
        watching.delete(end);
        unwatch();
      };
      watching.add(end);
      return { ok: true, first, stop };
    },

    async report(user, q) {
      const admin = user.role === "admin";
      const staff = user.merchantId !== null;
      // A viewer account that turned on a creator profile hosts shows: it sees the ones it hosted.
      const hosts = user.role === "host" || (user.role === "viewer" && !!(await deps.creators.byUser(user.id)));
      if (!admin && !staff && !hosts) return fail("forbidden", "Reports are for merchants, hosts and admins.");
      let hostUserId: string | undefined;
      if (q.creatorId) {
        const creator = await deps.creators.get(q.creatorId);
        if (!creator) return fail("not_found", "No such creator.");
        // A merchant sees a creator's shows for its brand (the scope below); a creator only its own.
        if (!admin && !staff && creator.userId !== user.id) return fail("forbidden", "A creator sees the figures of its own shows only.");
        hostUserId = creator.userId;
      }
      let scope: Scope = user.role === "admin" ? { all: true } : { all: false, merchantId: user.merchantId, hostId: user.id };
      if (q.showId) {
        const ok = await canWatch(user, q.showId);
        if (!ok.ok) return ok;
        scope = { all: true };
      }
      if (q.productId) {
        const product = await deps.catalog.get(q.productId);
        if (!product) return fail("not_found", "No such product.");
        const owner = user.role === "admin" || (user.merchantId !== null && user.merchantId === product.merchantId);
        // A creator sees a product's figures in the shows it hosted; another merchant sees nothing of it.
        if (owner) scope = { all: true };
        else if (hosts) scope = { all: false, merchantId: null, hostId: user.id };
        else return fail("forbidden", "Only the product's merchant, the hosts who sold it and admins can see its figures.");
      }
      const rows = await store.reportRows({ from: q.from, to: q.to, scope, showId: q.showId, productId: q.productId, hostUserId, campaignId: q.campaignId });
      const showIds = [...new Set([...rows.shows, ...rows.products, ...rows.sales].map((r) => r.showId))];
      const productIds = [...new Set([...rows.products, ...rows.sales].map((r) => r.productId))];
      const [dims, products] = await Promise.all([store.dimensions(showIds), deps.catalog.getMany(productIds)]);
      const showTitles = new Map(dims.map((d) => [d.showId, d.title]));
      const productTitles = new Map(products.map((p) => [p.id, p.title]));
      const report = reportView(rows, {
        from: q.from,
        to: q.to,
        showId: q.showId ?? null,
        productId: q.productId ?? null,
        creatorId: q.creatorId ?? null,
        campaignId: q.campaignId ?? null,
        showTitle: (id) => showTitles.get(id) ?? id,
        productTitle: (id) => productTitles.get(id) ?? id,
      });
      return { ok: true, report };
    },

    flush,

    async close() {
      closed = true;
      for (const end of [...watching]) end();
      watching.clear();
      feed.close();
    },

    async stop() {
      clearInterval(flushTimer);
      for (const off of offs) off();
      await Promise.allSettled([...reading]);
      await flushing;
      await flush().catch((err) => deps.log.error({ err }, "analytics: last flush failed; counters since the previous one are lost"));
      if (eventLog.dropped) deps.log.warn({ dropped: eventLog.dropped }, "analytics: raw events dropped (storage could not keep up)");
    },
  };
}
