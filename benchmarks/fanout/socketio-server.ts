/**
 * The baseline: a plain Socket.IO 4 server doing the usual room broadcast. Not a product, a yardstick.
 *
 *   - every connection joins one room (one show);
 *   - `chat.send` → `io.to(room).emit("chat.message", {message:{id, author, text, at}, clientMsgId, ts})`
 *     at once, one packet per message, with the server's clock in `ts` (epoch ms) and `at` (ISO);
 *   - `like.send` → `io.to(room).emit("like", {count, ts})` per message as it comes: the usual naive
 *     pattern, clients add the counts up themselves.
 *
 * WebSocket transport only (no polling, so no sticky sessions), no per-message compression. No
 * persistence, authentication or rate limiting: everything Vetrina does beyond the broadcast is left
 * out, which only flatters this baseline.
 *
 * Env: PORT; SOCKETIO_WORKERS (default 1). One process is the plain, usual setup; a process may hold
 * at most ~20,000 open files here, so for rooms bigger than that the harness runs n workers under
 * node:cluster (connections dealt round-robin by the primary) with the official cluster adapter, which
 * relays each broadcast to the other workers: the standard way to run Socket.IO on several cores.
 * Tells its parent `{ ready: true }` over IPC once listening.
 */
import cluster from "node:cluster";
import http from "node:http";
import { Server } from "socket.io";
import { createAdapter, setupPrimary } from "@socket.io/cluster-adapter";

const port = Number(process.env.PORT);
const workers = Math.max(1, Number(process.env.SOCKETIO_WORKERS ?? 1));
const ROOM = "show";

if (workers > 1 && cluster.isPrimary) {
  let stopping = false;
  setupPrimary();
  cluster.schedulingPolicy = cluster.SCHED_RR;
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on("listening", () => ++ready === workers && process.send?.({ ready: true }));
  cluster.on("exit", (w, code, signal) => !stopping && console.error(`socket.io worker ${w.process.pid} exited (${code ?? signal})`));
  process.on("SIGTERM", () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill("SIGKILL");
    process.exit(0);
  });
} else {
  const httpServer = http.createServer((_req, res) => res.end("ok"));
  const io = new Server(httpServer, {
    transports: ["websocket"],
    perMessageDeflate: false,
    httpCompression: false,
    serveClient: false,
    ...(workers > 1 ? { adapter: createAdapter() } : {}),
  });
  let seq = 0;
  const prefix = `msg_${process.pid.toString(36)}_`;
  io.on("connection", (socket) => {
    void socket.join(ROOM);
    const auth = socket.handshake.auth as { name?: unknown } | undefined;
    const author = { id: `usr_${socket.id}`, name: typeof auth?.name === "string" ? auth.name.slice(0, 60) : "Viewer", role: "viewer" as const };
    socket.on("chat.send", (m: { text?: unknown; clientMsgId?: unknown } | undefined) => {
      const text = typeof m?.text === "string" ? m.text.trim().slice(0, 300) : "";
      if (!text) return;
      const now = Date.now();
      io.to(ROOM).emit("chat.message", {
        message: { id: prefix + (++seq).toString(36), author, text, at: new Date(now).toISOString() },
        ...(typeof m?.clientMsgId === "string" ? { clientMsgId: m.clientMsgId.slice(0, 64) } : {}),
        ts: now,
      });
    });
    socket.on("like.send", (m: { count?: unknown } | undefined) => {
      const count = typeof m?.count === "number" && Number.isInteger(m.count) ? Math.min(50, Math.max(1, m.count)) : 1;
      io.to(ROOM).emit("like", { count, ts: Date.now() });
    });
  });
  httpServer.listen(port, "0.0.0.0", () => {
    if (cluster.isPrimary) process.send?.({ ready: true });
  });
}
