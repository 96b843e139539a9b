import { errorCatalogue, type ErrorCode } from "../../shared/contracts/errors.ts";

/** A failure the caller can act on: becomes a problem+json response with a stable code. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly fieldErrors?: { path: string; message: string }[],
  ) {
    super(message ?? defaultMessages[code]);
    this.status = errorCatalogue[code];
  }
}

/** Expected failures are values: domain functions return them, routes turn them into problems. */
export type Failure = { ok: false; code: ErrorCode; message?: string };
export type Result<T> = ({ ok: true } & T) | Failure;
export const fail = (code: ErrorCode, message?: string): Failure => ({ ok: false, code, message });
export function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new AppError(r.code, r.message);
  return r;
}

export const defaultMessages: Record<ErrorCode, string> = {
  validation_failed: "The request is not valid.",
  malformed_json: "The request body is not valid JSON.",
  idempotency_key_required: "Send an Idempotency-Key header so that a retry cannot buy twice.",
  unauthenticated: "Sign in first.",
  invalid_credentials: "E-mail or password is wrong.",
  forbidden: "You are not allowed to do that.",
  not_found: "Not found.",
  route_not_found: "No such endpoint.",
  email_taken: "An account with this e-mail already exists.",
  conflict: "The request conflicts with the current state.",
  checkout_in_progress: "This purchase is still being processed.",
  invalid_transition: "The order cannot move to that status.",
  show_not_live: "The show is not live.",
  show_already_ended: "The show has ended.",
  product_not_in_show: "This product is not part of this show.",
  product_unavailable: "This product is not available.",
  out_of_stock: "Sold out: not enough stock left.",
  hold_expired: "Your hold on this item has expired and it went back on sale.",
  idempotency_key_reused: "This Idempotency-Key was used for a different request.",
  currency_mismatch: "Currencies do not match.",
  payment_declined: "The card was declined.",
  payment_failed: "The payment could not be processed. You were not charged.",
  payload_too_large: "The request is too large.",
  unsupported_media_type: "This file type is not supported.",
  rate_limited: "Too many requests. Slow down.",
  internal_error: "Something went wrong on our side.",
  stream_unavailable: "The stream has nothing new yet. Retry in a moment.",
  flash_sale_unavailable: "The flash sale is changing hands between servers. Try again in a moment.",
  banned: "You are banned from this show's room.",
  muted: "You are muted in this show's room.",
  slow_mode: "Slow mode is on: wait a moment before your next message.",
  message_blocked: "This message contains a word that is not allowed in this room.",
  invalid_stream_key: "Unknown stream key, or its show has ended.",
  show_already_live: "The show is already being published.",
  whip_offer_invalid: "The body is not a usable SDP offer.",
  whip_codec_unsupported: "Send H.264 video (and Opus audio): the stream is packaged without re-encoding.",
  method_not_allowed: "This method is not supported here.",
  range_not_satisfiable: "The requested byte range is outside the file.",
  creator_profile_required: "Turn on your creator profile first.",
  creator_handle_taken: "This handle is already taken.",
  campaign_not_joined: "You have not joined the campaign these products belong to.",
  campaign_ended: "The campaign has ended.",
  agency_not_found: "You are not part of an agency.",
  agency_handle_taken: "This agency handle is already taken.",
  already_in_agency: "The creator already belongs to an agency.",
  agency_invitation_not_found: "No such agency invitation waiting for an answer.",
  not_agency_member: "This is for the staff of an agency.",
  not_on_roster: "This creator is not on your agency's roster.",
  product_external: "This product is sold by a partner store: buy it there.",
  click_not_found: "No such click for this merchant.",
  postback_signature_invalid: "The postback signature does not verify.",
  postback_timestamp_invalid: "The postback timestamp is missing or too far from the current time.",
  postback_replayed: "This postback delivery id has been received before.",
  payout_exceeds_available: "The payout is larger than the available balance.",
  video_not_draft: "Only a ready draft can be published.",
  review_not_verified_buyer: "Only buyers with a paid order for this product can review it.",
  review_exists: "You have already reviewed this product: edit your review instead.",
  review_photo_invalid: "A photo is not an image uploaded here: upload it first.",
  review_reply_exists: "This review already has the shop's reply.",
  upload_too_large: "The video is too large.",
  upload_not_video: "This file is not an MP4 or MOV video.",
  upload_truncated: "The video file is incomplete or damaged.",
  upload_too_long: "The video is too long.",
  channel_item_not_yours: "A channel can only play replays and videos of its own merchant.",
  channel_item_unavailable: "A playlist item is not a ready replay or a published video.",
  channel_playlist_empty: "Add at least one replay or video to the channel.",
};
