import { standardWebhookSignature } from '@kera/domain';
import { hubSignature, NOW, seededRandom } from './test-fixtures.spec';
import type { InboundHeaders, InboundProvider, InboundRequest, InboundVerdict } from './types';
import { verifyInbound } from './verify-inbound';

// Property-style checks over seeded random requests: the same seed gives the same cases on
// every run, so a failure can be reproduced from its case number.

const PROVIDERS: readonly InboundProvider[] = ['github', 'gitlab', 'generic'];
const HEADER_NAMES = [
  'content-type',
  'user-agent',
  'x-hub-signature-256',
  'x-github-event',
  'x-github-delivery',
  'x-gitlab-token',
  'x-gitlab-event',
  'x-gitlab-event-uuid',
  'idempotency-key',
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-unrelated',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'text/plain',
];
const ALPHABET = [...'abcXYZ019=,; .-_/+"\\\t\r\n\u0000\u007f\u00e9\u4e2d\ud83d\ude80{}[]:'];

type Random = () => number;

const below = (random: Random, n: number) => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)] as T;
const text = (random: Random, max: number) =>
  Array.from({ length: below(random, max + 1) }, () => pick(random, ALPHABET)).join('');
const bytes = (random: Random, max: number) =>
  Buffer.from(Array.from({ length: below(random, max + 1) }, () => below(random, 256)));

function randomHeaderValue(random: Random): unknown {
  const shapes: Array<() => unknown> = [
    () => text(random, 40),
    () => `sha256=${bytes(random, 32).toString('hex').padEnd(64, '0')}`,
    () => `v1,${bytes(random, 32).toString('base64')}`,
    () => String(NOW + below(random, 1000) - 500),
    () => pick(random, CONTENT_TYPES),
    () => [text(random, 10), text(random, 10)],
    () => [text(random, 10)],
    () => 'x'.repeat(8000 + below(random, 400)),
    () => undefined,
    () => below(random, 1000),
  ];
  return pick(random, shapes)();
}

function randomRequest(random: Random): InboundRequest {
  const headers: Record<string, unknown> = {};
  for (const name of HEADER_NAMES) {
    if (random() < 0.7) headers[name] = randomHeaderValue(random);
  }
  const body =
    random() < 0.5 ? bytes(random, 300) : Buffer.from(JSON.stringify({ type: text(random, 12) }));
  return {
    provider: pick(random, PROVIDERS),
    headers: headers as InboundHeaders,
    body,
    secrets: [
      `secret-${bytes(random, 12).toString('hex')}`,
      `old-${bytes(random, 12).toString('hex')}`,
    ],
    nowSeconds: NOW,
  };
}

/** A request whose credential is valid for the body, whatever the body holds. */
function signedRequest(random: Random, body: Buffer): InboundRequest {
  const secret = `secret-${bytes(random, 12).toString('hex')}`;
  const provider = pick(random, PROVIDERS);
  const headers: InboundHeaders = {
    'content-type': pick(random, CONTENT_TYPES),
    'x-github-event': 'push',
    'x-github-delivery': 'delivery-1',
    'x-gitlab-event': 'Push Hook',
    'x-gitlab-event-uuid': 'uuid-1',
    ...(provider === 'github'
      ? { 'x-hub-signature-256': hubSignature(secret, body) }
      : {
          'webhook-id': 'msg_1',
          'webhook-timestamp': String(NOW),
          'webhook-signature': standardWebhookSignature(secret, 'msg_1', NOW, body),
        }),
  };
  return { provider, headers, body, secrets: [secret], nowSeconds: NOW };
}

function answer(request: InboundRequest): InboundVerdict {
  let verdict: InboundVerdict | undefined;
  expect(() => {
    verdict = verifyInbound(request);
  }).not.toThrow();
  return verdict as InboundVerdict;
}

describe('verifyInbound on random input', () => {
  it('never throws and never accepts random headers and bytes', () => {
    const random = seededRandom(0x5eed);
    for (let i = 0; i < 3000; i += 1) {
      const request = randomRequest(random);
      const verdict = answer(request);

      expect({ case: i, ok: verdict.ok }).toEqual({ case: i, ok: false });
      if (verdict.ok) continue;
      expect([400, 401, 415]).toContain(verdict.status);
      expect(verdict.reason).toMatch(/^[a-z_]+$/);
      for (const secret of request.secrets) expect(verdict.detail).not.toContain(secret);
    }
  });

  it('answers a validly signed body with a verdict other than 401, whatever the body is', () => {
    const random = seededRandom(0xb0d1);
    for (let i = 0; i < 1500; i += 1) {
      const body =
        random() < 0.5
          ? bytes(random, 200)
          : Buffer.from(JSON.stringify({ type: 'build.finished', n: text(random, 20) }));
      const verdict = answer(signedRequest(random, body));

      expect({ case: i, status: verdict.ok ? 'ok' : verdict.status }).not.toEqual({
        case: i,
        status: 401,
      });
    }
  });

  it('refuses a signed body once any single byte of it changes', () => {
    const random = seededRandom(0xf11b);
    for (let i = 0; i < 1500; i += 1) {
      const body = Buffer.from(JSON.stringify({ type: 'build.finished', n: text(random, 20) }));
      const request = signedRequest(random, body);
      const tampered = Buffer.from(body);
      const at = below(random, tampered.length);
      tampered[at] = ((tampered[at] ?? 0) + 1 + below(random, 255)) % 256;
      const verdict = answer({ ...request, body: tampered });

      expect({ case: i, ok: verdict.ok, status: verdict.ok || verdict.status }).toEqual({
        case: i,
        ok: false,
        status: 401,
      });
    }
  });
});
