import type { ShowStatus } from "../../shared/contracts/shows.ts";

/** The show's recording: being stored (or left unfinished by a crash), or a replay ready to watch. */
export type RecordingState = "recording" | "ready";

export interface ShowsTables {
  shows: {
    id: string;
    merchant_id: string;
    host_user_id: string;
    title: string;
    description: string;
    cover_url: string | null;
    scheduled_at: number;
    status: ShowStatus;
    started_at: number | null;
    ended_at: number | null;
    stream_key: string;
    showcased_product_id: string | null;
    like_count: number;
    peak_viewers: number;
    created_at: number;
    /** null: never recorded */
    recording: RecordingState | null;
    /**
     * Set on a show a creator scheduled on its own channel for a brand's campaign (merchant_id is the
     * brand, host_user_id the creator): only that campaign's products may be shown, and its sales earn
     * the creator commission. Null on a merchant's own show.
     */
    campaign_id: string | null;
    /** multi-node: the node whose ingest streams this live show, and when it last renewed its lease (shows/ingest-lease.ts) */
    ingest_node: string | null;
    ingest_heartbeat_at: number | null;
  };
  show_products: { show_id: string; product_id: string; position: number };
  show_showcases: { id: string; show_id: string; product_id: string | null; at: number };
}
