import { ApiError, errorFromResponse } from "../api/client.ts";

/**
 * Publishing the host's camera and microphone over WHIP (RFC 9725): one POST with the SDP offer
 * (the show's stream key as Bearer token), the answer back, DELETE on the returned resource to stop.
 * Candidates are gathered before the offer is sent (the server does not take trickled ones).
 */
export interface WhipPublication {
  pc: RTCPeerConnection;
  /** Ends the session on the server (DELETE) and closes the connection. */
  stop(): Promise<void>;
}

/** How long to wait for ICE candidates before sending the offer with those found so far. */
const GATHER_TIMEOUT_MS = 2000;
/** A phone's uplink: enough for 720p30 H.264 without starving the audio. */
const MAX_VIDEO_BITRATE = 2_500_000;

export async function publishWhip(endpoint: string, streamKey: string, media: MediaStream): Promise<WhipPublication> {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  try {
    for (const track of media.getTracks()) {
      const t = pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
      if (track.kind === "video") {
        preferH264(t);
        const params = t.sender.getParameters();
        if (params.encodings?.[0]) {
          params.encodings[0].maxBitrate = MAX_VIDEO_BITRATE;
          await t.sender.setParameters(params).catch(() => {});
        }
      }
    }
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    let res: Response;
    try {
      res = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/sdp", authorization: `Bearer ${streamKey}` },
        body: pc.localDescription!.sdp,
      });
    } catch (err) {
      throw new ApiError("network", 0, null, String(err));
    }
    const text = await res.text();
    if (res.status !== 201) throw problemError(res.status, text);
    const location = res.headers.get("location");
    await pc.setRemoteDescription({ type: "answer", sdp: text });
    const resource = location ? new URL(location, endpoint).toString() : null;
    let stopped = false;
    return {
      pc,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          if (resource) await fetch(resource, { method: "DELETE", headers: { authorization: `Bearer ${streamKey}` } });
        } finally {
          pc.close();
        }
      },
    };
  } catch (err) {
    pc.close();
    throw err;
  }
}

/** H.264 first (the server packages it without re-encoding), packetization-mode=1 before 0. */
function preferH264(t: RTCRtpTransceiver) {
  const caps = typeof RTCRtpSender.getCapabilities === "function" ? RTCRtpSender.getCapabilities("video") : null;
  if (!caps || typeof t.setCodecPreferences !== "function") return;
  const h264 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/h264");
  if (!h264.length) return;
  const mode1 = h264.filter((c) => /packetization-mode=1/.test(c.sdpFmtpLine ?? ""));
  const rest = caps.codecs.filter((c) => /rtx|red|ulpfec/i.test(c.mimeType));
  t.setCodecPreferences([...mode1, ...h264.filter((c) => !mode1.includes(c)), ...rest]);
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener("icegatheringstatechange", check);
      clearTimeout(timer);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, GATHER_TIMEOUT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

function problemError(status: number, text: string): ApiError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return errorFromResponse(status, json);
}
