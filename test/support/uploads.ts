/** A small tus 1.0.0 client over fetch, and test videos made by ffmpeg, for the upload tests. */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { resolveFfmpeg } from "../../src/server/media/ffmpeg.ts";

const run = promisify(execFile);
export const UPLOADS = "/api/v1/uploads/videos";

export function tusMetadata(meta: Record<string, string>): string {
  return Object.entries(meta)
    .map(([k, v]) => `${k} ${Buffer.from(v, "utf8").toString("base64")}`)
    .join(",");
}

export class TusClient {
  constructor(
    readonly baseUrl: string,
    readonly cookie: string,
  ) {}

  private headers(extra: Record<string, string> = {}) {
    return { "tus-resumable": "1.0.0", ...(this.cookie ? { cookie: this.cookie } : {}), ...extra };
  }

  create(length: number, meta: Record<string, string>) {
    return fetch(this.baseUrl + UPLOADS, { method: "POST", headers: this.headers({ "upload-length": String(length), "upload-metadata": tusMetadata(meta) }) });
  }

  head(location: string) {
    return fetch(this.baseUrl + location, { method: "HEAD", headers: this.headers() });
  }

  patch(location: string, offset: number, chunk: Buffer) {
    return fetch(this.baseUrl + location, { method: "PATCH", headers: this.headers({ "upload-offset": String(offset), "content-type": "application/offset+octet-stream" }), body: new Uint8Array(chunk) });
  }

  /** Sends `data` from `from` in chunks; the last response (the one that finished it, or a refusal). */
  async send(location: string, data: Buffer, from = 0, chunkSize = 256 * 1024): Promise<Response> {
    let offset = from;
    for (;;) {
      const res = await this.patch(location, offset, data.subarray(offset, Math.min(data.length, offset + chunkSize)));
      if (res.status !== 204) return res;
      offset = Number(res.headers.get("upload-offset"));
      if (offset >= data.length) return res;
    }
  }
}

/** A vertical test-pattern MP4 (H.264, AAC unless `audio: false`), moov at the end unless `faststart`. */
export async function makeVideo(file: string, o: { seconds: number; width?: number; height?: number; audio?: boolean; faststart?: boolean; preset?: string }): Promise<void> {
  const ffmpeg = resolveFfmpeg();
  const w = o.width ?? 360;
  const h = o.height ?? 640;
  const args = ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${w}x${h}:rate=30`];
  if (o.audio !== false) args.push("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000");
  args.push("-t", String(o.seconds), "-c:v", "libx264", "-preset", o.preset ?? "ultrafast", "-pix_fmt", "yuv420p");
  if (o.audio !== false) args.push("-c:a", "aac", "-shortest");
  if (o.faststart) args.push("-movflags", "+faststart");
  args.push(file);
  await run(ffmpeg, args);
}
