import { verifyStandardWebhook, type StandardWebhookFailure } from '@kera/domain';
import type { CredentialCheck } from './provider-rules';
import { reject } from './rejection';
import type { RejectedInbound, RejectionReason } from './types';

/** The Standard Webhooks headers, all of which a signed delivery carries. */
export const STANDARD_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

/** How far `webhook-timestamp` may be from the receiver's clock, either way. */
export const TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

const REFUSAL: Readonly<Record<StandardWebhookFailure, [RejectionReason, string]>> = {
  missing_headers: [
    'missing_signature',
    'a Standard Webhooks delivery needs webhook-id, webhook-timestamp and webhook-signature',
  ],
  bad_timestamp: [
    'invalid_timestamp',
    'webhook-timestamp must be whole seconds since the Unix epoch',
  ],
  timestamp_out_of_tolerance: [
    'timestamp_out_of_tolerance',
    "webhook-timestamp is more than 5 minutes away from the receiver's clock; check the sender's clock",
  ],
  bad_signature: [
    'signature_mismatch',
    'no webhook-signature entry matches the body; check that the sender signs with the integration secret',
  ],
};

/** Verifies a Standard Webhooks signature over the raw body; null when it verifies. */
export function checkStandardSignature(check: CredentialCheck): RejectedInbound | null {
  const { headers, body, secrets, nowSeconds } = check;
  const missing = STANDARD_HEADERS.find((name) => !headers.has(name));
  if (missing !== undefined) return refuse('missing_headers', `${missing} is missing; `);
  // The tolerance check compares with Math.abs, which a non-finite clock would slip past.
  if (!Number.isFinite(nowSeconds)) return refuse('timestamp_out_of_tolerance');

  const failure = verifyStandardWebhook({
    id: headers.get('webhook-id'),
    timestamp: headers.get('webhook-timestamp'),
    signature: headers.get('webhook-signature'),
    body,
    secrets,
    nowSeconds,
    toleranceSeconds: TIMESTAMP_TOLERANCE_SECONDS,
  });
  return failure === null ? null : refuse(failure);
}

function refuse(failure: StandardWebhookFailure, prefix = ''): RejectedInbound {
  const [reason, detail] = REFUSAL[failure];
  return reject(reason, prefix + detail);
}
