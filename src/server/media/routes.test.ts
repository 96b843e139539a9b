import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { createHttp, type Http } from "../platform/http.ts";
import { LlHlsStream, type LlHlsTimers } from "./llhls/playlist.ts";
import { BLOCKING_MAX_AGE_S, createShowStream, PART_TARGET_S } from "./origin.ts";
import { mediaRoutes } from "./routes.ts";

/** Timers that only fire when the test says so. */
function manualTimers() {
  const pending = new Set<{ fn: () => void }>();
  const timers: LlHlsTimers = {
    setTimeout(fn) {
      const t = { fn };
      pending.add(t);
      return t;
    },
    clearTimeout(handle) {
      pending.delete(handle as { fn: () => void });
    },
  };
  return {
    timers,
    fireAll() {
      for (const t of [...pending]) {
        pending.delete(t);
        t.fn();
      }
    },
  };
}

describe("GET /hls/:showId/:file (LL-HLS origin)", () => {
  let http: Http;
  let stream: LlHlsStream;
  let ended: LlHlsStream;
  const clock = manualTimers();
  const init = Buffer.from("init-bytes");
  const partData = (n: number) => Buffer.from(`part-${n}`);
  let parts = 0;
  const addPart = (s: LlHlsStream = stream) => {
    s.addPart({ data: partData(parts), duration: 0.2, independent: parts % 5 === 0, wallClock: Date.UTC(2026, 0, 1) + parts * 200 });
    parts++;
  };

  before(async () => {
    stream = new LlHlsStream({ partTarget: PART_TARGET_S, segmentTarget: 1, windowSegments: 12, timers: clock.timers, token: "tok1" });
    stream.setInit(init);
    for (let i = 0; i < 7; i++) addPart(); // segment 0 complete (parts 0-4), segment 1 open (parts 5, 6)
    ended = createShowStream(1, () => {});
    ended.setInit(init);
    ended.addPart({ data: Buffer.from("x"), duration: 0.2, independent: true, wallClock: Date.now() });
    ended.end();
    http = createHttp(pino({ level: "silent" }));
    const only = (s: LlHlsStream) => [{ name: "v0.m3u8", stream: s, init: null }];
    mediaRoutes(http, { variants: (showId) => (showId === "shw_x" ? only(stream) : showId === "shw_ended" ? only(ended) : null) });
    await http.ready();
  });

  after(async () => {
    await http?.close();
  });

  test("a plain playlist request: LL-HLS tags, cached by CDNs for a second at most, CORS", async () => {
    const res = await http.inject({ method: "GET", url: "/hls/shw_x/index.m3u8" });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^application\/vnd\.apple\.mpegurl/);
    assert.equal(res.headers["cache-control"], "public, max-age=0, s-maxage=1");
    assert.equal(res.headers["access-control-allow-origin"], "*");
    assert.match(res.body, /^#EXTM3U\n#EXT-X-VERSION:9\n/);
    assert.match(res.body, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,PART-HOLD-BACK=0\.69\n/);
    assert.match(res.body, /#EXT-X-PART-INF:PART-TARGET=0\.23\n/);
    assert.match(res.body, /#EXT-X-MAP:URI="tok1-init\.mp4"/);
    assert.match(res.body, /#EXT-X-PART:DURATION=0\.2,URI="tok1-p6\.mp4"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="tok1-p7\.mp4"\n$/);
  });

  test("init, parts and segments are immutable video/mp4", async () => {
    for (const [name, body] of [
      ["tok1-init.mp4", init],
      ["tok1-p6.mp4", partData(6)],
      ["tok1-s0.mp4", Buffer.concat([0, 1, 2, 3, 4].map(partData))],
    ] as const) {
      const res = await http.inject({ method: "GET", url: `/hls/shw_x/${name}` });
      assert.equal(res.statusCode, 200, name);
      assert.match(String(res.headers["content-type"]), /^video\/mp4/, name);
      assert.equal(res.headers["cache-control"], "public, max-age=31536000, immutable", name);
      assert.equal(res.headers["access-control-allow-origin"], "*", name);
      assert.equal(Number(res.headers["content-length"]), body.length, name);
      assert.deepEqual(res.rawPayload, body, name);
    }
  });

  test("a blocking request one part ahead is answered when that part arrives, and may be cached briefly", async () => {
    let answered = false;
    const pending = http.inject({ method: "GET", url: "/hls/shw_x/index.m3u8?_HLS_msn=1&_HLS_part=2" }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false, "held until part 2 of segment 1 exists");
    addPart(); // part 7 = segment 1, part 2
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["cache-control"], `public, max-age=${BLOCKING_MAX_AGE_S}`);
    assert.match(res.body, /URI="tok1-p7\.mp4"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="tok1-p8\.mp4"\n$/);
  });

  test("the preload-hinted part is answered when it arrives", async () => {
    let answered = false;
    const pending = http.inject({ method: "GET", url: "/hls/shw_x/tok1-p8.mp4" }).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, false);
    addPart(); // part 8
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, partData(8));
    assert.match(String(res.headers["content-type"]), /^video\/mp4/);
  });

  test("bad or too-far-ahead delivery directives are a problem+json 400", async () => {
    for (const query of ["_HLS_msn=99", "_HLS_part=1", "_HLS_msn=abc", "_HLS_msn=1&_HLS_part=40", "_HLS_skip=NO"]) {
      const res = await http.inject({ method: "GET", url: `/hls/shw_x/index.m3u8?${query}` });
      assert.equal(res.statusCode, 400, query);
      assert.match(String(res.headers["content-type"]), /^application\/problem\+json/, query);
      assert.equal(res.json().code, "validation_failed", query);
      assert.equal(res.headers["access-control-allow-origin"], "*", query);
      assert.equal(res.headers["cache-control"], "no-store", query);
    }
  });

  test("a blocking request whose part does not come in time is a 503 with Retry-After", async () => {
    const pending = http.inject({ method: "GET", url: "/hls/shw_x/index.m3u8?_HLS_msn=2" });
    await new Promise((r) => setTimeout(r, 50));
    clock.fireAll();
    const res = await pending;
    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers["content-type"]), /^application\/problem\+json/);
    assert.equal(res.json().code, "stream_unavailable");
    assert.equal(res.headers["retry-after"], "1");
    assert.equal(res.headers["cache-control"], "no-store", "an error is never cached");
  });

  test("an ended stream answers at once with its final playlist", async () => {
    const res = await http.inject({ method: "GET", url: "/hls/shw_ended/index.m3u8?_HLS_msn=1&_HLS_part=0" });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /#EXT-X-ENDLIST\n$/);
    assert.doesNotMatch(res.body, /PRELOAD-HINT/);
  });

  test("a show that is not live, and names the stream does not have, are a problem+json 404", async () => {
    for (const url of [
      "/hls/shw_nope/index.m3u8",
      "/hls/shw_nope/tok1-p6.mp4",
      "/hls/shw_x/index.m3u8.tmp",
      "/hls/shw_x/other-p6.mp4", // another stream's token
      "/hls/shw_x/tok1-p06.mp4",
      "/hls/shw_x/tok1-p99.mp4", // neither there nor hinted
      "/hls/shw_x/TOK1-p6.mp4",
      "/hls/shw_x/..%2F..%2Fsecret.txt",
      "/hls/..%2F..%2Fsecret.txt/index.m3u8",
      "/hls/shw_x/%2e%2e",
      "/hls/shw_x/index.m3u8%00.ts",
    ]) {
      const res = await http.inject({ method: "GET", url });
      assert.equal(res.statusCode, 404, url);
      assert.match(String(res.headers["content-type"]), /^application\/problem\+json/, url);
      // a path the router normalizes away never reaches the route: its own 404
      assert.match(res.json().code, /^(route_)?not_found$/, url);
      assert.equal(res.headers["cache-control"], "no-store", url);
      if (res.json().code === "not_found") assert.equal(res.headers["access-control-allow-origin"], "*", url);
    }
  });
});
