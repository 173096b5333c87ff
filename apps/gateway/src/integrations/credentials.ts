import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InboundProvider } from '../inbound/verification';

/** Random bytes in a URL token: 256 bits, twice the least the URL needs. */
const TOKEN_BYTES = 32;
const SECRET_BYTES = 32;

/** What a URL token looks like: base64url, so it needs no escaping in a path. */
export const URL_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A new random token for an integration's URL; only its hash is stored. */
export function newUrlToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** The SHA-256 of a URL token, the only form in which it is stored. */
export function hashUrlToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** Whether a token offered in a URL is the one whose hash is stored, in constant time. */
export function urlTokenMatches(offered: string, storedHash: Buffer): boolean {
  const offeredHash = hashUrlToken(offered);
  return offeredHash.length === storedHash.length && timingSafeEqual(offeredHash, storedHash);
}

/**
 * A new signing secret. GitLab and generic senders get the Standard Webhooks form
 * (`whsec_` + base64 of the key), which any Standard Webhooks library accepts and which GitLab
 * can also send as its plain `X-Gitlab-Token`; GitHub gets a plain random string.
 */
export function newSecret(provider: InboundProvider): string {
  const key = randomBytes(SECRET_BYTES);
  return provider === 'github' ? key.toString('base64url') : `whsec_${key.toString('base64')}`;
}
