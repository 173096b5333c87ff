/**
 * Inbound webhook verification: pure functions from the raw request (headers and body bytes)
 * and the integration's secrets to either a verified, parsed delivery or a refusal with its
 * HTTP status. No I/O happens here; the route stores and publishes what this returns.
 */
export { verifyInbound, isPing } from './verify-inbound';
export { classifyContentType } from './content-type';
export type { AcceptedContentType, BodyKind } from './content-type';
export { bytesEqual, hmacSha256, matchesAnySecret, stringsEqual } from './constant-time';
export { MAX_HEADER_LENGTH } from './headers';
export { MAX_NAME_LENGTH } from './identity';
export { TIMESTAMP_TOLERANCE_SECONDS } from './standard-signature';
export type {
  InboundHeaders,
  InboundProvider,
  InboundRequest,
  InboundVerdict,
  RejectedInbound,
  RejectionReason,
  RejectionStatus,
  VerifiedInbound,
} from './types';
