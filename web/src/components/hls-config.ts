/**
 * The hls.js settings of every live player (the web app's, and the one bench:latency measures).
 *
 * Low-Latency HLS: hls.js blocks on the next part (_HLS_msn/_HLS_part), loads the hinted part early
 * and plays PART-HOLD-BACK (3 parts, ~0.7 s) behind the live edge. No liveSync* setting here: any of
 * them would replace PART-HOLD-BACK as the target latency. After a stall hls.js moves the target back
 * a little (liveSyncOnStallIncrease); up to 1.5× speed catches up.
 */
export const LIVE_HLS_CONFIG = { lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5, manifestLoadingMaxRetry: 6, backBufferLength: 30 } as const;

/** The hls.js settings of a replay (a VOD playlist): plain HLS from the start, seeking anywhere. */
export const REPLAY_HLS_CONFIG = { lowLatencyMode: false, startPosition: 0, manifestLoadingMaxRetry: 6, backBufferLength: 60 } as const;
