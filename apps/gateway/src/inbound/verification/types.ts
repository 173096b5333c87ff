/** The kinds of integration whose inbound deliveries are verified here. */
export type InboundProvider = 'github' | 'gitlab' | 'generic';

/**
 * Request headers as Node gives them: lower-case names, and an array only when a header was
 * sent more than once.
 */
export type InboundHeaders = Record<string, string | string[] | undefined>;

/** One inbound delivery, exactly as received, with what is needed to verify it. */
export interface InboundRequest {
  provider: InboundProvider;
  headers: InboundHeaders;
  /** The body bytes exactly as received; every signature is checked against these. */
  body: Buffer;
  /** Secrets that verify: the current one and, within 24 h of a rotation, the previous one. */
  secrets: readonly string[];
  /** The receiver's clock in seconds since the Unix epoch, for timestamp tolerance. */
  nowSeconds: number;
}

/** A delivery whose credential verified and whose body parsed. */
export interface VerifiedInbound {
  ok: true;
  provider: InboundProvider;
  /** GitHub `X-GitHub-Event`, GitLab `X-Gitlab-Event`, or the generic body's `type`. */
  event: string;
  /** The sender's id for this delivery; the same id means the same delivery (deduplication). */
  delivery_id: string;
  /** Media type without parameters: `application/json` or `application/x-www-form-urlencoded`. */
  content_type: string;
  /**
   * The parsed JSON object (for form-encoded GitHub bodies, the parsed `payload` field) when
   * the provider names its events from the body or the body was not plain JSON; null when the
   * body was only checked to hold an object.
   */
  payload: unknown;
  /** Headers worth keeping for the audit trail; never a signature or token header. */
  kept_headers: Record<string, string>;
}

/** Why a delivery was refused; each reason always comes with the same status. */
export type RejectionReason =
  /** A header the decision depends on was sent more than once (400). */
  | 'ambiguous_header'
  /** A header the decision depends on is too long, not text, or has control characters (400). */
  | 'malformed_header'
  /** The integration has no secret, so nothing can be verified (401). */
  | 'no_secret'
  /** The signature header (or a Standard Webhooks header it needs) is missing (401). */
  | 'missing_signature'
  /** The signature is malformed or matches none of the secrets (401). */
  | 'signature_mismatch'
  /** GitLab sent neither `X-Gitlab-Token` nor `webhook-signature` (401). */
  | 'missing_token'
  /** `X-Gitlab-Token` equals none of the secrets (401). */
  | 'token_mismatch'
  /** `webhook-timestamp` is not whole seconds since the epoch (401). */
  | 'invalid_timestamp'
  /** `webhook-timestamp` is more than 5 minutes from the receiver's clock (401). */
  | 'timestamp_out_of_tolerance'
  /** The content type is missing or not one the provider sends (415). */
  | 'unsupported_content_type'
  /** The content type names a charset other than UTF-8 (415). */
  | 'unsupported_charset'
  /** The verified body is not UTF-8, not JSON, not a JSON object, or lacks its form field (400). */
  | 'unreadable_body'
  /** The event name is missing (400). */
  | 'missing_event'
  /** The event name is not a short line of text (400). */
  | 'invalid_event'
  /** The delivery id is missing (400). */
  | 'missing_delivery_id'
  /** The delivery id is not a short line of text (400). */
  | 'invalid_delivery_id';

export type RejectionStatus = 400 | 401 | 415;

/** A refused delivery: what to answer and why, in words safe to show the sender. */
export interface RejectedInbound {
  ok: false;
  status: RejectionStatus;
  reason: RejectionReason;
  /** Says what to fix; never contains a secret, a token or an expected signature. */
  detail: string;
}

export type InboundVerdict = VerifiedInbound | RejectedInbound;
