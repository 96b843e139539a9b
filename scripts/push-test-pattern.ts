/**
 * Goes live without OBS: pushes a test picture and tone over RTMP with ffmpeg.
 *
 *   npm run demo:push                                  # demo host's next show on http://localhost:8080
 *   npm run demo:push -- --key KEY [--url rtmp://127.0.0.1:1935/live] [--seconds 60] [--landscape]
 *   npm run demo:push -- --server http://localhost:8080 --email host@vetrina.test --password vetrina-demo
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { z } from "zod";
import { ShowSummary, StudioInfo } from "../src/shared/contracts/shows.ts";
import { resolveFfmpeg } from "../src/server/media/ffmpeg.ts";
import { drawtextWorks, testPatternArgs } from "../src/server/media/test-pattern.ts";

/** Name of the session cookie set by POST /api/v1/auth/sign-in (accounts domain). */
const SESSION_COOKIE = "vetrina_session";

const { values: opts } = parseArgs({
  options: {
    key: { type: "string" },
    url: { type: "string" },
    seconds: { type: "string" },
    server: { type: "string", default: process.env.VETRINA_URL ?? "http://localhost:8080" },
    email: { type: "string", default: "host@vetrina.test" },
    password: { type: "string", default: "vetrina-demo" },
    landscape: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (opts.help) {
  console.log(`Usage: npm run demo:push -- [--key KEY] [--url rtmp://127.0.0.1:1935/live] [--seconds N] [--landscape]
                          [--server ${opts.server}] [--email ${opts.email}] [--password ...]
Without --key, signs in as the host and pushes to their first show that has not ended.`);
  process.exit(0);
}

const seconds = opts.seconds === undefined ? undefined : Number(opts.seconds);
if (seconds !== undefined && !(seconds > 0)) fail(`--seconds must be a positive number, got ${opts.seconds}`);
const server = opts.server.replace(/\/$/, "");

async function main() {
  let rtmpBase = opts.url;
  let streamKey = opts.key;
  let showId: string | undefined;
  if (!streamKey) {
    const target = await studioOfNextShow();
    streamKey = target.streamKey;
    rtmpBase ??= target.rtmpUrl;
    showId = target.showId;
  }
  rtmpBase = (rtmpBase ?? "rtmp://127.0.0.1:1935/live").replace(/\/$/, "");

  const ffmpeg = resolveFfmpeg();
  const clock = await drawtextWorks(ffmpeg);
  const [width, height] = opts.landscape ? [1280, 720] : [720, 1280];
  console.log(`ffmpeg:     ${ffmpeg}${clock ? "" : " (no drawtext font: pushing without the clock)"}`);
  console.log(`pushing:    ${width}x${height} 30 fps test pattern + 440 Hz tone to ${rtmpBase}/<stream key>${seconds ? ` for ${seconds} s` : ""}`);
  if (showId) console.log(`watch it:   ${server}/shows/${showId}  (live a few seconds after the push starts)`);
  console.log("stop:       Ctrl-C");

  const child = spawn(ffmpeg, testPatternArgs({ url: `${rtmpBase}/${streamKey}`, seconds, width, height, clock }), {
    stdio: ["ignore", "inherit", "inherit"],
  });
  let stopping = false;
  const stop = () => {
    // A terminal's Ctrl-C reaches ffmpeg too; a second one (or a SIGTERM) means "now".
    if (stopping) child.kill("SIGKILL");
    else child.kill("SIGINT");
    stopping = true;
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (c, s) => resolve({ code: c, signal: s })),
  );
  if (stopping || code === 0) {
    console.log("push stopped; the show ends within a few seconds");
    return;
  }
  fail(
    `ffmpeg exited (${code ?? signal}). Is the server running and its RTMP port reachable at ${rtmpBase}? ` +
      "A wrong or rotated stream key is refused, and so is a show that has ended or already has a publisher.",
  );
}

async function studioOfNextShow(): Promise<StudioInfo> {
  console.log(`signing in: ${opts.email} at ${server}`);
  const signIn = await request("/api/v1/auth/sign-in", { method: "POST", body: JSON.stringify({ email: opts.email, password: opts.password }), headers: { "content-type": "application/json" } });
  const session = signIn.headers.getSetCookie().map((c) => c.split(";")[0] ?? "").find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!session) fail("signed in, but the server set no session cookie");
  const headers = { cookie: session };

  const shows = z.object({ items: z.array(ShowSummary.pick({ id: true, title: true, status: true })) }).parse(await (await request("/api/v1/host/shows", { headers })).json());
  const show = shows.items.find((s) => s.status !== "ended");
  if (!show) fail(`${opts.email} has no show that has not ended: schedule one in the studio, or pass --key`);
  console.log(`show:       "${show.title}" (${show.id}, ${show.status})`);
  return StudioInfo.parse(await (await request(`/api/v1/shows/${show.id}/studio`, { headers })).json());
}

async function request(pathname: string, init: RequestInit = {}): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(server + pathname, init);
  } catch (err) {
    fail(`cannot reach ${server} (${err instanceof Error ? err.message : String(err)}). Start it with \`npm start\`, or pass --key and --url.`);
  }
  if (!res.ok) {
    const problem = z.object({ title: z.string().optional(), detail: z.string().optional() }).safeParse(await res.json().catch(() => ({})));
    const why = problem.success ? (problem.data.detail ?? problem.data.title) : undefined;
    fail(`${init.method ?? "GET"} ${pathname} → ${res.status}${why ? `: ${why}` : ""}`);
  }
  return res;
}

function fail(message: string): never {
  console.error(`demo:push: ${message}`);
  process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
