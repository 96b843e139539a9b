import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../../test/support/harness.ts";
import { spawnServer, killHard, stopGracefully } from "../../../test/support/child-server.ts";
import { ApiClient } from "../../../test/support/client.ts";
import { TusClient, makeVideo } from "../../../test/support/uploads.ts";
import { until } from "../../../test/support/until.ts";
import { openDatabase } from "../platform/db.ts";
import { resolveFfmpeg, resolveFfprobe } from "../media/ffmpeg.ts";
import type { StudioClip, UploadOptions } from "../../shared/contracts/videos.ts";
import { VIDEO_ID_HEADER } from "./uploads.ts";

const run = promisify(execFile);
const FFPROBE = resolveFfprobe(resolveFfmpeg())!;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

async function pgAdmin(url: string, statement: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

test("a server killed mid-transcode: after a restart the real video.transcode job completes once", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-transcode-crash-"));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const pgUrl = process.env.TEST_DATABASE_URL;
  const schema = pgUrl ? `t_${path.basename(dataDir).replace(/[^a-z0-9]/gi, "").toLowerCase()}` : undefined;
  if (pgUrl) {
    await pgAdmin(pgUrl, `create schema ${schema}`);
    cleanups.push(() => pgAdmin(pgUrl, `drop schema ${schema} cascade`));
  }
  const env: Record<string, string> = {
    PORT: String(await freePort()),
    RTMP_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    DEMO_DATA: "true",
    // A dead worker's job is taken again 2 s after its last lease extension.
    MEDIA_JOB_LEASE_SECONDS: "2",
    ...(pgUrl ? { DATABASE_URL: pgUrl, DATABASE_SCHEMA: schema! } : {}),
  };
  const source = path.join(dataDir, "long.mp4");
  // Long and large enough that the transcode is still running when we look.
  await makeVideo(source, { seconds: 24, width: 720, height: 1280 });
  const data = fs.readFileSync(source);

  const first = await spawnServer(env);
  cleanups.push(() => killHard(first.child));
  const host = new ApiClient(first.baseUrl);
  await host.auth.signIn("host@vetrina.test", "vetrina-demo");
  const merchantId = (await host.request<UploadOptions>("GET", "/api/v1/studio/uploads/options")).body.merchants[0]!.id;
  const tus = new TusClient(first.baseUrl, host.cookie);
  const created = await tus.create(data.length, { merchantId, title: "Crash test" });
  assert.equal(created.status, 201);
  const done = await tus.send(created.headers.get("location")!, data, 0, 1024 * 1024);
  assert.equal(done.status, 204);
  const videoId = done.headers.get(VIDEO_ID_HEADER)!;
  const studioUrl = `/api/v1/videos/${videoId}/studio`;
  const midway = await until("transcode under way", async () => {
    const v = (await host.request<StudioClip>("GET", studioUrl)).body;
    assert.equal(v.status, "processing", "the transcode finished before the test could kill it");
    return v.progress > 0.05 ? v : null;
  }, 60_000, 100);
  assert.ok(midway.progress < 1);

  // Kill the server (and the ffmpeg it ran, which would otherwise go on as an orphan).
  const kids = (await run("pgrep", ["-P", String(first.child.pid)]).catch(() => ({ stdout: "" }))).stdout.split("\n").filter(Boolean).map(Number);
  await killHard(first.child);
  for (const pid of kids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }

  const second = await spawnServer(env);
  cleanups.push(() => stopGracefully(second.child));
  const host2 = new ApiClient(second.baseUrl);
  await host2.auth.signIn("host@vetrina.test", "vetrina-demo");
  const ready = await until("transcode completed after the restart", async () => {
    const v = (await host2.request<StudioClip>("GET", `/api/v1/videos/${videoId}/studio`)).body;
    return v.status === "draft" ? v : null;
  }, 240_000, 250);
  assert.equal(ready.progress, 1);

  // The job: done, once, with both attempts counted; the row changed status once (the flip is conditional).
  const handle = openDatabase(pgUrl ? { kind: "postgres", url: pgUrl, schema } : { kind: "sqlite", file: path.join(dataDir, "vetrina.db") });
  try {
    // The row flips just before the runner records the job done: wait for that record.
    const jobs = await until("the job recorded done", async () => {
      const rows = await handle.db.selectFrom("media_jobs" as any).selectAll().where("kind", "=", "video.transcode").execute();
      return rows.every((r) => (r as { status: string }).status !== "running") ? rows : null;
    }, 30_000, 100);
    assert.equal(jobs.length, 1, "one job");
    const job = jobs[0] as { status: string; attempts: number | string; result: string };
    assert.equal(job.status, "done");
    assert.equal(Number(job.attempts), 2, "the killed attempt and the one that finished");
    assert.equal(JSON.parse(job.result).flipped, true, "the finishing attempt made the one status change");
    const rows = await handle.db.selectFrom("short_videos" as any).select(["id", "status"]).where("kind", "=", "upload").execute();
    assert.deepEqual(rows, [{ id: videoId, status: "draft" }], "one video");
  } finally {
    await handle.close();
  }

  // One set of files: exactly what the playlist names (no leftovers of the killed attempt), and playable.
  const hlsDir = path.join(dataDir, "media", "videos", videoId, "hls");
  const playlist = fs.readFileSync(path.join(hlsDir, "index.m3u8"), "utf8");
  const named = ["init.mp4", ...playlist.split("\n").filter((l) => l && !l.startsWith("#")), "index.m3u8"].sort();
  assert.deepEqual(fs.readdirSync(hlsDir).sort(), named);
  const probe = JSON.parse((await run(FFPROBE, ["-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", path.join(hlsDir, "index.m3u8")])).stdout);
  assert.ok(Math.abs(Number(probe.format.duration) - 24) < 1, `duration ${probe.format.duration}`);
  assert.deepEqual(probe.streams.filter((s: any) => s.codec_type === "video").map((s: any) => [s.width, s.height]), [[720, 1280]]);
  assert.deepEqual(fs.readdirSync(path.join(dataDir, "upload-staging")).filter((n) => n !== "work"), [], "staging emptied");
});
