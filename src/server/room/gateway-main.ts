/**
 * A room gateway process (see gateway-pool.ts): holds room sockets for the server that forked it.
 * It has no database and no domain logic: it completes handshakes, writes the frames it is sent, and
 * passes validated client messages back.
 */
import type { Socket } from "node:net";
import type { ValidClientMessage } from "../../shared/contracts/room.ts";
import { Edge } from "./edge.ts";
import { acceptUpgrade } from "./websocket.ts";
import type { FromGateway, ToGateway } from "./gateway-pool.ts";

const send = (m: FromGateway) => {
  if (process.connected) process.send!(m);
};
let batch: [string, ValidClientMessage][] = [];
const keepAliveArg = process.argv.find((a) => a.startsWith("--keepalive-ms="));
const edge = new Edge({
  message(connId, msg) {
    if (batch.length === 0) setImmediate(() => {
      const messages = batch;
      batch = [];
      send({ t: "m", messages });
    });
    batch.push([connId, msg]);
  },
  left: (connId) => send({ t: "l", connId }),
}, keepAliveArg ? { keepAliveMs: Number(keepAliveArg.split("=")[1]) } : {});

/** Initial frames that arrived ahead of their socket (kept a while: a socket Node failed to pass never comes). */
const initialFrames = new Map<string, { initial: string[]; at: number }>();
setInterval(() => {
  for (const [connId, { at }] of initialFrames) if (at < Date.now() - 30_000) initialFrames.delete(connId);
}, 10_000).unref();
/** Sockets adopted since the last confirmation went out. */
let adopted: string[] = [];
const confirm = (connId: string) => {
  if (adopted.length === 0)
    setImmediate(() => {
      const connIds = adopted;
      adopted = [];
      send({ t: "o", connIds });
    });
  adopted.push(connId);
};

process.on("message", (m: ToGateway, handle?: Socket) => {
  switch (m.t) {
    case "i":
      initialFrames.set(m.connId, { initial: m.initial, at: Date.now() });
      return;
    case "a": {
      const initial = initialFrames.get(m.info.connId)?.initial ?? [];
      initialFrames.delete(m.info.connId);
      if (!handle) return send({ t: "l", connId: m.info.connId });
      handle.on("error", () => handle.destroy());
      if (acceptUpgrade({ method: m.method, headers: m.headers }, handle)) {
        edge.adopt(handle, Buffer.from(m.head), m.info, initial, m.closeWith);
        if (!m.closeWith) confirm(m.info.connId);
      } else if (!m.closeWith) send({ t: "l", connId: m.info.connId });
      return;
    }
    case "f":
      return edge.frames(m.showId, m.frames);
    case "r":
      for (const [connId, text] of m.replies) edge.reply(connId, text);
      return;
    case "c":
      return edge.close(m.connId, m.code, m.reason);
    case "x":
      // Close the sockets but stay: the server's HTTP close still asks this process about them.
      edge.closeAll(1001, "server shutting down");
      return;
  }
});
send({ t: "y" });
// Stopped by the server (or the server went away): nothing to serve for. Exiting this way, not by the
// signal's default, lets Node finish what it writes at exit (--cpu-prof profiles, say).
process.on("SIGTERM", () => process.exit(0));
// The server went away: nothing to serve for.
process.on("disconnect", () => process.exit(0));
