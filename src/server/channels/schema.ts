import type { ChannelItemKind } from "../../shared/contracts/channels.ts";

/** (A type rather than an interface: `db.withTables<ChannelsTables>()` wants an indexable record.) */
export type ChannelsTables = {
  /**
   * A merchant's 24-hour channel. The compiled schedule on air (`schedule`, JSON of `CompiledSchedule`)
   * plus `epoch`, `seq_base`, `disc_base` and the takeover fields are everything the live playlist is
   * computed from: no playout process, nothing in memory (restart-safe by construction).
   */
  channels: {
    id: string;
    merchant_id: string;
    name: string;
    cover_url: string | null;
    /** bumped by every edit of the playlist; the compile job of a version is keyed by it */
    version: number;
    /** the version `schedule` was compiled from (0: none yet) */
    schedule_version: number;
    schedule: string | null;
    compile_job_id: string | null;
    /** epoch ms at which loop position 0 of the schedule on air was (or would have been) played */
    epoch: number;
    /** the media sequence number and discontinuity sequence number of the schedule's segment 0 */
    seq_base: number;
    disc_base: number;
    takeover_show_id: string | null;
    takeover_started_at: number | null;
    created_at: number;
    updated_at: number;
  };
  channel_items: {
    channel_id: string;
    position: number;
    kind: ChannelItemKind;
    ref_id: string;
  };
  /** the merchant's shows that take the channel over while live */
  channel_takeover_shows: {
    channel_id: string;
    show_id: string;
  };
};
