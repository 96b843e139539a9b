/**
 * An S3-compatible server for tests (s3rver: real HTTP, real S3 XML, objects on disk), on 127.0.0.1,
 * a free port and a temporary directory, with the buckets asked for. It runs in a child process (see
 * s3-child.mjs for why).
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestS3 {
  endpoint: string;
  /** requests the server has received so far */
  requests(): Promise<number>;
  /** the env that points the app at `bucket` */
  env(bucket: string, prefix?: string): Record<string, string>;
  close(): Promise<void>;
}

export const TEST_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

type ChildMessage = { type: "ready"; port: number } | { type: "count"; id: number; count: number };

export async function startS3(buckets: string[]): Promise<TestS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vetrina-s3-"));
  const child = fork(path.join(import.meta.dirname, "s3-child.mjs"), [JSON.stringify({ dir, buckets })], {
    execArgv: ["--openssl-legacy-provider"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code})`)));
    child.on("message", (m: ChildMessage) => m.type === "ready" && resolve(m.port));
  });
  child.removeAllListeners("exit");
  let nextId = 0;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    requests: () =>
      new Promise((resolve) => {
        const id = ++nextId;
        const onMessage = (m: ChildMessage) => {
          if (m.type === "count" && m.id === id) {
            child.off("message", onMessage);
            resolve(m.count);
          }
        };
        child.on("message", onMessage);
        child.send({ type: "count", id });
      }),
    env: (bucket, prefix) => ({
      STORAGE: "s3",
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: TEST_S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: TEST_S3_CREDENTIALS.secretAccessKey,
      ...(prefix ? { S3_PREFIX: prefix } : {}),
    }),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.send({ type: "close" });
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
