// Runs s3rver for test/support/s3.ts in a process of its own: s3rver's continuation tokens use DES,
// which OpenSSL 3 only offers with --openssl-legacy-provider (a flag the tests' own process should not need).
import S3rver from "s3rver";

const { dir, buckets } = JSON.parse(process.argv[2] ?? "{}");
const server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
const address = await server.run();
let count = 0;
server.httpServer.on("request", () => count++);
process.send({ type: "ready", port: address.port });
process.on("message", (m) => {
  if (m?.type === "count") process.send({ type: "count", id: m.id, count });
  if (m?.type === "close") {
    server.httpServer.closeAllConnections();
    server.close().then(() => process.exit(0));
  }
});
// the test process went away: so does its server
process.on("disconnect", () => process.exit(0));
