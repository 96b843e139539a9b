import { z } from "zod";

/**
 * The error catalogue: every error the API can return, with its HTTP status.
 * The web app translates by `code`, so codes are stable: add, never rename.
 */
export const errorCatalogue = {
  validation_failed: 400,
  malformed_json: 400,
  idempotency_key_required: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  not_found: 404,
  route_not_found: 404,
  email_taken: 409,
  conflict: 409,
  checkout_in_progress: 409,
  invalid_transition: 409,
  show_not_live: 409,
  show_already_ended: 409,
  product_not_in_show: 409,
  product_unavailable: 409,
  out_of_stock: 409,
  hold_expired: 409,
  idempotency_key_reused: 422,
  currency_mismatch: 422,
  payment_declined: 402,
  payment_failed: 502,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  stream_unavailable: 503,
  banned: 403,
  muted: 403,
  slow_mode: 429,
  message_blocked: 422,
  invalid_stream_key: 401,
  show_already_live: 409,
  whip_offer_invalid: 400,
  whip_codec_unsupported: 422,
  method_not_allowed: 405,
  range_not_satisfiable: 416,
  creator_profile_required: 403,
  creator_handle_taken: 409,
  campaign_not_joined: 403,
  campaign_ended: 409,
  agency_not_found: 404,
  agency_handle_taken: 409,
  already_in_agency: 409,
  agency_invitation_not_found: 404,
  not_agency_member: 403,
  not_on_roster: 404,
  product_external: 409,
  click_not_found: 404,
  postback_signature_invalid: 401,
  postback_timestamp_invalid: 401,
  postback_replayed: 409,
  payout_exceeds_available: 409,
  video_not_draft: 409,
} as const;

export type ErrorCode = keyof typeof errorCatalogue;
export const errorCodes = Object.keys(errorCatalogue) as [ErrorCode, ...ErrorCode[]];

/** RFC 9457 problem details, as every error response carries them. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(errorCodes),
  detail: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;
