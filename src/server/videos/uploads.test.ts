import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { TusClient, makeVideo } from "../../../test/support/uploads.ts";
import { resolveFfmpeg, resolveFfprobe } from "../media/ffmpeg.ts";
import type { ShortVideo, StudioClip, UploadOptions } from "../../shared/contracts/videos.ts";
import type { Product } from "../../shared/contracts/catalog.ts";
import type { FeedPage } from "../../shared/contracts/feed.ts";
import { VIDEO_ID_HEADER } from "./uploads.ts";

const run = promisify(execFile);
const FFPROBE = resolveFfprobe(resolveFfmpeg())!;

describe("video uploads (tus), their checks and transcodes", () => {
  let server: TestServer;
  let dir: string;
  let good: Buffer;
  let merchantId: string;
  let products: Product[];
  before(async () => {
    // Small limits, so that the refusals need only small files.
    server = await startServer({ UPLOAD_MAX_BYTES: String(4 * 1024 * 1024), UPLOAD_MAX_SECONDS: "4" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "upload-test-"));
    await makeVideo(path.join(dir, "good.mp4"), { seconds: 3 });
    good = fs.readFileSync(path.join(dir, "good.mp4"));
    const host = await server.as("host");
    const opts = (await host.request<UploadOptions>("GET", "/api/v1/studio/uploads/options")).body;
    assert.ok(opts.merchants.length >= 1, "the demo host hosts for a shop");
    merchantId = opts.merchants[0]!.id;
    products = (await host.request<{ items: Product[] }>("GET", `/api/v1/studio/uploads/products?merchantId=${merchantId}`)).body.items;
    assert.ok(products.length >= 2);
  });
  after(async () => {
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const staged = () => fs.readdirSync(server.config.uploads.stagingDir).filter((n) => n !== "work");
  const uploadRows = async () => (await server.app.db.db.selectFrom("short_videos" as any).select("id").where("kind", "=", "upload").execute()).length;
  const meta = (extra: Record<string, string> = {}) => ({ merchantId, title: "My look", filename: "clip.txt", filetype: "text/plain", ...extra });

  test("only a creator or the shop's staff may upload; only its creator may continue it; a dropped upload resumes from the server's offset", async () => {
    const host = await server.as("host");
    const viewer = await server.as("viewer");
    const anon = new TusClient(server.baseUrl, "");
    const tus = new TusClient(server.baseUrl, host.cookie);
    const other = new TusClient(server.baseUrl, viewer.cookie);

    const unauth = await anon.create(good.length, meta());
    assert.equal(unauth.status, 401);
    assert.equal((await unauth.json()).code, "unauthenticated");
    const forbidden = await other.create(good.length, meta());
    assert.equal(forbidden.status, 403);
    assert.equal((await forbidden.json()).code, "forbidden");
    const badMeta = await tus.create(good.length, { merchantId, title: "" });
    assert.equal(badMeta.status, 400);
    assert.equal((await badMeta.json()).code, "validation_failed");
    const badTag = await tus.create(good.length, meta({ products: "prd_nope" }));
    assert.equal((await badTag.json()).code, "validation_failed");

    const created = await tus.create(good.length, meta({ products: `${products[1]!.id},${products[0]!.id}`, caption: "Autumn" }));
    assert.equal(created.status, 201);
    const location = created.headers.get("location")!;
    assert.match(location, /^\/api\/v1\/uploads\/videos\/[A-Za-z0-9]+$/);

    // Half, then the connection "drops"; the server keeps what it got.
    const half = Math.floor(good.length / 2);
    assert.equal((await tus.patch(location, 0, good.subarray(0, half))).status, 204);
    assert.equal((await other.head(location)).status, 403, "someone else cannot inspect it");
    assert.equal((await other.patch(location, half, good.subarray(half))).status, 403, "…nor continue it");
    assert.equal((await anon.head(location)).status, 401);
    const head = await tus.head(location);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get("upload-offset")), half, "resumes where the server stopped, not from 0");
    assert.equal((await tus.patch(location, 0, good.subarray(0, 10))).status, 409, "a stale offset is refused");

    const done = await tus.send(location, good, half, 64 * 1024);
    assert.equal(done.status, 204);
    const videoId = done.headers.get(VIDEO_ID_HEADER)!;
    assert.match(videoId, /^vid_/);

    const processing = (await host.request<StudioClip>("GET", `/api/v1/videos/${videoId}/studio`)).body;
    assert.ok(["processing", "draft"].includes(processing.status));
    assert.equal(processing.kind, "upload");
    assert.equal(processing.title, "My look");
    assert.equal(processing.caption, "Autumn");
    assert.deepEqual(processing.products.map((p) => p.id), [products[1]!.id, products[0]!.id]);
    assert.equal((await viewer.request("GET", `/api/v1/videos/${videoId}/studio`)).status, 403);

    await server.app.jobs.drained();
    const draft = (await host.request<StudioClip>("GET", `/api/v1/videos/${videoId}/studio`)).body;
    assert.equal(draft.status, "draft");
    assert.equal(draft.progress, 1);
    assert.deepEqual(draft.playback, { kind: "hls", url: `/media/videos/${videoId}/hls/index.m3u8` });
    assert.deepEqual(staged(), [], "the staging file is gone once transcoded");
    const mine = (await host.request<{ items: StudioClip[] }>("GET", "/api/v1/studio/videos")).body.items;
    assert.ok(mine.some((v) => v.id === videoId && v.status === "draft"));

    // A draft's files: its creator only.
    assert.equal((await fetch(server.baseUrl + draft.playback!.url)).status, 404);
    assert.equal((await fetch(server.baseUrl + draft.playback!.url, { headers: { cookie: viewer.cookie } })).status, 404);
    const playlistRes = await fetch(server.baseUrl + draft.playback!.url, { headers: { cookie: host.cookie } });
    assert.equal(playlistRes.status, 200);
    assert.equal(playlistRes.headers.get("content-type"), "application/vnd.apple.mpegurl");
    const playlist = await playlistRes.text();
    assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.match(playlist, /#EXT-X-MAP:URI="init\.mp4"/);
    assert.match(playlist, /#EXT-X-ENDLIST/);
    assert.ok(Math.max(...[...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]))) <= 2.1, "~2 s segments");

    // Playable: fetch every file it names and let ffprobe read the playlist.
    const hls = path.join(dir, "hls");
    fs.mkdirSync(hls);
    fs.writeFileSync(path.join(hls, "index.m3u8"), playlist);
    for (const name of ["init.mp4", ...playlist.split("\n").filter((l) => l && !l.startsWith("#"))]) {
      const r = await fetch(`${server.baseUrl}/media/videos/${videoId}/hls/${name}`, { headers: { cookie: host.cookie } });
      assert.equal(r.status, 200, name);
      fs.writeFileSync(path.join(hls, name), Buffer.from(await r.arrayBuffer()));
    }
    const probe = JSON.parse((await run(FFPROBE, ["-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height", "-of", "json", path.join(hls, "index.m3u8")])).stdout);
    const v = probe.streams.find((s: any) => s.codec_type === "video");
    const a = probe.streams.find((s: any) => s.codec_type === "audio");
    assert.deepEqual([v.codec_name, v.width, v.height, a?.codec_name], ["h264", 360, 640, "aac"]);
    assert.ok(Math.abs(Number(probe.format.duration) - 3) < 0.5, `duration ${probe.format.duration}`);
    const poster = await fetch(server.baseUrl + draft.posterUrl!, { headers: { cookie: host.cookie } });
    assert.equal(poster.headers.get("content-type"), "image/jpeg");
    assert.deepEqual([...Buffer.from(await poster.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);

    // Tags: at most 10, unique, the shop's active products; the creator only.
    const tagsUrl = `/api/v1/videos/${videoId}/products`;
    assert.equal((await host.request<{ code: string }>("PUT", tagsUrl, { productIds: Array.from({ length: 11 }, (_, i) => `prd_${i}`) })).body.code, "validation_failed");
    assert.equal((await host.request<{ code: string }>("PUT", tagsUrl, { productIds: [products[0]!.id, products[0]!.id] })).body.code, "validation_failed");
    assert.equal((await host.request<{ code: string }>("PUT", tagsUrl, { productIds: ["prd_missing"] })).body.code, "validation_failed");
    assert.equal((await viewer.request("PUT", tagsUrl, { productIds: [products[0]!.id] })).status, 403);
    const tagged = await host.request<StudioClip>("PUT", tagsUrl, { productIds: [products[0]!.id] });
    assert.equal(tagged.status, 200);
    assert.deepEqual(tagged.body.products.map((p) => p.id), [products[0]!.id]);
    assert.ok(tagged.body.products[0]!.price && tagged.body.products[0]!.price.amount > 0);

    // Published: public, in the feed, with its product.
    assert.equal((await host.request<StudioClip>("POST", `/api/v1/videos/${videoId}/publish`)).body.status, "published");
    assert.equal((await fetch(server.baseUrl + draft.playback!.url)).status, 200);
    const pub = (await server.client().request<ShortVideo>("GET", `/api/v1/videos/${videoId}`)).body;
    assert.equal(pub.playback?.kind, "hls");
    assert.equal(pub.products[0]?.id, products[0]!.id);
    const feedRes = await server.client().request<FeedPage>("GET", "/api/v1/feed?limit=30");
    assert.equal(feedRes.status, 200, JSON.stringify(feedRes.body));
    const feed = feedRes.body;
    const item = feed.items.find((i) => i.kind === "video" && i.video.id === videoId);
    assert.ok(item && item.kind === "video", "the published video is in the feed");
    assert.equal(item.video.playbackUrl, draft.playback!.url);
    assert.equal(item.products[0]?.id, products[0]!.id);
    // Its page carries a link preview: title, poster, featured product and price.
    const html = await (await fetch(`${server.baseUrl}/videos/${videoId}`)).text();
    assert.match(html, /<meta property="og:title" content="My look" \/>/);
    assert.match(html, new RegExp(`<meta property="og:image" content="${server.config.publicUrl}/media/videos/${videoId}\\.jpg" />`));
    assert.match(html, /<meta property="product:price:amount" content="\d+\.\d\d" \/>/);
    assert.ok(html.includes(products[0]!.title.replace(/&/g, "&amp;")), "the featured product is named");
    assert.deepEqual(await server.app.videos.publishedPlaylist(videoId), { prefix: `videos/${videoId}/hls/`, playlistKey: `videos/${videoId}/hls/index.m3u8` });
  });

  test("bad uploads are refused with their codes and leave nothing behind", async () => {
    const host = await server.as("host");
    const tus = new TusClient(server.baseUrl, host.cookie);
    const rowsBefore = await uploadRows();

    // Too large: refused at creation, from Upload-Length alone.
    const big = await tus.create(4 * 1024 * 1024 + 1, meta());
    assert.equal(big.status, 413);
    assert.equal(big.headers.get("content-type"), "application/problem+json; charset=utf-8");
    assert.equal((await big.json()).code, "upload_too_large");

    // The others: once complete, by what ffprobe finds in them (their names say "clip.mp4").
    const text = Buffer.from("this is not a video, whatever its name says\n".repeat(50));
    await makeVideo(path.join(dir, "long.mp4"), { seconds: 6 });
    const truncated = good.subarray(0, Math.floor(good.length * 0.6));
    await makeVideo(path.join(dir, "faststart.mp4"), { seconds: 3, faststart: true });
    const fsFile = fs.readFileSync(path.join(dir, "faststart.mp4"));
    const truncatedIndexFirst = fsFile.subarray(0, Math.floor(fsFile.length * 0.5));
    const cases: [string, Buffer, string][] = [
      ["text", text, "upload_not_video"],
      ["mp4 cut short (no index)", truncated, "upload_truncated"],
      ["index-first mp4 cut short", truncatedIndexFirst, "upload_truncated"],
      ["too long", fs.readFileSync(path.join(dir, "long.mp4")), "upload_too_long"],
    ];
    for (const [what, data, code] of cases) {
      const created = await tus.create(data.length, meta({ filename: "clip.mp4", filetype: "video/mp4" }));
      assert.equal(created.status, 201, what);
      const res = await tus.send(created.headers.get("location")!, data);
      assert.equal(res.status, 422, what);
      assert.match(res.headers.get("content-type") ?? "", /^application\/problem\+json/, what);
      const problem = await res.json();
      assert.equal(problem.code, code, what);
      assert.ok(problem.title && problem.status === 422, what);
      assert.deepEqual(staged(), [], `${what}: no staging file left`);
    }
    assert.equal(await uploadRows(), rowsBefore, "no row for a refused upload");
  });

  test("an abandoned upload's staging file is deleted once it expires; a fresh one is kept", async () => {
    const host = await server.as("host");
    const tus = new TusClient(server.baseUrl, host.cookie);
    const make = async () => {
      const created = await tus.create(good.length, meta());
      const location = created.headers.get("location")!;
      assert.equal((await tus.patch(location, 0, good.subarray(0, 1000))).status, 204);
      return location.split("/").pop()!;
    };
    const old = await make();
    const fresh = await make();
    // Time passes for the first one: its tus record says it was created two days ago.
    const info = path.join(server.config.uploads.stagingDir, `${old}.json`);
    const record = JSON.parse(fs.readFileSync(info, "utf8"));
    record.creation_date = new Date(Date.now() - 2 * 86_400_000).toISOString();
    fs.writeFileSync(info, JSON.stringify(record));
    assert.equal(await server.app.uploads.cleanupExpired(), 1);
    assert.deepEqual(staged().sort(), [fresh, `${fresh}.json`].sort());
    assert.equal((await tus.head(`/api/v1/uploads/videos/${old}`)).status, 404, "gone: a client starts over");
    await tus.head(`/api/v1/uploads/videos/${fresh}`);
    assert.equal((await fetch(`${server.baseUrl}/api/v1/uploads/videos/${fresh}`, { method: "DELETE", headers: { "tus-resumable": "1.0.0", cookie: host.cookie } })).status, 204);
    assert.deepEqual(staged(), []);
  });

  test("a creator who asks for it is published as soon as the transcode is done", async () => {
    const host = await server.as("host");
    const tus = new TusClient(server.baseUrl, host.cookie);
    await makeVideo(path.join(dir, "silent.mp4"), { seconds: 2, audio: false, width: 480, height: 848 });
    const data = fs.readFileSync(path.join(dir, "silent.mp4"));
    const created = await tus.create(data.length, meta({ publish: "1", products: "", caption: "" }));
    const res = await tus.send(created.headers.get("location")!, data);
    const videoId = res.headers.get(VIDEO_ID_HEADER)!;
    await server.app.jobs.drained();
    const v = (await server.client().request<ShortVideo>("GET", `/api/v1/videos/${videoId}`)).body;
    assert.equal(v.id, videoId);
    assert.ok(v.publishedAt);
    assert.deepEqual([v.width, v.height], [480, 848]);
    const job = (await server.app.jobs.byKey(`transcode:${videoId}`))!;
    assert.equal(job.status, "done");
    assert.equal((job.result as { flipped: boolean }).flipped, true);
  });
});
