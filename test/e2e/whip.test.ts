import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { e2eSuite } from "../support/e2e.ts";
import { desktopContext, phoneContext } from "../support/browser.ts";
import { until } from "../support/until.ts";

/** A syntactically fine offer that names the given video codec (enough for the checks before ICE). */
function offer(codec: "H264" | "VP8"): string {
  return [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "c=IN IP4 0.0.0.0",
    "a=mid:0",
    "a=sendonly",
    "a=rtcp-mux",
    "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
    "a=setup:actpass",
    `a=rtpmap:96 ${codec}/90000`,
    ...(codec === "H264" ? ["a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"] : []),
    "",
  ].join("\r\n");
}

describe("WHIP ingest: going live from the browser", () => {
  const e2e = e2eSuite({ fakeCamera: true });

  const whip = (init: { method?: string; key?: string; type?: string; body?: string; path?: string }) =>
    fetch(`${e2e.server.baseUrl}${init.path ?? "/api/v1/whip"}`, {
      method: init.method ?? "POST",
      headers: { ...(init.type !== undefined ? { "content-type": init.type } : { "content-type": "application/sdp" }), ...(init.key ? { authorization: `Bearer ${init.key}` } : {}) },
      body: init.body,
    });

  test("bad WHIP requests are refused with problem+json and leave the show as it was", async () => {
    const { server, browser } = e2e;
    const host = await server.as("host");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const { streamKey, whipUrl } = (await host.shows.studio(show.id)).body;
    assert.equal(whipUrl, `${server.config.publicUrl}/api/v1/whip`);

    const options = await whip({ method: "OPTIONS" });
    assert.equal(options.status, 204);
    assert.equal(options.headers.get("accept-post"), "application/sdp");

    const cases: { name: string; req: Parameters<typeof whip>[0]; status: number; code: string }[] = [
      { name: "no token", req: { body: offer("H264") }, status: 401, code: "unauthenticated" },
      { name: "wrong token", req: { key: "not-the-stream-key", body: offer("H264") }, status: 401, code: "invalid_stream_key" },
      { name: "not SDP", req: { key: streamKey, type: "application/json", body: JSON.stringify({ sdp: offer("H264") }) }, status: 415, code: "unsupported_media_type" },
      { name: "garbage SDP", req: { key: streamKey, body: "hello" }, status: 400, code: "whip_offer_invalid" },
      { name: "VP8 only", req: { key: streamKey, body: offer("VP8") }, status: 422, code: "whip_codec_unsupported" },
      { name: "trickle ICE", req: { method: "PATCH", key: streamKey, type: "application/trickle-ice-sdpfrag", body: "a=end-of-candidates", path: "/api/v1/whip/abc" }, status: 405, code: "method_not_allowed" },
      { name: "unknown resource", req: { method: "DELETE", key: streamKey, path: "/api/v1/whip/abc" }, status: 404, code: "not_found" },
    ];
    for (const c of cases) {
      const res = await whip(c.req);
      assert.equal(res.status, c.status, c.name);
      assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, c.name);
      assert.equal(((await res.json()) as { code: string }).code, c.code, c.name);
    }
    assert.equal((await host.shows.get(show.id)).body.status, "scheduled");
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
  });

  test("the host goes live from the studio with the browser's camera; a viewer plays it; stopping ends the show", async () => {
    const { server, browser } = e2e;
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const show = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled")!;
    const { streamKey } = (await host.shows.studio(show.id)).body;

    const studioCtx = await desktopContext(browser.browser, server.baseUrl, host.cookie);
    const studio = await studioCtx.newPage();
    studio.on("dialog", (d) => void d.accept());
    await studio.goto(`${server.baseUrl}/studio/${show.id}`);
    await studio.getByTestId("camera-start").click();
    await studio.locator('[data-testid="camera-state"][data-phase="live"]').waitFor({ timeout: 20_000 });
    const live = await until("show live from WHIP", async () => {
      const s = (await viewer.shows.get(show.id)).body;
      return s.status === "live" && s.playbackUrl ? s : null;
    });

    // The LL-HLS stream: H.264 copied from the browser, Opus transcoded to AAC, in parts.
    const stream = server.app.ingest.stream(show.id)!;
    const playlist = await (await fetch(`${server.baseUrl}${live.playbackUrl}`)).text();
    assert.match(playlist, /#EXT-X-PART:DURATION=/);
    const init = stream.resource(/#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!);
    assert.ok(init, "init segment");
    const initText = init.data.toString("latin1");
    assert.ok(initText.includes("avc1") && initText.includes("mp4a"), "H.264 and AAC tracks");

    // Another publisher for the same show, on either protocol's endpoint, is refused while this one is live.
    const second = await whip({ key: streamKey, body: offer("H264") });
    assert.equal(second.status, 409);
    assert.equal(((await second.json()) as { code: string }).code, "show_already_live");

    // The viewer's phone plays it.
    const viewerCtx = await phoneContext(browser.browser, server.baseUrl, viewer.cookie);
    const page = await viewerCtx.newPage();
    await page.goto(`${server.baseUrl}/shows/${show.id}`);
    const video = page.getByTestId("player-video");
    const t1 = await until("viewer video playing", async () => {
      const t = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
      return t > 0.5 ? t : null;
    }, 45_000);
    await until("viewer video advancing", async () => ((await video.evaluate((v: HTMLVideoElement) => v.currentTime)) > t1 + 1 ? true : null));
    const size = await video.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]);
    assert.ok(size[0]! > 0 && size[1]! > 0, `decoded frames ${size}`);

    // Stopping in the studio (DELETE on the WHIP resource) ends the show for everyone.
    await studio.getByTestId("camera-stop").click();
    await until("show ended", async () => ((await viewer.shows.get(show.id)).body.status === "ended" ? true : null));
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
    await viewerCtx.close();
    await studioCtx.close();
  });
});
