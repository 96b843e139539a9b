import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** One registry per app instance (no global registry), so tests can build many apps in one process. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "vetrina_process_" });
  return {
    registry,
    liveShows: new Gauge({ name: "vetrina_live_shows", help: "Shows currently live", registers: [registry] }),
    roomConnections: new Gauge({ name: "vetrina_room_connections", help: "Open room WebSocket connections", registers: [registry] }),
    ordersTotal: new Counter({ name: "vetrina_orders_total", help: "Orders paid", labelNames: ["currency"], registers: [registry] }),
    orderRevenue: new Counter({ name: "vetrina_order_revenue_minor_total", help: "Revenue of paid orders, minor units", labelNames: ["currency"], registers: [registry] }),
    checkoutOutcomes: new Counter({ name: "vetrina_checkout_attempts_total", help: "Buy-now outcomes", labelNames: ["outcome"], registers: [registry] }),
    chatMessages: new Counter({ name: "vetrina_chat_messages_total", help: "Chat messages accepted", registers: [registry] }),
    ingestSessions: new Counter({ name: "vetrina_ingest_sessions_total", help: "RTMP publish attempts", labelNames: ["result"], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
