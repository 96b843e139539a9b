import { spawn, type ChildProcess } from "node:child_process";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import type { Show } from "../../src/shared/contracts/shows.ts";
import type { ApiClient } from "./client.ts";
import type { TestServer } from "./harness.ts";
import { until } from "./until.ts";

/** A new show of the signed-in merchant (hosted by its own staff member), with the given products. */
export async function merchantShow(merchant: ApiClient, title: string, productIds: string[]): Promise<Show> {
  const me = (await merchant.auth.me()).body.user!;
  const r = await merchant.shows.create({ title, description: "", coverUrl: null, scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), hostId: me.id, productIds });
  if (r.status !== 201 && r.status !== 200) throw new Error(`show not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Where shows are pushed to, and how many segments of a show's recording are stored. */
export interface RecordingTarget {
  rtmpUrl: string;
  segments(showId: string): Promise<number>;
}

export function serverTarget(server: TestServer): RecordingTarget {
  return { rtmpUrl: server.rtmpUrl, segments: async (showId) => (await server.app.mediaStorage.list(`replays/${showId}/`)).filter((k) => /-s\d+-t/.test(k)).length };
}

/** Pushes the RTMP test pattern (640×360 unless told) to the show until stopped; resolves once it is live. */
export async function goLive(server: TestServer | RecordingTarget, merchant: ApiClient, showId: string, children: ChildProcess[], seconds = 120, size = { width: 640, height: 360 }): Promise<ChildProcess> {
  const studio = (await merchant.shows.studio(showId)).body;
  const child = spawn(resolveFfmpeg(), testPatternArgs({ url: `${server.rtmpUrl}/${studio.streamKey}`, seconds, ...size, preset: "ultrafast" }), { stdio: ["ignore", "ignore", "ignore"] });
  children.push(child);
  await until(`show ${showId} live`, async () => {
    const s = (await merchant.shows.get(showId)).body;
    return s.status === "live" && s.playbackUrl;
  }, 30_000);
  return child;
}

/**
 * Records a short show: live for about `seconds` of media, `productId` showcased once it is live,
 * then ended; resolves when its replay is ready.
 */
export async function recordShow(server: TestServer | RecordingTarget, merchant: ApiClient, o: { title: string; productId: string; seconds: number; children: ChildProcess[]; size?: { width: number; height: number } }): Promise<Show> {
  const target = "app" in server ? serverTarget(server) : server;
  const show = await merchantShow(merchant, o.title, [o.productId]);
  const child = await goLive(target, merchant, show.id, o.children, o.seconds + 30, o.size);
  await merchant.shows.showcase(show.id, o.productId);
  // Wait for `seconds` of recorded media (counted by the replay's own segment files; 1 s segments in tests), then end it.
  await until(`${o.seconds}s recorded`, async () => (await target.segments(show.id)) >= o.seconds, 60_000, 250);
  await merchant.shows.end(show.id);
  child.kill("SIGKILL");
  await until("replay ready", async () => (await merchant.shows.get(show.id)).body.replayUrl, 30_000);
  return (await merchant.shows.get(show.id)).body;
}
