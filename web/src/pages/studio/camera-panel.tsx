import { useEffect, useRef, useState } from "preact/hooks";
import type { ShowStatus, StudioInfo } from "../../../../src/shared/contracts/shows.ts";
import { useI18n } from "../../i18n/index.tsx";
import { publishWhip, type WhipPublication } from "../../media/whip-client.ts";

type Phase = "idle" | "starting" | "connecting" | "live" | "unstable";

/** 720p30 where the camera has it; the browser picks the closest it can do. */
const VIDEO: MediaTrackConstraints = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true };

/**
 * Going live from the studio page itself: the device's camera and microphone, published over WHIP
 * to the same endpoint OBS can use. Stopping ends the show, as stopping OBS does.
 */
export function CameraPanel({ info, status, onLive }: { info: StudioInfo; status: ShowStatus | null; onLive(): void }) {
  const { m, errorText } = useI18n();
  const [phase, setPhase] = useState<Phase>("idle");
  const [error, setError] = useState<string | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [cameraId, setCameraId] = useState<string>("");
  const [micId, setMicId] = useState<string>("");
  const media = useRef<MediaStream | null>(null);
  const publication = useRef<WhipPublication | null>(null);
  const preview = useRef<HTMLVideoElement>(null);

  const release = () => {
    for (const t of media.current?.getTracks() ?? []) t.stop();
    media.current = null;
    if (preview.current) preview.current.srcObject = null;
  };

  // Leaving the page ends the broadcast cleanly (DELETE) instead of waiting for the stall timeout.
  useEffect(() => {
    const leave = () => void publication.current?.stop();
    window.addEventListener("pagehide", leave);
    return () => {
      window.removeEventListener("pagehide", leave);
      leave();
      release();
    };
  }, []);

  const start = async () => {
    setError(null);
    if (!navigator.mediaDevices?.getUserMedia || typeof RTCPeerConnection === "undefined") return setError(m.camera.unsupported);
    setPhase("starting");
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: cameraId ? { ...VIDEO, deviceId: { exact: cameraId } } : VIDEO,
        audio: micId ? { ...AUDIO, deviceId: { exact: micId } } : AUDIO,
      });
      media.current = stream;
      if (preview.current) preview.current.srcObject = stream;
      setDevices((await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput" || d.kind === "audioinput"));
      setPhase("connecting");
      const pub = await publishWhip(info.whipUrl, info.streamKey, stream);
      publication.current = pub;
      pub.pc.addEventListener("connectionstatechange", () => {
        const s = pub.pc.connectionState;
        if (s === "connected") setPhase("live");
        else if (s === "disconnected") setPhase("unstable");
        else if (s === "failed" || s === "closed") {
          if (publication.current === pub) {
            publication.current = null;
            release();
            setPhase("idle");
            if (s === "failed") setError(m.camera.failed);
          }
        }
      });
      onLive();
    } catch (err) {
      release();
      setPhase("idle");
      const name = err instanceof DOMException ? err.name : "";
      setError(name === "NotAllowedError" || name === "SecurityError" ? m.camera.denied : name === "NotFoundError" || name === "OverconstrainedError" ? m.camera.notFound : errorText(err));
    }
  };

  const stop = async () => {
    if (!confirm(m.camera.stopConfirm)) return;
    const pub = publication.current;
    publication.current = null;
    release();
    setPhase("idle");
    await pub?.stop();
    onLive();
  };

  /** A different camera or microphone while live: the new track replaces the old one in place. */
  const switchDevice = async (kind: "videoinput" | "audioinput", deviceId: string) => {
    if (kind === "videoinput") setCameraId(deviceId);
    else setMicId(deviceId);
    const pub = publication.current;
    const stream = media.current;
    if (!pub || !stream) return;
    try {
      const fresh = await navigator.mediaDevices.getUserMedia(kind === "videoinput" ? { video: { ...VIDEO, deviceId: { exact: deviceId } } } : { audio: { ...AUDIO, deviceId: { exact: deviceId } } });
      const track = fresh.getTracks()[0]!;
      const sender = pub.pc.getSenders().find((s) => s.track?.kind === track.kind);
      await sender?.replaceTrack(track);
      for (const old of stream.getTracks().filter((t) => t.kind === track.kind)) {
        stream.removeTrack(old);
        old.stop();
      }
      stream.addTrack(track);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const mine = phase !== "idle";
  if (status === "ended") return null;
  const busyElsewhere = status === "live" && !mine;
  const cameras = devices.filter((d) => d.kind === "videoinput");
  const mics = devices.filter((d) => d.kind === "audioinput");
  return (
    <section class="card camera-card" aria-labelledby="camera-title" data-testid="camera-panel">
      <h2 id="camera-title" class="card-title">
        {m.camera.title}
      </h2>
      <div class={`camera-preview ${mine ? "" : "hidden"}`}>
        <video ref={preview} muted playsInline autoPlay class="camera-video" aria-label={m.camera.localPreview} data-testid="camera-video" />
        <p class={`camera-state camera-${phase}`} role="status" data-testid="camera-state" data-phase={phase}>
          {phase === "live" ? m.camera.live : phase === "unstable" ? m.camera.unstable : phase === "connecting" ? m.camera.connecting : phase === "starting" ? m.camera.starting : ""}
        </p>
      </div>
      {!mine && <p class="hint">{busyElsewhere ? m.camera.busyElsewhere : m.camera.hint}</p>}
      {mine && (cameras.length > 1 || mics.length > 1) && (
        <div class="camera-devices">
          {cameras.length > 1 && (
            <div class="field">
              <label for="camera-device">{m.camera.camera}</label>
              <select id="camera-device" value={cameraId || media.current?.getVideoTracks()[0]?.getSettings().deviceId} onChange={(e) => void switchDevice("videoinput", e.currentTarget.value)}>
                {cameras.map((d, i) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || `${m.camera.camera} ${i + 1}`}
                  </option>
                ))}
              </select>
            </div>
          )}
          {mics.length > 1 && (
            <div class="field">
              <label for="mic-device">{m.camera.microphone}</label>
              <select id="mic-device" value={micId || media.current?.getAudioTracks()[0]?.getSettings().deviceId} onChange={(e) => void switchDevice("audioinput", e.currentTarget.value)}>
                {mics.map((d, i) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.label || `${m.camera.microphone} ${i + 1}`}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
      )}
      {mine ? (
        <button type="button" class="btn btn-danger" data-testid="camera-stop" onClick={() => void stop()} disabled={phase === "starting"}>
          {m.camera.stop}
        </button>
      ) : (
        <button type="button" class="btn btn-primary" data-testid="camera-start" onClick={() => void start()} disabled={busyElsewhere}>
          {m.camera.start}
        </button>
      )}
      {error && (
        <p class="form-error" role="alert" data-testid="camera-error">
          {error}
        </p>
      )}
    </section>
  );
}
