import { Webhook } from 'standardwebhooks';
import { standardWebhookSignature, verifyStandardWebhook } from './standard-webhooks';

const secret = 'whsec_' + Buffer.from('a very secret key of 32 bytes!!!').toString('base64');
const body = Buffer.from('{"type":"ping"}');
const now = 1_760_000_000;

describe('Standard Webhooks signing', () => {
  it('produces a signature the reference library accepts', () => {
    const signature = standardWebhookSignature(secret, 'msg_1', now, body);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(now),
      'webhook-signature': signature,
    };
    const wh = new Webhook(secret);
    jest.useFakeTimers({ now: now * 1000 });
    try {
      expect(wh.verify(body.toString(), headers)).toEqual({ type: 'ping' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('accepts a valid signature among several and rejects a tampered body', () => {
    const good = standardWebhookSignature(secret, 'msg_1', now, body);
    const check = {
      id: 'msg_1',
      timestamp: String(now),
      signature: `v1,AAAA ${good}`,
      body,
      secrets: [secret],
      nowSeconds: now + 10,
      toleranceSeconds: 300,
    };
    expect(verifyStandardWebhook(check)).toBeNull();
    expect(verifyStandardWebhook({ ...check, body: Buffer.from('{"type":"pong"}') })).toBe(
      'bad_signature',
    );
  });

  it('rejects timestamps outside the tolerance and missing headers', () => {
    const signature = standardWebhookSignature(secret, 'msg_1', now, body);
    const base = { id: 'msg_1', timestamp: String(now), signature, body, secrets: [secret] };
    expect(verifyStandardWebhook({ ...base, nowSeconds: now + 301, toleranceSeconds: 300 })).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(
      verifyStandardWebhook({ ...base, id: undefined, nowSeconds: now, toleranceSeconds: 300 }),
    ).toBe('missing_headers');
    expect(
      verifyStandardWebhook({ ...base, timestamp: '12e3', nowSeconds: now, toleranceSeconds: 300 }),
    ).toBe('bad_timestamp');
  });

  it('fails closed when the clock or tolerance is not a number', () => {
    const signature = standardWebhookSignature(secret, 'msg_1', now, body);
    const base = { id: 'msg_1', timestamp: String(now), signature, body, secrets: [secret] };
    expect(verifyStandardWebhook({ ...base, nowSeconds: NaN, toleranceSeconds: 300 })).toBe(
      'timestamp_out_of_tolerance',
    );
    expect(verifyStandardWebhook({ ...base, nowSeconds: now, toleranceSeconds: NaN })).toBe(
      'timestamp_out_of_tolerance',
    );
  });
});
