/** Instants are stored as integer milliseconds since the epoch and shown as ISO-8601 UTC. */
export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null => (ms == null ? null : iso(ms));
