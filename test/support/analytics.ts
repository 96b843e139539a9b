import assert from "node:assert/strict";
import type { AnalyticsReport, IngestResult, LiveAnalytics } from "../../src/shared/contracts/analytics.ts";
import type { Show } from "../../src/shared/contracts/shows.ts";
import type { ApiClient } from "./client.ts";
import type { TestServer } from "./harness.ts";

/** The analytics API as a dashboard and a viewer's app use it. */
export const analyticsApi = (c: ApiClient) => ({
  send: (events: unknown[]) => c.request<IngestResult>("POST", "/api/v1/analytics/events", { events }),
  live: (showId: string) => c.request<LiveAnalytics>("GET", `/api/v1/analytics/shows/${showId}/live`),
  report: (query: Record<string, string>) => c.request<AnalyticsReport>("GET", `/api/v1/analytics/report?${new URLSearchParams(query)}`),
  csv: (query: Record<string, string>) => c.request<string>("GET", `/api/v1/analytics/report?${new URLSearchParams({ ...query, format: "csv" })}`),
  /** Opens the live stream; `updates` fills as `analytics.live` events arrive. */
  async stream(showId: string) {
    const ctl = new AbortController();
    const res = await fetch(`${c.baseUrl}/api/v1/analytics/shows/${showId}/live/stream`, { headers: c.cookie ? { cookie: c.cookie } : {}, signal: ctl.signal });
    const updates: { at: number; live: LiveAnalytics }[] = [];
    if (res.ok && res.body) {
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      void (async () => {
        let buf = "";
        try {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) return;
            buf += value;
            let end: number;
            while ((end = buf.indexOf("\n\n")) >= 0) {
              const block = buf.slice(0, end);
              buf = buf.slice(end + 2);
              const data = block.split("\n").find((l) => l.startsWith("data: "));
              if (block.includes("event: analytics.live") && data) updates.push({ at: Date.now(), live: JSON.parse(data.slice(6)) });
            }
          }
        } catch {
          // aborted
        }
      })();
    }
    return { status: res.status, contentType: res.headers.get("content-type"), updates, close: () => ctl.abort() };
  },
});

/** A new live show of the demo merchant, hosted by the demo creator, selling the tee and the mug. */
export async function freshShow(server: TestServer, title: string): Promise<Show> {
  const merchant = await server.as("merchant");
  const host = await server.as("host");
  const products = (await merchant.products.list()).body.items;
  const productIds = products.filter((p) => /tee|mug/i.test(p.title)).map((p) => p.id);
  const hostId = (await host.auth.me()).body.user!.id;
  const created = await merchant.shows.create({ title, scheduledAt: new Date().toISOString(), hostId, productIds });
  assert.equal(created.status, 201);
  await server.app.shows.markLive(created.body.id);
  return (await server.app.shows.get(created.body.id))!;
}
