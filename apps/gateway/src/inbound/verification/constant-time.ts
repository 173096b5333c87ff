import { createHmac, hash, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of the body keyed with the secret's UTF-8 bytes, the way GitHub signs. */
export function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * Compares two byte strings in time that does not depend on where they differ. Different
 * lengths are simply unequal: the length of a signature is public, its bytes are not.
 */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Compares two strings in time that depends neither on where they differ nor on how long the
 * secret one is: both are hashed first, which gives timingSafeEqual equal-length input.
 */
export function stringsEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

/**
 * True when the test passes for at least one secret. Every secret is tried, so the time taken
 * does not tell whether the current or the previous secret matched.
 */
export function matchesAnySecret(
  secrets: readonly string[],
  test: (secret: string) => boolean,
): boolean {
  return secrets.reduce((matched, secret) => test(secret) || matched, false);
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
