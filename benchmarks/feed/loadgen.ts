/**
 * Load generator of the feed benchmark, run as its own process by run.ts (fork with tsx): `users`
 * simulated users over one undici Pool (a connection each), against Vetrina or the baseline server,
 * which answer the same paths (`/api/v1/feed?cursor&limit`, `/api/v1/search?q&type&limit`); the
 * baseline's cursor is an OFFSET.
 *
 * A user repeats sessions until the end:
 *   feed (65%):   from the top (45%) or from a deep position (55%: a position deep in the replays,
 *                 the same item for both servers), 3–12 pages by cursor, think time between pages;
 *   search (35%): type-ahead on the last word (2, 4, 6 letters; six hits, as the web app's search field
 *                 asks for its suggestions) then the full query (a page of 20); 20% of queries are a rare
 *                 word (a made-up brand in a handful of products, or in none).
 * mode "think": 0.5–1 s between feed pages, 150–300 ms between keystrokes, 1–2 s between sessions.
 * mode "closed": no think time at all (max throughput).
 * Latencies of requests that complete inside [windowStart, windowEnd) are reported by label; requests
 * still unanswered 10 s after the window are abandoned and counted as errors.
 */
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { prng } from "../support/prng.ts";

export interface LoadJob {
  baseUrl: string;
  mode: "think" | "closed";
  users: number;
  /** index of this generator's first user (users < signedIn carry a session) */
  first: number;
  tokens: string[];
  signedIn: number;
  startAt: number;
  windowStart: number;
  windowEnd: number;
  /** where a deep feed session starts: the cursor this server understands */
  deepStarts: string[];
  /** two-word common queries and rare words */
  queries: string[];
  rare: string[];
  pageSize: number;
  seed: number;
}

export interface LoadResult {
  kind: "result";
  latencies: Record<string, number[]>;
  errors: Record<string, number>;
  /** first few error descriptions */
  samples: string[];
  completed: number;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Suggestions per keystroke request: the web app's search field asks for six (web/src/pages/search/search-box.tsx). */
const TYPEAHEAD_LIMIT = 6;

async function run(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.baseUrl, { connections: job.users, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const latencies: Record<string, number[]> = {};
  const errors: Record<string, number> = {};
  const samples: string[] = [];
  let completed = 0;
  const think = job.mode === "think";
  // Requests still running 10 s after the window are abandoned (a saturated baseline would hold the run).
  const abort = new AbortController();
  setMaxListeners(0, abort.signal);
  const stopper = setTimeout(() => abort.abort(), Math.max(0, job.windowEnd + 10_000 - Date.now()));

  async function get(label: string, path: string, cookie: string | null): Promise<any | null> {
    const t0 = performance.now();
    let ok = false;
    let body: any = null;
    try {
      const res = await pool.request({ method: "GET", path, headers: cookie ? { cookie } : {}, signal: abort.signal });
      const text = await res.body.text();
      ok = res.statusCode === 200;
      if (ok) body = JSON.parse(text);
      else if (samples.length < 5) samples.push(`${label} ${res.statusCode} ${path.slice(0, 80)} ${text.slice(0, 200)}`);
    } catch (err) {
      if (abort.signal.aborted) {
        // still unanswered 10 s after the window: counted as a failure of the window
        errors[label] = (errors[label] ?? 0) + 1;
        return null;
      }
      if (samples.length < 5) samples.push(`${label} ${String(err).slice(0, 200)}`);
    }
    const t1 = performance.now();
    const now = Date.now();
    if (now >= job.windowStart && now < job.windowEnd) {
      completed++;
      if (ok) (latencies[label] ??= []).push(t1 - t0);
      else errors[label] = (errors[label] ?? 0) + 1;
    }
    return body;
  }

  async function user(u: number) {
    const rand = prng(job.seed * 1000 + u);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
    const between = (lo: number, hi: number) => lo + rand() * (hi - lo);
    const global = job.first + u;
    const cookie = global < job.signedIn ? `vetrina_session=${job.tokens[global % job.tokens.length]}` : null;
    // spread the first requests over a second
    await sleep(Math.max(0, job.startAt - Date.now()) + rand() * 1000);
    while (Date.now() < job.windowEnd) {
      if (rand() < 0.65) {
        const deep = rand() < 0.55 && job.deepStarts.length > 0;
        let cursor: string | null = deep ? pick(job.deepStarts) : null;
        const pages = 3 + Math.floor(rand() * 10);
        for (let p = 0; p < pages && Date.now() < job.windowEnd; p++) {
          const label = deep ? "feed.deep" : "feed.top";
          const body = await get(label, `/api/v1/feed?limit=${job.pageSize}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, cookie);
          cursor = body?.nextCursor ?? null;
          if (!cursor) break;
          if (think) await sleep(between(500, 1000));
        }
      } else {
        const rare = rand() < 0.2;
        const q = rare ? pick(job.rare) : pick(job.queries);
        const words = q.split(" ");
        const last = words.at(-1)!;
        const head = words.slice(0, -1).join(" ");
        for (const n of [2, 4, 6]) {
          if (n >= last.length) break;
          await get("search.typeahead", `/api/v1/search?limit=${TYPEAHEAD_LIMIT}&q=${encodeURIComponent(`${head} ${last.slice(0, n)}`.trim())}`, cookie);
          if (think) await sleep(between(150, 300));
        }
        await get(rare ? "search.rare" : "search.full", `/api/v1/search?limit=20&q=${encodeURIComponent(`${q} `)}`, cookie);
      }
      if (think) await sleep(between(1000, 2000));
    }
  }

  await Promise.all(Array.from({ length: job.users }, (_, u) => user(u)));
  clearTimeout(stopper);
  await pool.destroy();
  return { kind: "result", latencies, errors, samples, completed };
}

process.on("message", (m: { kind: "job"; job: LoadJob }) => {
  if (m.kind !== "job") return;
  run(m.job).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
