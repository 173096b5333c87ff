import type { RejectedInbound, RejectionReason, RejectionStatus } from './types';

const STATUS_OF: Readonly<Record<RejectionReason, RejectionStatus>> = {
  ambiguous_header: 400,
  malformed_header: 400,
  no_secret: 401,
  missing_signature: 401,
  signature_mismatch: 401,
  missing_token: 401,
  token_mismatch: 401,
  invalid_timestamp: 401,
  timestamp_out_of_tolerance: 401,
  unsupported_content_type: 415,
  unsupported_charset: 415,
  unreadable_body: 400,
  missing_event: 400,
  invalid_event: 400,
  missing_delivery_id: 400,
  invalid_delivery_id: 400,
};

/** Builds a refusal whose status follows from its reason, so the two never disagree. */
export function reject(reason: RejectionReason, detail: string): RejectedInbound {
  return { ok: false, status: STATUS_OF[reason], reason, detail };
}
