import { after, before } from "node:test";
import { spawn, type ChildProcess } from "node:child_process";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";
import { testPatternArgs } from "../../src/server/media/test-pattern.ts";
import { launchBrowser } from "./browser.ts";
import { startServer, type TestServer } from "./harness.ts";

/**
 * One server and one headless Chromium for an end-to-end suite (started in `before`, closed in
 * `after`), and the child processes (publishers, extra servers) to kill when it is over. Read
 * `server` and `browser` inside the tests: they exist once `before` has run.
 */
export function e2eSuite(opts: { env?: Record<string, string>; fakeCamera?: boolean } = {}) {
  const suite = {
    server: undefined as unknown as TestServer,
    browser: undefined as unknown as Awaited<ReturnType<typeof launchBrowser>>,
    children: [] as ChildProcess[],
    /** Pushes the 640×360 test pattern over RTMP to `url` for `seconds`; killed with the suite. */
    push(url: string, seconds: number): ChildProcess {
      const child = spawn(resolveFfmpeg(), testPatternArgs({ url, seconds, width: 640, height: 360 }), { stdio: ["ignore", "ignore", "pipe"] });
      suite.children.push(child);
      return child;
    },
  };
  before(async () => {
    suite.server = await startServer(opts.env);
    suite.browser = await launchBrowser({ fakeCamera: opts.fakeCamera });
  });
  after(async () => {
    for (const c of suite.children) c.kill("SIGKILL");
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
