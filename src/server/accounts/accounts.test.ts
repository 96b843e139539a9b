import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { InProcessBus } from "../platform/bus.ts";
import { createAccounts } from "./service.ts";

describe("accounts", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("sign up, see yourself, sign out", async () => {
    const c = server.client();
    const up = await c.auth.signUp("new@example.com", "long-password", "Newcomer");
    assert.equal(up.status, 201);
    assert.equal(up.body.user.role, "viewer");
    const setCookie = up.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/i);
    assert.match(setCookie, /SameSite=Lax/i);
    assert.equal((await c.auth.me()).body.user?.email, "new@example.com");
    await c.auth.signOut();
    assert.equal((await c.auth.me()).body.user, null);
  });

  test("a signed-out token is refused at once, though sessions are kept in memory", async () => {
    const c = server.client();
    assert.equal((await c.auth.signUp("leaver@example.com", "long-password", "Leaver")).status, 201);
    const token = c.cookie;
    assert.equal((await c.auth.me()).body.user?.email, "leaver@example.com"); // now kept
    await c.auth.signOut();
    c.cookie = token; // a copy of the cookie, kept by someone else
    assert.equal((await c.auth.me()).body.user, null);
  });

  test("a kept session still expires on time, and a sign-out on another node drops it there (session.ended)", async () => {
    let now = Date.now();
    const bus = new InProcessBus(() => {});
    const nodeA = createAccounts({ db: server.app.db.db, bus, sessionTtlMs: 60_000, clock: () => now });
    const nodeB = createAccounts({ db: server.app.db.db, bus, sessionTtlMs: 60_000, clock: () => now });
    assert.ok((await nodeA.signUp({ email: "twonodes@example.com", password: "long-password", displayName: "Two Nodes" })).ok);
    const first = await nodeA.signIn("twonodes@example.com", "long-password");
    const second = await nodeA.signIn("twonodes@example.com", "long-password");
    assert.ok(first.ok && second.ok);
    assert.equal((await nodeA.userForSession(first.token))?.email, "twonodes@example.com");
    assert.equal((await nodeA.userForSession(second.token))?.email, "twonodes@example.com");
    await nodeB.signOut(first.token);
    await new Promise((r) => setImmediate(r)); // the event is delivered after the publisher's call
    assert.equal(await nodeA.userForSession(first.token), null, "signed out on B: refused on A");
    assert.ok(await nodeA.userForSession(second.token), "the other session stays");
    now = second.expiresAt + 1;
    assert.equal(await nodeA.userForSession(second.token), null, "expired while kept");
  });

  test("wrong password and taken e-mail are refused with their codes", async () => {
    const c = server.client();
    const bad = await c.auth.signIn("viewer@vetrina.test", "nope-nope");
    assert.equal(bad.status, 401);
    assert.equal(bad.problem?.code, "invalid_credentials");
    const unknown = await c.auth.signIn("nobody@vetrina.test", "nope-nope");
    assert.equal(unknown.problem?.code, "invalid_credentials");
    const taken = await c.auth.signUp("viewer@vetrina.test", "long-password", "Copycat");
    assert.equal(taken.status, 409);
    assert.equal(taken.problem?.code, "email_taken");
    const short = await c.auth.signUp("x@example.com", "short", "X");
    assert.equal(short.problem?.code, "validation_failed");
  });

  test("errors are problem+json with a request id; unknown routes too", async () => {
    const c = server.client();
    const res = await c.request("GET", "/api/v1/no-such-thing");
    assert.equal(res.status, 404);
    assert.equal(res.problem?.code, "route_not_found");
    assert.ok(res.problem?.requestId);
    assert.equal(res.headers.get("x-request-id"), res.problem?.requestId);
  });

  test("health, metrics and the OpenAPI document are served", async () => {
    const c = server.client();
    const health = await c.request<{ status: string }>("GET", "/healthz");
    assert.equal(health.body.status, "ok");
    const metrics = await c.request<string>("GET", "/metrics");
    assert.match(metrics.body, /vetrina_live_shows/);
    assert.match(metrics.body, /vetrina_room_connections/);
    assert.match(metrics.body, /vetrina_orders_total/);
    const doc = await c.request<{ openapi: string; paths: Record<string, unknown> }>("GET", "/api/v1/openapi.json");
    assert.match(doc.body.openapi, /^3\./);
    assert.ok(doc.body.paths["/api/v1/checkout/buy-now"]);
  });
});
