import { readBody } from './body';
import { classifyContentType, type AcceptedContentType } from './content-type';
import { GENERIC_RULES } from './generic';
import { GITHUB_RULES } from './github';
import { GITLAB_RULES } from './gitlab';
import { keptHeaders, readHeaders } from './headers';
import type { ProviderRules } from './provider-rules';
import { reject } from './rejection';
import type {
  InboundProvider,
  InboundRequest,
  InboundVerdict,
  RejectedInbound,
  VerifiedInbound,
} from './types';

const RULES: Readonly<Record<InboundProvider, ProviderRules>> = {
  github: GITHUB_RULES,
  gitlab: GITLAB_RULES,
  generic: GENERIC_RULES,
};

/**
 * Verifies one inbound delivery and, only once it verifies, reads it.
 *
 * The checks run in this order, and the first failure is the answer:
 * 1. the integration has a secret (401 `no_secret`);
 * 2. the headers the decision depends on are sent once, short and free of control
 *    characters (400);
 * 3. the signature or token verifies against the raw body with one of the secrets (401);
 * 4. the content type is one the provider sends (415);
 * 5. the body is UTF-8 JSON, or GitHub's form-encoded `payload` (400);
 * 6. the event name and the delivery id are present and short (400).
 *
 * So a sender without the secret learns nothing beyond "malformed" or "not verified", and no
 * byte of an unverified body is ever parsed. Never throws on any headers or body.
 */
export function verifyInbound(request: InboundRequest): InboundVerdict {
  const rules = RULES[request.provider];
  const secrets = usableSecrets(request.secrets);
  if (secrets.length === 0) {
    return reject('no_secret', 'the integration has no secret, so no delivery can be verified');
  }

  const read = readHeaders(request.headers, rules.reads);
  if (!read.ok) return read;
  const headers = read.values;

  const { body, nowSeconds } = request;
  const denied = rules.authenticate({ headers, body, secrets, nowSeconds });
  if (denied !== null) return denied;

  const contentType = acceptedContentType(rules, headers.get('content-type'));
  if (!contentType.ok) return contentType;

  const payload = readBody(body, contentType.kind, rules.readsBody);
  if (!payload.ok) return payload;

  const identity = rules.identify(headers, payload.value);
  if (!identity.ok) return identity;

  return {
    ok: true,
    provider: request.provider,
    event: identity.event,
    delivery_id: identity.delivery_id,
    content_type: contentType.media_type,
    payload: payload.value,
    kept_headers: keptHeaders(request.headers, rules.keeps),
  };
}

/**
 * True for a delivery that only checks the hook works, which the route answers with 200.
 * Only GitHub has one (`ping`); GitLab's test deliveries look exactly like live ones.
 */
export function isPing(verified: VerifiedInbound): boolean {
  return verified.provider === 'github' && verified.event === 'ping';
}

/** An empty secret would key the HMAC with nothing at all, which anyone can compute. */
function usableSecrets(secrets: readonly string[]): string[] {
  return secrets.filter((secret) => typeof secret === 'string' && secret !== '');
}

function acceptedContentType(
  rules: ProviderRules,
  header: string | undefined,
): AcceptedContentType | RejectedInbound {
  const contentType = classifyContentType(header);
  if (contentType.ok && contentType.kind === 'form' && !rules.acceptsForm) {
    return reject(
      'unsupported_content_type',
      `${rules.label} deliveries must be application/json, not ${contentType.media_type}`,
    );
  }
  return contentType;
}
