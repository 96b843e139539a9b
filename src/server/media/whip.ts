import dgram from "node:dgram";
import type { Logger } from "pino";
import { RTCPeerConnection, RTCRtpCodecParameters, RtcpSenderInfo, RtcpSrPacket, useFIR, useNACK, usePLI, type MediaStreamTrack, type RTCRtpTransceiver, type RtpPacket } from "werift";

/**
 * WHIP (RFC 9725) ingest, the WebRTC side: werift terminates ICE/DTLS/SRTP, and the received RTP
 * (H.264 video, Opus audio) is forwarded as plain RTP over loopback UDP to the show's packager
 * ffmpeg, which reads it through an SDP (`packagerSdp`) and writes the same fragmented MP4 as for
 * RTMP. See docs/media.md, "Going live from a browser (WHIP)".
 */

export interface WhipNetworkConfig {
  /** Only these local addresses are offered as ICE host candidates (e.g. ["127.0.0.1"]); all interfaces when empty. */
  interfaceAddresses: string[];
  /** Extra host candidates to advertise, e.g. the public address of a server behind 1:1 NAT. */
  announcedAddresses: string[];
  /** UDP port range for ICE, e.g. [40000, 40999]; any port when undefined. */
  portRange?: [number, number];
  /** STUN/TURN servers, e.g. ["stun:stun.example.org:3478"]. */
  iceServers: string[];
}

export class WhipOfferError extends Error {
  constructor(
    readonly code: "whip_offer_invalid" | "whip_codec_unsupported",
    message: string,
  ) {
    super(message);
  }
}

export interface WhipPeer {
  /** the SDP answer for the WHIP client (ICE candidates included: no trickle) */
  answer: string;
  /** the SDP ffmpeg reads the forwarded RTP with */
  packagerSdp: string;
  hasAudio: boolean;
  /** when the last RTP packet arrived */
  lastInputAt: number;
  /**
   * The capture instant (server clock, epoch ms) of the first video frame forwarded to the
   * packager — a keyframe, so the packager's first fragment — once it is known; see docs/media.md.
   */
  firstFrameCapturedAt: number | null;
  /** The peer connection failed or was closed by the client; called once. */
  onGone(cb: () => void): void;
  close(): Promise<void>;
}

/** Payload types of the forwarded RTP, as written in packagerSdp (whatever the client negotiated). */
const VIDEO_PT = 96;
const AUDIO_PT = 111;
/** Ask for a keyframe this often: segments are cut at keyframes (HLS_SEGMENT_SECONDS 1). */
const KEYFRAME_INTERVAL_MS = 1000;
/**
 * The packager learns how audio and video line up from the senders' RTCP sender reports; RTP is
 * held back until every track has sent one (browsers send the first within about a second).
 * After this long without one, RTP is forwarded anyway and the tracks are aligned on arrival.
 */
const SENDER_REPORT_WAIT_MS = 2500;
/** at most this many packets are held while waiting for sender reports and the first keyframe */
const MAX_HELD_PACKETS = 2000;
const NTP_EPOCH_OFFSET_S = 2_208_988_800;

export async function acceptWhipOffer(offer: string, net: WhipNetworkConfig, log: Logger): Promise<WhipPeer> {
  if (!/^v=0\r?\n/.test(offer) || !/\r?\nm=/.test(offer)) throw new WhipOfferError("whip_offer_invalid", "The body is not an SDP offer.");
  if (!/\r?\nm=video /.test(offer)) throw new WhipOfferError("whip_offer_invalid", "The offer has no video.");
  if (!/a=rtpmap:\d+ H264\/90000/i.test(offer)) throw new WhipOfferError("whip_codec_unsupported", "Video must be H.264 (the stream is packaged without re-encoding).");

  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({ mimeType: "video/H264", clockRate: 90000, rtcpFeedback: [useNACK(), usePLI(), useFIR()], parameters: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f" }),
      ],
      audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48000, channels: 2 })],
    },
    iceServers: net.iceServers.map((urls) => ({ urls })),
    iceUseIpv6: false,
    ...(net.interfaceAddresses.length ? { iceInterfaceAddresses: { udp4: net.interfaceAddresses[0] } } : {}),
    ...(net.interfaceAddresses.length || net.announcedAddresses.length ? { iceAdditionalHostAddresses: [...net.interfaceAddresses, ...net.announcedAddresses] } : {}),
    ...(net.portRange ? { icePortRange: net.portRange } : {}),
  });

  const udp = dgram.createSocket("udp4");
  const gone: (() => void)[] = [];
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  const ports = await freePortPairs(2);
  const videoPort = ports[0]!;
  const audioPort = ports[1]!;

  const tracks: { kind: "video" | "audio"; track: MediaStreamTrack; transceiver: RTCRtpTransceiver; sr: { ntpMs: number; rtp: number } | null }[] = [];
  const held: { kind: "video" | "audio"; rtp: RtpPacket; capture: number | null; arrival: number }[] = [];
  /** "hold" until sender reports (or the wait is over), then "keyframe" until a video keyframe, then "forward" */
  let phase: "hold" | "keyframe" | "forward" = "hold";
  let useSenderReports = true;
  let forwardFrom = 0; // capture instant (sender clock) of the first forwarded keyframe
  /** min(arrival − capture) over video packets: the sender's clock offset plus network delay */
  let arrivalMinusCapture = Infinity;

  const peer: WhipPeer = {
    answer: "",
    packagerSdp: "",
    hasAudio: false,
    lastInputAt: Date.now(),
    firstFrameCapturedAt: null,
    onGone: (cb) => void gone.push(cb),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearInterval(t);
      udp.close();
      await pc.close().catch(() => {});
    },
  };
  const fireGone = () => {
    for (const cb of gone.splice(0)) cb();
  };

  const send = (kind: "video" | "audio", buf: Buffer, rtcp = false) => {
    if (closed) return;
    udp.send(buf, (kind === "video" ? videoPort : audioPort) + (rtcp ? 1 : 0), "127.0.0.1");
  };
  const captureOf = (t: (typeof tracks)[number], rtpTs: number): number | null => {
    if (!t.sr) return null;
    const clock = t.kind === "video" ? 90_000 : 48_000;
    // signed 32-bit difference: RTP timestamps wrap
    return t.sr.ntpMs + (((rtpTs - t.sr.rtp) | 0) / clock) * 1000;
  };

  /** Audio captured before the first forwarded keyframe: it would start the packager's timeline before 0. */
  const precedesStart = (kind: "video" | "audio", capture: number | null) => kind === "audio" && useSenderReports && capture !== null && capture < forwardFrom;

  const forward = (kind: "video" | "audio", rtp: RtpPacket) => {
    rtp.header.payloadType = kind === "video" ? VIDEO_PT : AUDIO_PT;
    send(kind, rtp.serialize());
  };

  /** Leaves "hold"/"keyframe" when possible and flushes what was held from the first keyframe on. */
  const advance = () => {
    if (phase === "hold") {
      if (!(tracks.length > 0 && tracks.every((t) => t.sr))) return;
      phase = "keyframe";
    }
    if (phase !== "keyframe") return;
    const start = held.findIndex((h) => h.kind === "video" && startsKeyframe(h.rtp.payload));
    if (start < 0) return;
    const first = held[start]!;
    phase = "forward";
    if (useSenderReports && first.capture !== null) {
      forwardFrom = first.capture;
      // One sender report per track, all naming the same instant (the keyframe's capture): the
      // packager's timeline then starts at 0 on that keyframe, with every track on the senders'
      // common clock, whichever report it reads first.
      for (const t of tracks) {
        const clock = t.kind === "video" ? 90_000 : 48_000;
        const rtp = (t.sr!.rtp + Math.round(((forwardFrom - t.sr!.ntpMs) / 1000) * clock)) >>> 0;
        send(t.kind, new RtcpSrPacket({ ssrc: t.track.ssrc ?? 0, senderInfo: new RtcpSenderInfo({ ntpTimestamp: toNtp(forwardFrom), rtpTimestamp: rtp, packetCount: 0, octetCount: 0 }) }).serialize(), true);
      }
      // The sender's clock is trusted when it agrees with ours within a plausible delay; otherwise
      // the keyframe's capture is taken as its arrival (encoder and network delay unknown).
      const plausible = arrivalMinusCapture >= -50 && arrivalMinusCapture <= 2000;
      peer.firstFrameCapturedAt = plausible ? forwardFrom : forwardFrom + arrivalMinusCapture;
    } else {
      peer.firstFrameCapturedAt = first.arrival;
    }
    for (const h of held.slice(start)) {
      if (precedesStart(h.kind, h.capture)) continue;
      forward(h.kind, h.rtp);
    }
    held.length = 0;
    log.info({ firstFrameCapturedAt: peer.firstFrameCapturedAt, senderReports: useSenderReports, senderClockOffsetMs: Number.isFinite(arrivalMinusCapture) ? Math.round(arrivalMinusCapture) : null }, "WHIP: forwarding media to the packager");
  };

  pc.onTransceiverAdded.subscribe((transceiver) => {
    transceiver.onTrack.subscribe((track) => {
      const kind = track.kind === "video" ? "video" : "audio";
      const entry = { kind, track, transceiver, sr: null as { ntpMs: number; rtp: number } | null } as (typeof tracks)[number];
      tracks.push(entry);
      track.onReceiveRtp.subscribe((rtp) => {
        const now = Date.now();
        peer.lastInputAt = now;
        const capture = captureOf(entry, rtp.header.timestamp);
        if (kind === "video" && capture !== null) arrivalMinusCapture = Math.min(arrivalMinusCapture, now - capture);
        if (phase === "forward") {
          if (precedesStart(kind, capture)) return;
          forward(kind, rtp);
          return;
        }
        held.push({ kind, rtp, capture, arrival: now });
        if (held.length > MAX_HELD_PACKETS) held.splice(0, held.length - MAX_HELD_PACKETS);
        advance();
      });
      track.onReceiveRtcp.subscribe((packet) => {
        if (!(packet instanceof RtcpSrPacket)) return;
        const ntp = packet.senderInfo.ntpTimestamp;
        entry.sr = { ntpMs: (Number(ntp >> 32n) - NTP_EPOCH_OFFSET_S) * 1000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000, rtp: packet.senderInfo.rtpTimestamp };
        if (phase !== "forward") advance();
      });
      if (kind === "video") {
        const pli = () => {
          if (track.ssrc !== undefined && !closed) transceiver.receiver.sendRtcpPLI(track.ssrc);
        };
        track.onReceiveRtp.once(pli);
        timers.push(setInterval(pli, KEYFRAME_INTERVAL_MS));
      }
    });
  });
  timers.push(
    setTimeout(() => {
      if (phase !== "hold" || closed) return;
      log.warn("WHIP: no RTCP sender report from every track; audio and video are aligned on arrival");
      useSenderReports = false;
      phase = "keyframe";
      advance();
    }, SENDER_REPORT_WAIT_MS),
  );

  pc.connectionStateChange.subscribe((state) => {
    if (state === "failed" || state === "closed") fireGone();
  });

  try {
    await pc.setRemoteDescription({ type: "offer", sdp: offer });
    const transceivers = pc.getTransceivers();
    const video = transceivers.find((t) => t.kind === "video" && t.codecs.some((c) => c.mimeType.toLowerCase() === "video/h264"));
    if (!video) throw new WhipOfferError("whip_codec_unsupported", "Video must be H.264 with packetization-mode=1.");
    peer.hasAudio = transceivers.some((t) => t.kind === "audio" && t.codecs.some((c) => c.mimeType.toLowerCase() === "audio/opus"));
    for (const t of transceivers) t.setDirection("recvonly");
    await pc.setLocalDescription(await pc.createAnswer());
    const deadline = Date.now() + 5000;
    while (pc.iceGatheringState !== "complete" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  } catch (err) {
    await peer.close();
    if (err instanceof WhipOfferError) throw err;
    throw new WhipOfferError("whip_offer_invalid", `The offer could not be negotiated: ${(err as Error).message}`);
  }
  peer.answer = pc.localDescription!.sdp;
  peer.packagerSdp = packagerSdp(videoPort, peer.hasAudio ? audioPort : null);
  return peer;
}

/** epoch ms → 64-bit NTP timestamp */
function toNtp(ms: number): bigint {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.round(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return (BigInt(seconds + NTP_EPOCH_OFFSET_S) << 32n) + BigInt(Math.min(fraction, 2 ** 32 - 1));
}

/** The SDP the packager ffmpeg reads: plain RTP on loopback, RTCP on the next port. */
export function packagerSdp(videoPort: number, audioPort: number | null): string {
  const lines = [
    "v=0",
    "o=- 0 0 IN IP4 127.0.0.1",
    "s=Vetrina WHIP",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=video ${videoPort} RTP/AVP ${VIDEO_PT}`,
    `a=rtpmap:${VIDEO_PT} H264/90000`,
    `a=fmtp:${VIDEO_PT} packetization-mode=1`,
  ];
  if (audioPort !== null) lines.push(`m=audio ${audioPort} RTP/AVP ${AUDIO_PT}`, `a=rtpmap:${AUDIO_PT} opus/48000/2`);
  return lines.join("\r\n") + "\r\n";
}

/**
 * True when this H.264 RTP payload (RFC 6184) starts a keyframe: an SPS or an IDR slice, alone,
 * in a STAP-A aggregate, or as the first fragment of an FU-A.
 */
export function startsKeyframe(payload: Buffer): boolean {
  if (payload.length < 2) return false;
  const type = payload[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 24) {
    for (let i = 1; i + 2 < payload.length; ) {
      const size = payload.readUInt16BE(i);
      const t = payload[i + 2]! & 0x1f;
      if (t === 5 || t === 7) return true;
      i += 2 + size;
    }
    return false;
  }
  if (type === 28) return (payload[1]! & 0x80) !== 0 && ((payload[1]! & 0x1f) === 5 || (payload[1]! & 0x1f) === 7);
  return false;
}

/** n pairs of free loopback UDP ports (even RTP port, RTCP on the next), for ffmpeg to bind. */
async function freePortPairs(n: number): Promise<number[]> {
  const found: number[] = [];
  for (let attempt = 0; found.length < n && attempt < 200; attempt++) {
    const port = 20_000 + 2 * Math.floor(Math.random() * 20_000);
    if (found.includes(port)) continue;
    if ((await canBind(port)) && (await canBind(port + 1))) found.push(port);
  }
  if (found.length < n) throw new Error("no free UDP ports for the WHIP packager");
  return found;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    s.once("error", () => {
      s.close();
      resolve(false);
    });
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}
