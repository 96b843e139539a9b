import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { until } from "../../../test/support/until.ts";
import { goLive, merchantShow, recordShow } from "../../../test/support/channels.ts";
import { buyBody, idemKey } from "../../../test/support/fixtures.ts";
import type { ApiClient } from "../../../test/support/client.ts";
import type { Channel, ChannelNow } from "../../shared/contracts/channels.ts";
import type { Show } from "../../shared/contracts/shows.ts";
import { sql } from "kysely";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { resolveFfmpeg } from "../media/ffmpeg.ts";
import { prepare, windowAt, livePlaylist, type CompiledSchedule } from "./schedule.ts";

const run = promisify(execFile);

/** seq → segment URI from a live playlist */
function segmentsOf(text: string) {
  const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1]);
  const disc = Number(/#EXT-X-DISCONTINUITY-SEQUENCE:(\d+)/.exec(text)?.[1]);
  const uris = text.split("\n").filter((l) => l && !l.startsWith("#"));
  return { seq, disc, uris };
}

describe("24-hour channels", () => {
  let server: TestServer;
  let merchant: ApiClient;
  const children: ChildProcess[] = [];
  let showA: Show;
  let showB: Show;
  let channel: Channel;

  before(async () => {
    server = await startServer();
    merchant = await server.as("merchant");
    const products = (await merchant.products.list()).body.items;
    const tee = products.find((p) => p.title.includes("tee"))!;
    const mug = products.find((p) => p.title.includes("mug"))!;
    // Two short recorded shows, at the same time (each ~6 s of 1 s segments).
    [showA, showB] = await Promise.all([
      recordShow(server, merchant, { title: "Channel A", productId: tee.id, seconds: 6, children }),
      recordShow(server, merchant, { title: "Channel B", productId: mug.id, seconds: 6, children }),
    ]);
  });
  after(async () => {
    for (const c of children) c.kill("SIGKILL");
    await server?.close();
  });

  test("validation: signed-in merchant staff only; empty playlists, unknown items and other merchants' items are refused with a code", async () => {
    const body = { name: "Aurora 24/7", coverUrl: null, items: [{ kind: "replay", refId: showA.id }], takeoverShowIds: [] };
    assert.equal((await server.client().request("POST", "/api/v1/channels", body)).problem?.code, "unauthenticated");
    assert.equal((await (await server.as("viewer")).request("POST", "/api/v1/channels", body)).problem?.code, "forbidden");
    const empty = await merchant.request("POST", "/api/v1/channels", { ...body, items: [] });
    assert.equal(empty.status, 422);
    assert.equal(empty.problem?.code, "channel_playlist_empty");
    const unknown = await merchant.request("POST", "/api/v1/channels", { ...body, items: [{ kind: "video", refId: "vid_nope" }] });
    assert.equal(unknown.problem?.code, "channel_item_unavailable");
    const scheduled = await merchantShow(merchant, "Not yet", []);
    assert.equal((await merchant.request("POST", "/api/v1/channels", { ...body, items: [{ kind: "replay", refId: scheduled.id }] })).problem?.code, "channel_item_unavailable", "a show without a replay");
    assert.equal((await merchant.request("POST", "/api/v1/channels", { ...body, items: [{ kind: "clip", refId: showA.id }] })).problem?.code, "validation_failed");
    assert.equal((await merchant.request("POST", "/api/v1/channels", { ...body, name: "" })).problem?.code, "validation_failed");

    // Another merchant's show, in the playlist or as a takeover show.
    const other = await server.app.accounts.createMerchant("Other shop", "EUR");
    const staff = await server.app.accounts.signUp({ email: "other@vetrina.test", password: "vetrina-demo", displayName: "Other", role: "merchant", merchantId: other.id });
    assert.ok(staff.ok);
    const theirs = await server.app.shows.create(other.id, { title: "Theirs", description: "", coverUrl: null, scheduledAt: new Date(Date.now() + 3_600_000).toISOString(), hostId: staff.user.id, productIds: [] });
    assert.ok(theirs.ok);
    const foreign = await merchant.request("POST", "/api/v1/channels", { ...body, items: [{ kind: "replay", refId: theirs.show.id }] });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.problem?.code, "channel_item_not_yours");
    assert.equal((await merchant.request("POST", "/api/v1/channels", { ...body, takeoverShowIds: [theirs.show.id] })).problem?.code, "channel_item_not_yours");
    const otherClient = server.client();
    await otherClient.auth.signIn("other@vetrina.test", "vetrina-demo");
    const mine = await merchant.request<Channel>("POST", "/api/v1/channels", body);
    assert.equal(mine.status, 201);
    assert.equal((await otherClient.request("PUT", `/api/v1/channels/${mine.body.id}`, body)).problem?.code, "not_found", "another merchant cannot edit it");
    assert.equal((await server.client().request("GET", "/api/v1/channels/chn_nope/now")).problem?.code, "not_found");
  });

  test("the compile job (real runner) makes the schedule from the recorded replays; the live playlist serves their stored segments", async () => {
    const live = await merchantShow(merchant, "Takeover show", []);
    const created = await merchant.request<Channel>("POST", "/api/v1/channels", {
      name: "Aurora around the clock",
      coverUrl: null,
      items: [
        { kind: "replay", refId: showA.id },
        { kind: "replay", refId: showB.id },
      ],
      takeoverShowIds: [live.id],
    });
    assert.equal(created.status, 201);
    assert.ok(["queued", "running"].includes(created.body.compile.status));
    await server.app.jobs.drained();
    channel = (await server.client().request<Channel>("GET", `/api/v1/channels/${created.body.id}`)).body;
    assert.equal(channel.compile.status, "done");
    assert.equal(channel.compile.progress, 1);
    assert.equal(channel.compile.stale, false);
    assert.deepEqual(channel.items.map((i) => i.problem), [null, null]);
    assert.ok(channel.items.every((i) => (i.durationMs ?? 0) >= 5000), "each replay plays whole");
    assert.equal(channel.loopMs, channel.items[0]!.durationMs! + channel.items[1]!.durationMs!);
    assert.equal(channel.playlistUrl, `/channels/${channel.id}/live.m3u8`);
    // Each item's card is its show's showcased product (from its showcase on), attributed to its show.
    const products = (i: number) => channel.cards.filter((c) => c.item === i && c.product).map((c) => [c.product!.title, c.showId]);
    assert.deepEqual(products(0), [["Organic cotton tee", showA.id]]);
    assert.deepEqual(products(1), [["Hand-thrown mug", showB.id]]);
    assert.equal(channel.cards[channel.cards.length - 1]!.endMs, channel.loopMs);
    assert.deepEqual(channel.takeoverShowIds, [live.id]);

    // The job record: a real job of kind channel.compile, done once.
    const job = await server.app.jobs.byKey(`channel:${channel.id}:v1`);
    assert.equal(job?.kind, "channel.compile");
    assert.equal(job?.status, "done");

    const res = await fetch(server.baseUrl + channel.playlistUrl!);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /mpegurl/);
    const text = await res.text();
    const { uris } = segmentsOf(text);
    assert.ok(uris.length >= 1);
    assert.match(text, /#EXT-X-MAP:URI="media\/replays\/shw_[^/]+\/[a-z0-9]+-init\.mp4"/);
    assert.match(text, /#EXT-X-PROGRAM-DATE-TIME:/);
    // A channel segment is the replay's stored file, byte for byte.
    const uri = uris[uris.length - 1]!;
    const seg = await fetch(new URL(uri, server.baseUrl + channel.playlistUrl!).toString());
    assert.equal(seg.status, 200);
    assert.deepEqual(Buffer.from(await seg.arrayBuffer()), await server.app.mediaStorage.read(uri.slice("media/".length)));
    // Only files of the schedule are served.
    for (const bad of ["media/replays/other/x-init.mp4", "media/..%2F..%2Fsecret", "media/channels.db"]) {
      const r = await fetch(`${server.baseUrl}/channels/${channel.id}/${bad}`);
      assert.equal(r.status, 404, bad);
    }
  });

  test("schedule math on the real compiled schedule: continuous sequence numbers across slides and the loop wrap", async () => {
    const row = await sql<{ schedule: string; epoch: string | number }>`select schedule, epoch from channels where id = ${channel.id}`.execute(server.app.db.db);
    const ps = prepare(JSON.parse(row.rows[0]!.schedule) as CompiledSchedule);
    const epoch = Number(row.rows[0]!.epoch);
    const state = { epoch, seqBase: 0, discBase: 0, takeoverStartedAt: null };
    const seen = new Map<number, string>();
    let lastSeq = -1;
    let lastDisc = -1;
    for (let t = epoch; t < epoch + 3 * ps.loopMs; t += 137) {
      const { seq, disc, uris } = segmentsOf(livePlaylist(ps, windowAt(ps, state, t, 8), (k) => k));
      assert.ok(seq >= lastSeq && disc >= lastDisc);
      lastSeq = seq;
      lastDisc = disc;
      uris.forEach((u, k) => {
        const prev = seen.get(seq + k);
        if (prev) assert.equal(u, prev);
        else seen.set(seq + k, u);
      });
    }
    const n = ps.s.segments.length;
    assert.ok(seen.size >= 2 * n, "more than two loops seen");
    assert.equal(seen.get(n), ps.s.segments[0]!.key, "after the last segment of the loop comes the first again");
    assert.equal(ps.runsPerLoop, 2, "two recorded shows, one publish each: two runs");
  });

  test("a live show scheduled on the channel takes it over; when it ends the channel resumes where it paused", async () => {
    const takeover = channel.takeoverShowIds[0]!;
    const before = (await server.client().request<ChannelNow>("GET", `/api/v1/channels/${channel.id}/now`)).body;
    assert.equal(before.state, "playout");
    assert.ok(before.item && before.nextChangeAt);

    const child = await goLive(server, merchant, takeover, children);
    const during = await until("taken over", async () => {
      const n = (await server.client().request<ChannelNow>("GET", `/api/v1/channels/${channel.id}/now`)).body;
      return n.state === "live" ? n : null;
    });
    assert.equal(during.live?.showId, takeover);
    assert.equal(during.live?.playbackUrl, `/hls/${takeover}/index.m3u8`);
    // Paused: the channel's own playlist does not move while the show has it.
    const p1 = await (await fetch(server.baseUrl + channel.playlistUrl!)).text();
    await until("a segment's time has passed", async () => Date.now() - Date.parse(during.at) > 2500, 10_000);
    assert.equal(await (await fetch(server.baseUrl + channel.playlistUrl!)).text(), p1);

    await merchant.shows.end(takeover);
    child.kill("SIGKILL");
    const back = await until("handed back", async () => {
      const n = (await server.client().request<ChannelNow>("GET", `/api/v1/channels/${channel.id}/now`)).body;
      return n.state === "playout" ? n : null;
    });
    assert.ok(back.item);
    // The epoch moved on by exactly the takeover's length (show start → end).
    const show = (await merchant.shows.get(takeover)).body;
    const after = (await server.client().request<Channel>("GET", `/api/v1/channels/${channel.id}`)).body;
    const row = await sql<{ takeover_show_id: string | null }>`select takeover_show_id from channels where id = ${channel.id}`.execute(server.app.db.db);
    assert.equal(row.rows[0]!.takeover_show_id, null);
    assert.equal(after.epoch - channel.epoch, Date.parse(show.endedAt!) - Date.parse(show.startedAt!));
    // And the playlist picks up from the paused window: no sequence number goes back.
    const p2 = segmentsOf(await (await fetch(server.baseUrl + channel.playlistUrl!)).text());
    assert.ok(p2.seq >= segmentsOf(p1).seq);
  });

  test("recover(): a takeover whose show ended unnoticed (its show.ended lost) is handed back", async () => {
    // What recover() sees after a crash that lost the show.ended event: a takeover whose show is over.
    const s = await merchantShow(merchant, "Crashed show", []);
    await server.app.shows.markLive(s.id);
    await sql`update channel_takeover_shows set show_id = ${s.id} where channel_id = ${channel.id}`.execute(server.app.db.db);
    await sql`update channels set takeover_show_id = ${s.id}, takeover_started_at = ${Date.now()} where id = ${channel.id}`.execute(server.app.db.db);
    assert.equal((await server.client().request<ChannelNow>("GET", `/api/v1/channels/${channel.id}/now`)).body.state, "live");
    // the show ends without the channel hearing of it (the event is lost with the process)
    await sql`update shows set status = 'ended', ended_at = ${Date.now()} where id = ${s.id}`.execute(server.app.db.db);
    await server.app.channels.recover();
    assert.equal((await server.client().request<ChannelNow>("GET", `/api/v1/channels/${channel.id}/now`)).body.state, "playout");
  });

  test("an uploaded video (HLS rendition) whose codecs differ from the channel's is flagged and left out, not played broken", async () => {
    // An upload's rendition as the upload job stores it (videos/<id>/hls/), made by real ffmpeg: H.264 without audio.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-chn-"));
    try {
      await run(resolveFfmpeg(), ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-an", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4", "-hls_segment_filename", path.join(dir, "seg%d.m4s"), path.join(dir, "index.m3u8")]);
      const videoId = "vid_upload_silent";
      for (const f of fs.readdirSync(dir)) await server.app.mediaStorage.write(`videos/${videoId}/hls/${f}`, fs.readFileSync(path.join(dir, f)));
      const m = (await merchant.auth.me()).body.user!;
      await sql`insert into short_videos (id, kind, show_id, product_id, owner_user_id, merchant_id, status, media_key, poster_key, duration_ms, width, height, job_id, created_at, published_at)
        values (${videoId}, 'upload', null, null, ${m.id}, ${m.merchantId}, 'published', null, null, 2000, 320, 240, null, ${Date.now()}, ${Date.now()})`.execute(server.app.db.db);
      const c = await merchant.request<Channel>("POST", "/api/v1/channels", { name: "Mixed", coverUrl: null, items: [{ kind: "replay", refId: showA.id }, { kind: "video", refId: videoId }], takeoverShowIds: [] });
      assert.equal(c.status, 201);
      await server.app.jobs.drained();
      const got = (await merchant.request<Channel>("GET", `/api/v1/channels/${c.body.id}`)).body;
      assert.equal(got.compile.status, "done");
      assert.equal(got.items[0]!.problem, null);
      assert.match(got.items[1]!.problem ?? "", /h264\+none.*h264\+aac|differ/);
      assert.equal(got.loopMs, got.items[0]!.durationMs, "only the replay plays");
      const text = await (await fetch(server.baseUrl + got.playlistUrl!)).text();
      assert.ok(!text.includes(videoId));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("buying from a channel's card is an order of the show whose replay was playing", async () => {
    const card = channel.cards.find((c) => c.item === 0 && c.product)!;
    const viewer = await server.as("viewer");
    const product = (await viewer.products.get(card.product!.id)).body;
    const variant = product.variants.find((v) => v.stock > 0)!;
    const order = await viewer.checkout.buyNow(buyBody(card.showId!, variant.id), idemKey());
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.equal(order.body.showId, showA.id);
  });

  test("the merchant's channels are listed publicly; the merchant sees its sources", async () => {
    const list = (await server.client().request<{ items: { id: string; name: string }[] }>("GET", `/api/v1/merchants/${channel.merchantId}/channels`)).body.items;
    assert.ok(list.some((c) => c.id === channel.id && c.name === "Aurora around the clock"));
    const sources = (await merchant.request<{ replays: { showId: string }[] }>("GET", "/api/v1/merchant/channel-sources")).body;
    const ids = sources.replays.map((r) => r.showId);
    assert.ok(ids.includes(showA.id) && ids.includes(showB.id));
  });
});
