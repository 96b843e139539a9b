import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import crypto from "node:crypto";
import WebSocket from "ws";
import { startServer, type TestServer } from "../../../test/support/harness.ts";
import { demoShow } from "../../../test/support/fixtures.ts";
import type { ServerEvent } from "../../shared/contracts/room.ts";
import { RoomCloseCode } from "../../shared/contracts/room.ts";

/**
 * The room's own RFC 6455 layer (websocket.ts), spoken to by `ws` (a different implementation) and,
 * for what no well-behaved client sends, by hand over a raw TCP socket.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hand-made client frame (masked unless told otherwise). */
function clientFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; masked?: boolean } = {}): Buffer {
  const { fin = true, masked = true } = opts;
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  const body = Buffer.from(payload);
  if (masked) {
    const mask = crypto.randomBytes(4);
    mask.copy(head, 2 + ext);
    for (let i = 0; i < body.length; i++) body[i]! ^= mask[i & 3]!;
  }
  return Buffer.concat([head, body]);
}

/** A raw TCP connection that did the upgrade by hand; collects everything the server sends. */
async function rawRoom(server: TestServer, path: string, headers: Record<string, string> = {}) {
  const url = new URL(server.baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  let received = Buffer.alloc(0);
  let ended = false;
  socket.on("data", (d) => (received = Buffer.concat([received, d])));
  socket.on("close", () => (ended = true));
  await new Promise((r) => socket.once("connect", r));
  const key = crypto.randomBytes(16).toString("base64");
  const all = { Host: url.host, Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "13", ...headers };
  socket.write(`GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join("")}\r\n`);
  const until = async (pred: () => boolean, what: string) => {
    for (let i = 0; i < 250 && !pred(); i++) await sleep(20);
    assert.ok(pred(), `timed out waiting for ${what}; got ${JSON.stringify(received.toString("latin1").slice(0, 200))}`);
  };
  return {
    socket,
    key,
    received: () => received,
    ended: () => ended,
    until,
    /** the close code of the close frame the server sent, once it has */
    async closeCode(): Promise<number> {
      await until(() => ended, "the server to close");
      // The last frame is the close frame: 0x88, length, code.
      const at = received.lastIndexOf(Buffer.from([0x88]));
      assert.ok(at >= 0, "a close frame");
      return received.readUInt16BE(at + 2);
    },
  };
}

describe("room WebSocket layer", () => {
  let server: TestServer;
  let roomPath: string;
  before(async () => {
    server = await startServer({ ROOM_KEEPALIVE_SECONDS: "1" });
    roomPath = `/api/v1/shows/${(await demoShow(server)).show.id}/room`;
  });
  after(() => server.close());

  test("the handshake answers the RFC's accept key; a request without a valid key gets 400 and no socket", async () => {
    const ok = await rawRoom(server, roomPath);
    await ok.until(() => ok.received().includes("\r\n\r\n"), "the 101");
    const head = ok.received().toString("latin1");
    assert.match(head, /^HTTP\/1\.1 101 /);
    const expected = crypto.createHash("sha1").update(ok.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    assert.ok(head.includes(`Sec-WebSocket-Accept: ${expected}\r\n`));
    ok.socket.destroy();

    const bad = await rawRoom(server, roomPath, { "Sec-WebSocket-Key": "not-a-key" });
    await bad.until(() => bad.ended(), "the refusal");
    assert.match(bad.received().toString("latin1"), /^HTTP\/1\.1 400 /);
    const old = await rawRoom(server, roomPath, { "Sec-WebSocket-Version": "8" });
    await old.until(() => old.ended(), "the refusal");
    assert.match(old.received().toString("latin1"), /^HTTP\/1\.1 426 [^]*Sec-WebSocket-Version: 13/);
  });

  test("a message in fragments, with a ping between them, is one message; pings get pongs", async () => {
    const viewer = await server.as("viewer");
    const c = await viewer.joinRoom(roomPath.split("/")[4]!);
    const text = JSON.stringify({ type: "chat.send", text: "in three pieces", clientMsgId: "frag-1" });
    const raw = (c.ws as unknown as { _socket: net.Socket })._socket;
    raw.write(clientFrame(0x1, Buffer.from(text.slice(0, 10)), { fin: false }));
    raw.write(clientFrame(0x9, Buffer.from("mid")));
    raw.write(clientFrame(0x0, Buffer.from(text.slice(10, 20)), { fin: false }));
    raw.write(clientFrame(0x0, Buffer.from(text.slice(20))));
    const echoed = await c.waitFor<Extract<ServerEvent, { type: "chat.message" }>>((e) => e.type === "chat.message" && e.clientMsgId === "frag-1");
    assert.equal(echoed.message.text, "in three pieces");
    const pong = await new Promise<Buffer>((resolve) => {
      c.ws.once("pong", resolve);
      c.ws.ping("are you there");
    });
    assert.equal(pong.toString(), "are you there");
    assert.equal(c.closed, null);
    c.close();
  });

  test("protocol violations close with the RFC's codes: unmasked 1002, not UTF-8 1007, over 64 KiB 1009", async () => {
    const cases: [string, Buffer, number][] = [
      ["an unmasked frame", clientFrame(0x1, Buffer.from('{"type":"ping"}'), { masked: false }), 1002],
      ["text that is not UTF-8", clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
      ["a 70 KB message", clientFrame(0x1, Buffer.alloc(70_000, 0x20)), 1009],
      ["a continuation with nothing to continue", clientFrame(0x0, Buffer.from("x")), 1002],
      ["a fragmented ping", clientFrame(0x9, Buffer.from("x"), { fin: false }), 1002],
    ];
    for (const [what, frame, code] of cases) {
      const r = await rawRoom(server, roomPath);
      await r.until(() => r.received().includes('"room.snapshot"'), "the snapshot");
      r.socket.write(frame);
      assert.equal(await r.closeCode(), code, what);
    }
  });

  test("a client's close is echoed with its code; a peer that stops answering pings is dropped", async () => {
    const polite = await server.client().joinRoom(roomPath.split("/")[4]!);
    polite.ws.close(4000, "bye");
    for (let i = 0; i < 100 && !polite.closed; i++) await sleep(20);
    assert.equal(polite.closed?.code, 4000);

    // Keep-alive here is 1 s: a raw client that never answers a ping is gone within about two rounds.
    const silent = await rawRoom(server, roomPath);
    await silent.until(() => silent.received().includes('"room.snapshot"'), "the snapshot");
    await silent.until(() => silent.received().includes(Buffer.from([0x89, 0x00])), "a ping");
    await silent.until(() => silent.ended(), "the drop");
  });
});

// The slow consumer, where the sockets live: in the server process and in a gateway process.
for (const gateways of ["0", "1"]) describe(`slow consumer (${gateways === "0" ? "in-process sockets" : "a gateway process"})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ ROOM_GATEWAYS: gateways });
  });
  after(() => server.close());

  test(`a client that stops reading is closed with ${RoomCloseCode.slowConsumer} once 1 MiB waits for it; the others keep their frames`, async () => {
    const { show } = await demoShow(server);
    // Plain `ws` clients: the test's events below are too big for the contract's ids, on purpose.
    const url = server.baseUrl.replace(/^http/, "ws") + `/api/v1/shows/${show.id}/room`;
    const open = async () => {
      const ws = new WebSocket(url);
      const state = { ws, frames: 0, closed: null as number | null };
      ws.on("message", () => state.frames++);
      ws.on("close", (code) => (state.closed = code));
      await new Promise((r) => ws.once("open", r));
      for (let i = 0; i < 250 && state.frames === 0; i++) await sleep(20); // the snapshot
      return state;
    };
    const slow = await open();
    const fine = await open();
    const raw = (slow.ws as unknown as { _socket: net.Socket })._socket;
    raw.pause();
    // Big room events (a deleted-message notice with a 60 KB id is as good as any): one 24 MB frame,
    // more than the kernel's socket buffers on both sides hold, so the rest waits in the server...
    const before = fine.frames;
    for (let i = 0; i < 400; i++) server.app.realtime.hub.broadcast(show.id, { type: "chat.deleted", messageId: `${i}-${"x".repeat(60_000)}` });
    // The reader that keeps up gets all of it (so nothing waits for it in the server any more)...
    for (let i = 0; i < 500 && fine.frames === before; i++) await sleep(20);
    assert.ok(fine.frames > before, "the reader that keeps up got the big frame");
    // ...and the next frame finds more than 1 MiB waiting for the other: the server gives up on it.
    server.app.realtime.hub.broadcast(show.id, { type: "chat.deleted", messageId: "one-more" });
    await sleep(400);
    raw.resume();
    for (let i = 0; i < 250 && slow.closed === null; i++) await sleep(20);
    assert.equal(slow.closed, RoomCloseCode.slowConsumer);
    assert.equal(fine.closed, null, "and stays");
    fine.ws.close();
  });
});
