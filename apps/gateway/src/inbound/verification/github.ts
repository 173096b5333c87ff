import { bytesEqual, hmacSha256, matchesAnySecret } from './constant-time';
import { identify } from './identity';
import type { CredentialCheck, ProviderRules } from './provider-rules';
import { reject } from './rejection';
import type { RejectedInbound } from './types';

const SIGNATURE = 'x-hub-signature-256';
const EVENT = 'x-github-event';
const DELIVERY = 'x-github-delivery';

/** Hex case is not part of the MAC, so upper-case digits are accepted like lower-case ones. */
const SIGNATURE_FORMAT = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * GitHub: `X-Hub-Signature-256` over JSON or form-encoded (`payload=`) bodies.
 *
 * GitHub signs the body only, with no timestamp: the event and delivery headers are taken as
 * sent, so a captured body replayed under a new X-GitHub-Delivery is not seen as a duplicate.
 */
export const GITHUB_RULES: ProviderRules = {
  label: 'GitHub',
  reads: ['content-type', SIGNATURE, EVENT, DELIVERY],
  keeps: [
    'content-type',
    'user-agent',
    EVENT,
    DELIVERY,
    'x-github-hook-id',
    'x-github-hook-installation-target-id',
    'x-github-hook-installation-target-type',
    'x-github-enterprise-host',
    'x-github-enterprise-version',
  ],
  acceptsForm: true,
  readsBody: false,
  authenticate: checkHubSignature,
  identify: (headers) =>
    identify({
      event: headers.get(EVENT),
      eventSource: 'X-GitHub-Event',
      deliveryId: headers.get(DELIVERY),
      deliverySource: 'X-GitHub-Delivery',
    }),
};

function checkHubSignature({ headers, body, secrets }: CredentialCheck): RejectedInbound | null {
  const header = headers.get(SIGNATURE);
  if (header === undefined) {
    return reject(
      'missing_signature',
      'X-Hub-Signature-256 is missing; set the integration secret as the webhook secret in GitHub',
    );
  }

  const hex = SIGNATURE_FORMAT.exec(header)?.[1];
  if (hex === undefined) {
    return reject(
      'signature_mismatch',
      'X-Hub-Signature-256 must be sha256= followed by 64 hexadecimal digits',
    );
  }

  const offered = Buffer.from(hex, 'hex');
  const matched = matchesAnySecret(secrets, (secret) =>
    bytesEqual(offered, hmacSha256(secret, body)),
  );
  return matched
    ? null
    : reject(
        'signature_mismatch',
        'X-Hub-Signature-256 does not match the body; check that the webhook secret in GitHub is the integration secret',
      );
}
