import { matchesAnySecret, stringsEqual } from './constant-time';
import { identify } from './identity';
import type { CredentialCheck, ProviderRules } from './provider-rules';
import { reject } from './rejection';
import { checkStandardSignature, STANDARD_HEADERS } from './standard-signature';
import type { RejectedInbound } from './types';

const TOKEN = 'x-gitlab-token';
const EVENT = 'x-gitlab-event';
const IDEMPOTENCY_KEY = 'idempotency-key';
const EVENT_UUID = 'x-gitlab-event-uuid';

/**
 * GitLab: `X-Gitlab-Token`, or a Standard Webhooks signature when `webhook-signature` is sent.
 * GitLab sends its test deliveries with the same headers as live ones, so none is a ping.
 *
 * A token proves who sent the request but not that the body is intact, and neither the token nor
 * the signature covers X-Gitlab-Event or Idempotency-Key: those are taken as sent.
 */
export const GITLAB_RULES: ProviderRules = {
  label: 'GitLab',
  reads: ['content-type', TOKEN, ...STANDARD_HEADERS, EVENT, IDEMPOTENCY_KEY, EVENT_UUID],
  keeps: [
    'content-type',
    'user-agent',
    EVENT,
    IDEMPOTENCY_KEY,
    EVENT_UUID,
    'x-gitlab-instance',
    'x-gitlab-webhook-uuid',
    'webhook-id',
    'webhook-timestamp',
  ],
  acceptsForm: false,
  readsBody: false,
  authenticate: checkGitLabCredential,
  identify: (headers) => {
    const idempotencyKey = headers.get(IDEMPOTENCY_KEY);
    return identify({
      event: headers.get(EVENT),
      eventSource: 'X-Gitlab-Event',
      deliveryId: idempotencyKey ?? headers.get(EVENT_UUID),
      deliverySource: idempotencyKey === undefined ? 'X-Gitlab-Event-UUID' : 'Idempotency-Key',
    });
  },
};

function checkGitLabCredential(check: CredentialCheck): RejectedInbound | null {
  // A signature, once sent, must verify: accepting the token instead would skip the body and
  // timestamp checks that the sender asked for by signing.
  if (check.headers.has('webhook-signature')) return checkStandardSignature(check);

  const token = check.headers.get(TOKEN);
  if (token === undefined) {
    return reject(
      'missing_token',
      'X-Gitlab-Token is missing; set the integration secret as the secret token in GitLab',
    );
  }

  const matched = matchesAnySecret(check.secrets, (secret) => stringsEqual(token, secret));
  return matched
    ? null
    : reject(
        'token_mismatch',
        'X-Gitlab-Token does not match; check that the secret token in GitLab is the integration secret',
      );
}
