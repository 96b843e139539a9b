import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pino from "pino";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import { ApiClient } from "../support/client.ts";
import { freePort, startServer, type TestServer } from "../support/harness.ts";
import { nginxMissing, renderNginxTemplate, startNginx, type TestNginx } from "../support/nginx.ts";
import { until } from "../support/until.ts";
import { childFfmpegPids } from "../support/processes.ts";

// Issue 5: ingest on its own machine (nginx-rtmp calls Vetrina back) and a CDN in front of HLS (nginx
// as a caching reverse proxy), both with the reference configs of deploy/nginx/, for real: nginx,
// ffmpeg pushing RTMP, Vetrina with INGEST=external.
const missing = nginxMissing({ rtmp: true });

test("docs/deployment.md shows the nginx configs the tests run, unchanged", () => {
  const doc = fs.readFileSync(path.join(import.meta.dirname, "../../docs/deployment.md"), "utf8");
  for (const file of ["rtmp-edge.conf", "hls-cache.conf"]) {
    const conf = fs.readFileSync(path.join(import.meta.dirname, "../../deploy/nginx", file), "utf8").trimEnd();
    assert.ok(doc.includes("```nginx\n" + conf + "\n```"), `docs/deployment.md must show deploy/nginx/${file} as it is`);
  }
});

describe("edge ingest through nginx-rtmp; LL-HLS through an nginx cache", { skip: missing ?? false }, () => {
  let server: TestServer;
  let nginx: TestNginx;
  let rtmpPort: number;
  let cdnBase: string;
  const secret = randomBytes(16).toString("hex");
  const ffmpeg = resolveFfmpeg();
  const publishers = new Set<ChildProcess>();
  const publisherPids = new Set<number>();
  /** Vetrina's log lines: its request log is how the test counts what reached the origin. */
  const logLines: string[] = [];
  let host: ApiClient;
  let show: { id: string; streamKey: string };

  before(async () => {
    rtmpPort = await freePort();
    const cdnPort = await freePort();
    const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
    server = await startServer(
      {
        INGEST: "external",
        INGEST_PULL_URL: `rtmp://127.0.0.1:${rtmpPort}/live/{key}`,
        INGEST_CALLBACK_SECRET: secret,
        RTMP_PUBLIC_URL: `rtmp://127.0.0.1:${rtmpPort}/live`,
      },
      { logger },
    );
    const vetrina = new URL(server.baseUrl);
    nginx = await startNginx({
      rtmp: renderNginxTemplate("rtmp-edge.conf", { RTMP_LISTEN: `127.0.0.1:${rtmpPort}`, VETRINA_URL: server.baseUrl, VETRINA_ADDR: "127.0.0.1", SECRET: secret }),
      http: renderNginxTemplate("hls-cache.conf", { LISTEN: `127.0.0.1:${cdnPort}`, VETRINA_HTTP: vetrina.host, CACHE_DIR: "cache" }),
      ports: [rtmpPort, cdnPort],
    });
    cdnBase = `http://127.0.0.1:${cdnPort}`;
    host = await server.as("host");
    const scheduled = (await host.shows.mine()).body.items.find((s) => s.status === "scheduled");
    assert.ok(scheduled, "the demo host has a scheduled show");
    const studio = (await host.shows.studio(scheduled.id)).body;
    assert.equal(studio.rtmpUrl, `rtmp://127.0.0.1:${rtmpPort}/live`, "hosts are sent to the edge");
    show = { id: scheduled.id, streamKey: studio.streamKey };
  });

  after(async () => {
    if (process.env.EDGE_TEST_DUMP) fs.writeFileSync(process.env.EDGE_TEST_DUMP, logLines.join("") + "\n=== nginx ===\n" + nginx?.errorLog());
    for (const p of publishers) p.kill("SIGKILL");
    await server?.close();
    await nginx?.stop();
  });

  function push(key: string, seconds?: number): ChildProcess {
    const p = spawn(ffmpeg, testPatternArgs({ url: `rtmp://127.0.0.1:${rtmpPort}/live/${key}`, seconds, width: 320, height: 180, fps: 15, preset: "ultrafast" }), { stdio: "ignore" });
    publishers.add(p);
    if (p.pid) publisherPids.add(p.pid);
    p.once("exit", () => publishers.delete(p));
    return p;
  }

  /** How many requests for exactly this path (and query) reached Vetrina. */
  const originRequests = (url: string) =>
    logLines.filter((l) => {
      const e = JSON.parse(l) as { msg?: string; req?: { url?: string } };
      return e.msg === "incoming request" && e.req?.url === url;
    }).length;
  const viaCdn = (p: string, init?: RequestInit) => fetch(cdnBase + p, init);
  const playlistUrl = () => `/hls/${show.id}/index.m3u8`;

  test("the edge's callbacks are refused without the shared secret, and for an unknown key", async () => {
    const body = new URLSearchParams({ app: "live", flashver: "FMLE/3.0", call: "publish", name: show.streamKey, type: "live", addr: "10.9.9.9", clientid: "1" });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const noSecret = await fetch(`${server.baseUrl}/api/v1/ingest/nginx/on_publish`, { method: "POST", headers: form, body });
    assert.equal(noSecret.status, 403);
    assert.match(noSecret.headers.get("content-type") ?? "", /^application\/problem\+json/);
    assert.equal(((await noSecret.json()) as { code: string }).code, "forbidden");
    const wrongSecret = await fetch(`${server.baseUrl}/api/v1/ingest/nginx/on_publish_done?secret=${"x".repeat(32)}`, { method: "POST", headers: form, body });
    assert.equal(wrongSecret.status, 403);

    body.set("name", "not-a-stream-key");
    const unknown = await fetch(`${server.baseUrl}/api/v1/ingest/nginx/on_publish?secret=${secret}`, { method: "POST", headers: form, body });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { code: string }).code, "invalid_stream_key");
    const noName = await fetch(`${server.baseUrl}/api/v1/ingest/nginx/on_publish?secret=${secret}`, { method: "POST", headers: form, body: "call=publish&app=live" });
    assert.equal(noName.status, 400);
    assert.equal(((await noName.json()) as { code: string }).code, "validation_failed");
    assert.equal((await host.shows.get(show.id)).body.status, "scheduled");
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
    assert.equal(await accepts(server.config.rtmp.port), false, "Vetrina opens no RTMP port of its own");
  });

  test("a push to the edge with a wrong key is refused: ffmpeg fails, nothing goes live, nothing is written", async () => {
    const intruder = push("not-a-stream-key", 30);
    assert.notEqual(await exitCode(intruder), 0, "ffmpeg must fail to publish");
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
    assert.deepEqual(packagerPids(), [], "no packager was started");
    assert.equal((await host.shows.get(show.id)).body.status, "scheduled");
    assert.deepEqual(await server.app.mediaStorage.list("replays/"), [], "no recording");
    assert.match(nginx.errorLog(), /notify: publish/);
  });

  let publisher: ChildProcess;

  test("the right key goes live through the edge: Vetrina pulls it and serves LL-HLS with segments", async () => {
    publisher = push(show.streamKey);
    await until("the show is live", async () => (await host.shows.get(show.id)).body.status === "live");
    assert.deepEqual(server.app.ingest.liveShowIds(), [show.id]);
    assert.equal(packagerPids().length, 1, "one packager, pulling from the edge");
    const playlist = await until("a complete segment", async () => {
      const res = await fetch(server.baseUrl + playlistUrl());
      const p = parsePlaylist(await res.text());
      return res.status === 200 && p.segments.length > 0 && p.map ? p : null;
    });
    const init = await fetch(`${server.baseUrl}/hls/${show.id}/${playlist.map}`);
    assert.equal(init.status, 200);
    assert.equal(init.headers.get("content-type"), "video/mp4");
  });

  test("through the cache: segments MISS then HIT, playlists expire within a second, errors and the API are never cached", async () => {
    const playlist = parsePlaylist(await (await fetch(server.baseUrl + playlistUrl())).text());
    const segment = `/hls/${show.id}/${playlist.segments.at(-1)}`;
    const first = await viaCdn(segment);
    const firstBody = Buffer.from(await first.arrayBuffer());
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-cache-status"), "MISS");
    assert.equal(first.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const second = await viaCdn(segment);
    assert.equal(second.headers.get("x-cache-status"), "HIT");
    assert.deepEqual(Buffer.from(await second.arrayBuffer()), firstBody);
    assert.equal(originRequests(segment), 1, "the segment was fetched from Vetrina once");

    // A plain playlist request is cached for a second at most (s-maxage=1), then fetched again.
    const plain = await viaCdn(playlistUrl());
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("cache-control"), "public, max-age=0, s-maxage=1");
    assert.equal(plain.headers.get("x-cache-status"), "MISS");
    const plainBody = await plain.text();
    const refreshed = await until("the cached playlist expires", async () => {
      const res = await viaCdn(playlistUrl());
      const text = await res.text();
      return res.headers.get("x-cache-status") === "EXPIRED" ? text : null;
    });
    assert.notEqual(refreshed, plainBody, "after expiry the newer playlist is served");

    // A missing part is a 404 that is not kept: each request goes to Vetrina.
    const missingPart = `/hls/${show.id}/${playlist.map!.split("-")[0]}-p999999.mp4`;
    for (let i = 0; i < 2; i++) {
      const res = await viaCdn(missingPart);
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal(res.headers.get("x-cache-status"), "MISS");
      await res.body?.cancel();
    }
    assert.equal(originRequests(missingPart), 2);

    // The API (a signed-in user's own data) passes through untouched.
    const viaCdnHost = new ApiClient(cdnBase);
    viaCdnHost.cookie = host.cookie;
    for (let i = 0; i < 2; i++) {
      const me = await viaCdnHost.auth.me();
      assert.equal(me.status, 200);
      assert.equal(me.body.user?.email, "host@vetrina.test");
      assert.equal(me.headers.get("x-cache-status"), null);
    }
    assert.equal(originRequests("/api/v1/me"), 2);
    // So does the room's WebSocket.
    const room = await viaCdnHost.joinRoom(show.id);
    assert.ok(room.events.some((e) => e.type === "room.snapshot"));
    room.close();
  });

  test("through the cache: many viewers blocked on the same part are one request to Vetrina", async () => {
    const now = parsePlaylist(await (await fetch(server.baseUrl + playlistUrl())).text());
    const blocking = `${playlistUrl()}?_HLS_msn=${now.openMsn}&_HLS_part=${now.openParts}`;
    const hinted = `/hls/${show.id}/${now.hint}`;
    const viewers = 20;
    const [playlists, parts] = await Promise.all([
      Promise.all(Array.from({ length: viewers }, () => viaCdn(blocking).then(async (r) => ({ status: r.status, cache: r.headers.get("x-cache-status"), body: await r.text() })))),
      Promise.all(Array.from({ length: viewers }, () => viaCdn(hinted).then(async (r) => ({ status: r.status, cache: r.headers.get("x-cache-status"), body: Buffer.from(await r.arrayBuffer()) })))),
    ]);
    for (const answers of [playlists, parts]) {
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
      assert.equal(answers.filter((a) => a.cache === "MISS").length, 1, "one viewer's request went to Vetrina, the others waited for it");
      assert.equal(answers.filter((a) => a.cache === "HIT").length, viewers - 1);
    }
    assert.equal(new Set(playlists.map((a) => a.body)).size, 1, "everyone got the same playlist");
    assert.ok(parsePlaylist(playlists[0]!.body).parts.some((p) => p.uri === now.hint), "which lists the part it waited for");
    assert.equal(new Set(parts.map((a) => a.body.toString("base64"))).size, 1);
    assert.equal(originRequests(blocking), 1, "Vetrina answered the blocking request once");
    assert.equal(originRequests(hinted), 1, "and sent the part once");
  });

  test("stopping the push ends the show (on_publish_done) and its packager", async () => {
    publisher.kill("SIGINT"); // what "Stop streaming" in OBS amounts to
    await exitCode(publisher);
    await until("the show has ended", async () => (await host.shows.get(show.id)).body.status === "ended");
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
    await until("no packager left", async () => packagerPids().length === 0);
    await until("the edge reported the end", async () => /notify: publish_done/.test(nginx.errorLog()));
    // The key of an ended show is refused at the edge.
    assert.notEqual(await exitCode(push(show.streamKey, 30)), 0);
    assert.equal((await host.shows.get(show.id)).body.status, "ended");
  });

  test("End show in the studio drops the host's encoder at the edge (on_update)", async () => {
    const merchant = await server.as("merchant");
    const me = (await host.auth.me()).body.user!;
    const next = (await merchant.shows.create({ title: "Second show", scheduledAt: new Date().toISOString(), hostId: me.id, productIds: [] })).body;
    const { streamKey } = (await host.shows.studio(next.id)).body;
    const encoder = push(streamKey);
    await until("the second show is live", async () => (await host.shows.get(next.id)).body.status === "live");
    assert.equal((await host.shows.end(next.id)).status, 200);
    // The edge asks every 10 s (notify_update_timeout) and drops the publisher when Vetrina says no.
    assert.notEqual(await exitCode(encoder), 0, "the encoder is disconnected");
    assert.match(nginx.errorLog(), /notify: update/);
    await until("no packager left", async () => packagerPids().length === 0);
  });

  test("the edge going away mid-stream (its worker killed, every connection cut) ends the show; Vetrina stays up", async () => {
    const merchant = await server.as("merchant");
    const me = (await host.auth.me()).body.user!;
    const third = (await merchant.shows.create({ title: "Third show", scheduledAt: new Date().toISOString(), hostId: me.id, productIds: [] })).body;
    const encoder = push((await host.shows.studio(third.id)).body.streamKey);
    await until("the third show is live", async () => (await host.shows.get(third.id)).body.status === "live");
    await nginx.killWorkers();
    assert.notEqual(await exitCode(encoder), 0, "the encoder lost its connection");
    await until("the show has ended", async () => (await host.shows.get(third.id)).body.status === "ended");
    await until("no packager left", async () => packagerPids().length === 0);
    assert.deepEqual(server.app.ingest.liveShowIds(), []);
    assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
    assert.ok(!logLines.some((l) => l.includes(secret)), "the callback secret never reaches Vetrina's log");
  });

  /** ffmpeg processes this test process started that are not publishers: Vetrina's packagers. */
  const packagerPids = () => childFfmpegPids(publisherPids);
});

/** What the tests need from a media playlist. */
function parsePlaylist(body: string) {
  let msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(body)?.[1] ?? NaN);
  const segments: string[] = [];
  const parts: { uri: string }[] = [];
  let open = 0;
  for (const line of body.split("\n")) {
    const part = /^#EXT-X-PART:DURATION=[0-9.]+,URI="([^"]+)"/.exec(line);
    if (part) {
      parts.push({ uri: part[1]! });
      open++;
    } else if (line && !line.startsWith("#")) {
      segments.push(line);
      msn++;
      open = 0;
    }
  }
  return {
    map: /#EXT-X-MAP:URI="([^"]+)"/.exec(body)?.[1],
    segments,
    parts,
    /** the open segment's msn and how many parts it has: (openMsn, openParts) is the next part */
    openMsn: msn,
    openParts: open,
    hint: /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(body)?.[1],
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
