import { createHash } from 'node:crypto';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_CHARS = 26;

/**
 * The id of the delivery that runs action `actionIndex` of the transition event `eventId`:
 * `dlv_` followed by the first 26 characters (130 bits) of the lowercase RFC 4648 base32 form of
 * SHA-256(`<eventId>:<actionIndex>`).
 *
 * It depends only on its inputs, so a redelivery or a replay after a crash carries the same
 * `X-Kera-Delivery` and `webhook-id` and receivers can deduplicate on it. The input is
 * unambiguous because the index, which never contains `:`, comes last. Changing this function
 * changes every id receivers have seen, so its output is pinned by a test.
 *
 * @throws RangeError for an empty event id or an index that is not a non-negative integer.
 */
export function deliveryId(eventId: string, actionIndex: number): string {
  if (eventId.length === 0) throw new RangeError('eventId must not be empty');
  if (!Number.isSafeInteger(actionIndex) || actionIndex < 0) {
    throw new RangeError(`actionIndex must be a non-negative integer, got ${actionIndex}`);
  }

  const digest = createHash('sha256').update(`${eventId}:${actionIndex}`).digest();
  return `dlv_${base32(digest, ID_CHARS)}`;
}

function base32(bytes: Uint8Array, chars: number): string {
  let out = '';
  let pending = 0;
  let pendingBits = 0;

  for (const byte of bytes) {
    pending = ((pending << 8) | byte) & 0xfff;
    pendingBits += 8;
    while (pendingBits >= 5 && out.length < chars) {
      pendingBits -= 5;
      out += BASE32_ALPHABET.charAt((pending >>> pendingBits) & 31);
    }
    if (out.length === chars) break;
  }

  return out;
}
