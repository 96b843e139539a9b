import { spawn, type ChildProcess } from "node:child_process";
import { ApiClient } from "../../test/support/client.ts";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";

/**
 * Puts the demo host's first show on air, as the benchmarks need: signs in as the demo host, pushes a
 * small ffmpeg test pattern to the server's RTMP port and waits until the show is live.
 */
export async function goLive(baseUrl: string, rtmpPort: string, timeoutMs = 60_000): Promise<{ host: ApiClient; showId: string; pusher: ChildProcess }> {
  const host = new ApiClient(baseUrl);
  await host.auth.signIn("host@vetrina.test", "vetrina-demo");
  const show = (await host.shows.mine()).body.items[0]!;
  const key = (await host.shows.studio(show.id)).body.streamKey;
  const pusher = spawn(resolveFfmpeg(), testPatternArgs({ url: `rtmp://127.0.0.1:${rtmpPort}/live/${key}`, width: 320, height: 180, fps: 15, preset: "ultrafast" }), { stdio: "ignore" });
  const deadline = Date.now() + timeoutMs;
  while ((await host.shows.get(show.id)).body.status !== "live") {
    if (Date.now() > deadline) {
      pusher.kill("SIGKILL");
      throw new Error(`the show did not go live within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { host, showId: show.id, pusher };
}
