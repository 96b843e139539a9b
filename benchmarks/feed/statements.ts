/**
 * PostgreSQL search statements one at a time, on the bench:feed database (seeded by `npm run bench:feed
 * -- --db=postgres --seed-only`): the time of each ranking query (`SearchIndex.query`, the statements
 * only, no HTTP) by kind — type-ahead at 2, 4 and 6 letters, with 7 hits as the web app's suggestions
 * ask for 6 plus one, and the full query with 21 — and which plan answered it (postgres-index.ts).
 * Sequential, so what it measures is the statements' cost, not queueing; compare code versions by
 * alternating runs.
 *
 *   npx tsx benchmarks/feed/statements.ts   (env: N queries, default 120; SEED, default 7; SLOW, the
 *   slowest to list, default 12; BENCH_FEED_PG, the server's URL, default 127.0.0.1:5432)
 */
import { performance } from "node:perf_hooks";
import { openDatabase } from "../../src/server/platform/db.ts";
import { postgresIndex, WINDOW, type MatchPlan } from "../../src/server/search/postgres-index.ts";
import { CANDIDATES } from "../../src/server/search/search-index.ts";
import { parseQuery } from "../../src/server/search/text.ts";
import { prng } from "../support/prng.ts";
import { EN, IT } from "./words.ts";

const server = process.env.BENCH_FEED_PG ?? "postgres://postgres@127.0.0.1:5432";
const h = openDatabase({ kind: "postgres", url: `${server.replace(/\/$/, "")}/vetrina_bench_feed` });
let plan: MatchPlan | "" = "";
const index = postgresIndex(h.db, h.searchDb, { window: WINDOW, candidates: CANDIDATES, onPlan: (p) => (plan = p) });
// Three of run.ts's query shapes ("adjective noun", "noun material", single nouns; not its "material noun"
// or "noun colour"): the sample behind the numbers in docs/discovery.md.
const queries = [...EN.adjectives.flatMap((a) => EN.nouns.map((n) => `${a} ${n}`)), ...IT.nouns.flatMap((n) => IT.materials.map((m) => `${n} ${m}`)), ...EN.nouns, ...IT.nouns].map((q) =>
  q.replace(/[^\p{L}\p{N} ]+/gu, " ").replace(/\s+/g, " ").trim(),
);
const rand = prng(Number(process.env.SEED ?? 7));
const N = Number(process.env.N ?? 120);
const WARM = 10;
const times: Record<string, number[]> = {};
const plans: Record<string, number> = {};
const all: [number, string, string, string][] = [];
for (let i = 0; i < N + WARM; i++) {
  const q = queries[Math.floor(rand() * queries.length)]!;
  const words = q.split(" ");
  const last = words.at(-1)!;
  const head = words.slice(0, -1).join(" ");
  const cases: [string, string, number][] = [];
  for (const n of [2, 4, 6]) if (n < last.length) cases.push([`type-ahead ${n}`, `${head} ${last.slice(0, n)}`.trim(), 7]);
  cases.push(["full", `${q} `, 21]);
  for (const [label, text, limit] of cases) {
    const t0 = performance.now();
    await index.query(parseQuery(text)!, { kind: null, after: null, limit });
    const ms = performance.now() - t0;
    if (i < WARM) continue;
    (times[label] ??= []).push(ms);
    plans[`${label}: ${plan}`] = (plans[`${label}: ${plan}`] ?? 0) + 1;
    all.push([ms, label, text, plan]);
  }
}
const at = (a: number[], f: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * f))]!;
for (const [label, t] of Object.entries(times)) {
  console.log(`${label.padEnd(13)} n ${String(t.length).padStart(4)}  p50 ${at(t, 0.5).toFixed(1).padStart(5)} ms  p90 ${at(t, 0.9).toFixed(1).padStart(5)} ms  max ${at(t, 1).toFixed(1).padStart(5)} ms  total ${t.reduce((a, b) => a + b, 0).toFixed(0).padStart(5)} ms`);
}
for (const [k, n] of Object.entries(plans).sort()) console.log(`  ${k}: ${n}`);
all.sort((a, b) => b[0] - a[0]);
for (const [ms, label, text, p] of all.slice(0, Number(process.env.SLOW ?? 12))) console.log(`${ms.toFixed(1).padStart(6)} ms  ${label.padEnd(13)} ${JSON.stringify(text)} (${p})`);
await h.close();
