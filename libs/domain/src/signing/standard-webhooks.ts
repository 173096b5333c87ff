import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing: the signed
 * content is `${id}.${timestamp}.${body}`, the signature is base64
 * HMAC-SHA256 keyed with the secret, and a header may carry several
 * space-separated `v1,<signature>` entries (during a secret rotation).
 *
 * Secrets may be given in the `whsec_<base64>` form, whose key is the decoded
 * bytes, or as any other string, whose key is its UTF-8 bytes.
 */
export function secretKey(secret: string): Buffer {
  if (secret.startsWith('whsec_')) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    if (key.length > 0) return key;
  }
  return Buffer.from(secret, 'utf8');
}

export function standardWebhookSignature(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: Buffer | string,
): string {
  const mac = createHmac('sha256', secretKey(secret));
  mac.update(`${id}.${timestampSeconds}.`);
  mac.update(body);
  return `v1,${mac.digest('base64')}`;
}

export type StandardWebhookFailure =
  'missing_headers' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'bad_signature';

export interface StandardWebhookCheck {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
  /** Every secret currently accepted (the current one and, during rotation, the previous). */
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds: number;
}

/** Verifies in constant time per candidate; returns null when valid, else why not. */
export function verifyStandardWebhook(check: StandardWebhookCheck): StandardWebhookFailure | null {
  const { id, timestamp, signature } = check;
  if (!id || !timestamp || !signature) return 'missing_headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad_timestamp';

  const ts = Number(timestamp);
  // Written so that a NaN clock or tolerance fails closed.
  if (!(Math.abs(check.nowSeconds - ts) <= check.toleranceSeconds)) {
    return 'timestamp_out_of_tolerance';
  }

  const offered = signature
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const secret of check.secrets) {
    const expected = Buffer.from(
      standardWebhookSignature(secret, id, ts, check.body).slice(3),
      'base64',
    );
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) {
        return null;
      }
    }
  }
  return 'bad_signature';
}
