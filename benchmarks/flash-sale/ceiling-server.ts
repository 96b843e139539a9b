/**
 * The transport ceiling: not a product, a yardstick. A bare `ws` server that answers each
 * `flash.buy` at once with a fixed outcome (the first QUANTITY win), with no session, no engine, no
 * database and no room fan-out. Whatever Vetrina does per attempt comes on top of this, so its
 * attempts/s bound what any design with one room connection per buyer can reach on this machine
 * with the load generator beside it.
 */
import cluster from "node:cluster";
import http from "node:http";
import { WebSocketServer } from "ws";

const port = Number(process.env.PORT);
// CEILING_WORKERS=n: n processes share the port (Node's cluster), to see what a second core adds.
const workers = Number(process.env.CEILING_WORKERS ?? 1);
if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on("listening", () => ++ready === workers && process.send?.({ ready: true }));
} else {
let left = Number(process.env.QUANTITY ?? 10_000);
let seq = 0;
const server = http.createServer((_req, res) => res.end(JSON.stringify({ available: left, sold: Number(process.env.QUANTITY ?? 10_000) - left })));
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on("connection", (ws) => {
  ws.send("[]");
  ws.on("message", (raw) => {
    const msg = JSON.parse(raw.toString()) as { saleId: string; key: string };
    const outcome = left > 0 ? (left--, "won") : "sold_out";
    ws.send(JSON.stringify([{ type: "flash.result", result: { saleId: msg.saleId, key: msg.key, outcome, seq: ++seq, holdId: null, holdExpiresAt: null } }]));
  });
});
server.listen(port, "0.0.0.0", () => cluster.isPrimary && process.send?.({ ready: true }));
}
