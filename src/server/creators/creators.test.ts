import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { creatorApi, newCreator } from "../../../test/support/creators.ts";

describe("creators", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("a viewer turns on a creator profile, edits it, and the public page shows it", async () => {
    const viewer = server.client();
    await viewer.auth.signUp("kocfan@example.com", "password-123", "Kara");
    const api = creatorApi(viewer);
    assert.equal((await api.me()).problem?.code, "creator_profile_required");
    const created = await api.turnOn({
      handle: "Kara.Styles",
      displayName: "Kara",
      avatarUrl: "https://cdn.example.com/kara.jpg",
      bio: "Thrift finds, every Sunday.",
      categories: ["fashion", "crafts"],
      links: ["https://instagram.com/kara", "https://kara.example.com"],
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.handle, "Kara.Styles");
    assert.equal(created.body.verified, false);
    assert.equal(created.body.followerCount, 0);
    assert.deepEqual(created.body.categories, ["fashion", "crafts"]);
    assert.equal((await api.turnOn({ handle: "another", displayName: "Kara" })).problem?.code, "conflict", "one profile per user");

    const edited = await api.edit({ handle: "kara_styles", displayName: "Kara S.", bio: "New bio", categories: ["beauty"] });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.handle, "kara_styles");
    assert.equal(edited.body.id, created.body.id);
    assert.equal(edited.body.avatarUrl, null, "a full replace: what is left out is cleared");

    // The page is public and the handle is case-insensitive.
    const page = await creatorApi(server.client()).page("KARA_STYLES");
    assert.equal(page.status, 200);
    assert.equal(page.body.creator.displayName, "Kara S.");
    assert.equal(page.body.following, false);
    assert.deepEqual([page.body.live, page.body.upcoming, page.body.past], [[], [], []]);
    assert.equal((await creatorApi(server.client()).page("Kara.Styles")).problem?.code, "not_found", "the old handle is free again");
    assert.equal((await creatorApi(server.client()).page("nobody_here")).status, 404);
  });

  test("handles are validated and unique regardless of case; bad profiles are refused field by field", async () => {
    const { client } = await newCreator(server, "first");
    await creatorApi(client).edit({ handle: "TakenHandle", displayName: "First" });
    const other = server.client();
    await other.auth.signUp("second-creator@example.com", "password-123", "Second");
    const api = creatorApi(other);
    assert.equal((await api.turnOn({ handle: "takenhandle", displayName: "x" })).problem?.code, "creator_handle_taken");
    assert.equal((await api.turnOn({ handle: "TAKENHANDLE", displayName: "x" })).status, 409);
    const invalid: Record<string, unknown>[] = [
      { handle: "ab", displayName: "x" },
      { handle: "a".repeat(31), displayName: "x" },
      { handle: "has space", displayName: "x" },
      { handle: "_edge", displayName: "x" },
      { handle: "dots..dots", displayName: "x" },
      { handle: "Admin", displayName: "x" },
      { handle: "okhandle", displayName: "" },
      { handle: "okhandle", displayName: "x", categories: ["weapons"] },
      { handle: "okhandle", displayName: "x", categories: ["fashion", "fashion"] },
      { handle: "okhandle", displayName: "x", categories: ["fashion", "beauty", "home", "food", "tech", "sports"] },
      { handle: "okhandle", displayName: "x", links: ["http://insecure.example.com"] },
      { handle: "okhandle", displayName: "x", links: ["javascript:alert(1)"] },
      { handle: "okhandle", displayName: "x", links: Array.from({ length: 6 }, (_, i) => `https://e.example.com/${i}`) },
      { handle: "okhandle", displayName: "x", avatarUrl: "ftp://pics.example.com/a.jpg" },
      { handle: "okhandle", displayName: "x", bio: "b".repeat(1001) },
    ];
    for (const body of invalid) {
      const res = await api.turnOn(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.problem?.code, "validation_failed");
      assert.ok(res.problem?.errors?.length, "names the field");
    }
    assert.equal((await api.turnOn({ handle: "okhandle", displayName: "x", avatarUrl: "/uploads/abc.png" })).status, 201);
    assert.equal((await creatorApi(server.client()).turnOn({ handle: "anon_one", displayName: "x" })).problem?.code, "unauthenticated");
  });

  test("follow and unfollow are idempotent and the page counts followers", async () => {
    const { client: star, creator } = await newCreator(server, "star");
    const fans = [await server.as("viewer"), await server.as("merchant")];
    for (const fan of fans) {
      assert.deepEqual((await creatorApi(fan).follow(creator.handle)).body, { following: true, followerCount: fans.indexOf(fan) + 1 });
    }
    assert.deepEqual((await creatorApi(fans[0]!).follow(creator.handle)).body, { following: true, followerCount: 2 }, "following twice counts once");
    const page = await creatorApi(fans[0]!).page(creator.handle);
    assert.equal(page.body.creator.followerCount, 2);
    assert.equal(page.body.following, true);
    assert.deepEqual((await creatorApi(fans[0]!).unfollow(creator.handle)).body, { following: false, followerCount: 1 });
    assert.deepEqual((await creatorApi(fans[0]!).unfollow(creator.handle)).body, { following: false, followerCount: 1 });
    assert.equal((await creatorApi(star).follow(creator.handle)).problem?.code, "validation_failed", "not yourself");
    assert.equal((await creatorApi(server.client()).follow(creator.handle)).problem?.code, "unauthenticated");
    assert.equal((await creatorApi(fans[0]!).follow("no_such_creator")).problem?.code, "not_found");
  });

  test("only an admin marks a creator verified", async () => {
    const { client, creator } = await newCreator(server, "verify");
    assert.equal((await creatorApi(client).verify(creator.id)).problem?.code, "forbidden");
    assert.equal((await creatorApi(await server.as("merchant")).verify(creator.id)).problem?.code, "forbidden");
    assert.equal((await creatorApi(server.client()).verify(creator.id)).problem?.code, "unauthenticated");
    const admin = creatorApi(await server.as("admin"));
    const verified = await admin.verify(creator.id);
    assert.equal(verified.status, 200);
    assert.equal(verified.body.verified, true);
    assert.ok(verified.body.verifiedAt);
    assert.equal((await creatorApi(server.client()).page(creator.handle)).body.creator.verified, true);
    assert.equal((await admin.verify(creator.id, false)).body.verified, false);
    assert.equal((await admin.verify("crt_nope")).problem?.code, "not_found");
  });

  test("the demo host is a creator whose page lists its upcoming campaign show", async () => {
    const page = await creatorApi(server.client()).page("marcolive");
    assert.equal(page.status, 200);
    assert.equal(page.body.creator.displayName, "Marco Live");
    assert.ok(page.body.upcoming.some((s) => s.title.startsWith("Autumn drop")));
    // Live and past move with the show.
    const show = page.body.upcoming.find((s) => s.title.startsWith("Autumn drop"))!;
    await server.app.shows.markLive(show.id);
    assert.deepEqual((await creatorApi(server.client()).page("marcolive")).body.live.map((s) => s.id), [show.id]);
    await server.app.shows.markEnded(show.id, "test");
    const after = (await creatorApi(server.client()).page("marcolive")).body;
    assert.deepEqual(after.live, []);
    assert.ok(after.past.some((s) => s.id === show.id));
  });
});
