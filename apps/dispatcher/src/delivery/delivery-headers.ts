import { standardWebhookSignature } from '@kera/domain';

/** What the headers of one delivery are made of. */
export interface DeliveryHeadersInput {
  /** The delivery's id (see `deliveryId`); sent as `X-Kera-Delivery` and `webhook-id`. */
  deliveryId: string;
  /** The exact body that will be sent; the signature covers these bytes. */
  body: string;
  /** The action's signing secret; without one (or with an empty one) nothing is signed. */
  secret?: string;
  /** Headers named by the action; reserved and malformed ones are left out. */
  extraHeaders?: Readonly<Record<string, string>>;
  /** Kera's version, sent as `User-Agent: Kera-Webhooks/<version>`. */
  version: string;
  /** Unix time in whole seconds, sent as `webhook-timestamp`. */
  nowSeconds: number;
}

const RESERVED_NAMES = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'host',
  'user-agent',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
const RESERVED_PREFIXES = ['x-kera-', 'webhook-'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * True for header names an action may not set: the body's framing and encoding, the connection's
 * own headers, `User-Agent`, and the `X-Kera-*` and `webhook-*` namespaces, which receivers trust
 * for deduplication and signature checks. Comparison ignores case. Exported so configuration
 * can be rejected when it is written rather than trimmed when it is sent.
 */
export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/**
 * The headers of one delivery: Content-Type, User-Agent, X-Kera-Event and X-Kera-Delivery;
 * with a secret, Standard Webhooks `webhook-id`, `webhook-timestamp` and `webhook-signature`;
 * then the action's extra headers. An extra header that is reserved (`isReservedHeaderName`) or
 * that Node would refuse to send (invalid name, control characters in the value) is dropped,
 * so a misconfigured action still delivers; of names differing only in case, the last wins.
 *
 * @throws RangeError when `nowSeconds` is not an integer (receivers reject such timestamps).
 */
export function buildHeaders(input: DeliveryHeadersInput): Record<string, string> {
  if (!Number.isSafeInteger(input.nowSeconds)) {
    throw new RangeError(`nowSeconds must be whole seconds, got ${input.nowSeconds}`);
  }

  const own = {
    'Content-Type': 'application/json',
    'User-Agent': `Kera-Webhooks/${input.version}`,
    'X-Kera-Event': 'transition',
    'X-Kera-Delivery': input.deliveryId,
    ...signatureHeaders(input),
  };

  return Object.fromEntries([...Object.entries(own), ...permittedExtras(input.extraHeaders)]);
}

function signatureHeaders(input: DeliveryHeadersInput): Record<string, string> {
  const { secret, deliveryId, nowSeconds, body } = input;
  if (!secret) return {};

  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(nowSeconds),
    'webhook-signature': standardWebhookSignature(secret, deliveryId, nowSeconds, body),
  };
}

function permittedExtras(extra: Readonly<Record<string, string>> = {}): [string, string][] {
  const byLowerName = new Map<string, [string, string]>();
  for (const [name, value] of Object.entries(extra)) {
    if (isReservedHeaderName(name) || !isSendable(name, value)) continue;
    byLowerName.set(name.toLowerCase(), [name, value]);
  }

  return [...byLowerName.values()];
}

function isSendable(name: string, value: unknown): value is string {
  return typeof value === 'string' && HEADER_NAME.test(name) && HEADER_VALUE.test(value);
}
