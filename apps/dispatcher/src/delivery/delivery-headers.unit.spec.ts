import { Webhook } from 'standardwebhooks';
import { buildHeaders, isReservedHeaderName, type DeliveryHeadersInput } from './delivery-headers';

const secret = 'whsec_' + Buffer.from('kera outbound test secret 32 by!').toString('base64');
const nowSeconds = 1_777_000_000;
const base: DeliveryHeadersInput = {
  deliveryId: 'dlv_pypmnjayrdetgqeib5f37uviaf',
  body: '{"event":"transition","title":"Fixé 🚀"}',
  version: '1.4.0',
  nowSeconds,
};

function verify(headers: Record<string, string>, body: string): unknown {
  jest.useFakeTimers({ now: nowSeconds * 1000 });
  try {
    return new Webhook(secret).verify(body, headers);
  } finally {
    jest.useRealTimers();
  }
}

describe('buildHeaders', () => {
  it('sends the four Kera headers and nothing else without a secret', () => {
    expect(buildHeaders(base)).toEqual({
      'Content-Type': 'application/json',
      'User-Agent': 'Kera-Webhooks/1.4.0',
      'X-Kera-Event': 'transition',
      'X-Kera-Delivery': 'dlv_pypmnjayrdetgqeib5f37uviaf',
    });
  });

  it('signs with Standard Webhooks when the action has a secret', () => {
    const headers = buildHeaders({ ...base, secret });

    expect(headers['webhook-id']).toBe(base.deliveryId);
    expect(headers['webhook-timestamp']).toBe(String(nowSeconds));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(headers, base.body)).toEqual(JSON.parse(base.body));
  });

  it('produces a signature that fails verification for any other body', () => {
    const headers = buildHeaders({ ...base, secret });

    expect(() => verify(headers, '{"event":"transition","title":"Fixe"}')).toThrow();
  });

  it('treats an empty secret as no secret rather than signing with an empty key', () => {
    expect(buildHeaders({ ...base, secret: '' })).not.toHaveProperty('webhook-signature');
  });

  it('adds the action extra headers', () => {
    const headers = buildHeaders({
      ...base,
      extraHeaders: { Authorization: 'Bearer abc', 'X-Team': 'core' },
    });

    expect(headers).toMatchObject({ Authorization: 'Bearer abc', 'X-Team': 'core' });
  });

  it('never lets extra headers replace Kera, signature, framing or connection headers', () => {
    const extraHeaders = {
      'content-type': 'text/plain',
      'USER-AGENT': 'evil',
      'x-kera-event': 'spoofed',
      'X-Kera-Delivery': 'dlv_other',
      'X-Kera-Anything': '1',
      'Webhook-Signature': 'v1,forged',
      'webhook-id': 'msg_forged',
      'webhook-timestamp': '1',
      Host: 'internal.example',
      'Content-Length': '0',
      'Transfer-Encoding': 'chunked',
      'Content-Encoding': 'gzip',
      Connection: 'upgrade',
      Expect: '100-continue',
    };

    const headers = buildHeaders({ ...base, secret, extraHeaders });

    expect(headers).toEqual(buildHeaders({ ...base, secret }));
  });

  it('drops extra headers Node could not send instead of failing the delivery', () => {
    const extraHeaders = {
      'Bad Name': 'x',
      'X-Injected': 'ok\r\nX-Evil: 1',
      'X-Null': 'a\u0000b',
      'X-Wide': 'emoji 🚀',
      'X-Fine': 'tab\tand latin-1 é',
    };

    const headers = buildHeaders({ ...base, extraHeaders });

    expect(Object.keys(headers)).toEqual([
      'Content-Type',
      'User-Agent',
      'X-Kera-Event',
      'X-Kera-Delivery',
      'X-Fine',
    ]);
  });

  it('keeps the last of extra headers whose names differ only in case', () => {
    const headers = buildHeaders({ ...base, extraHeaders: { 'X-Team': 'a', 'x-team': 'b' } });

    expect(headers['x-team']).toBe('b');
    expect(headers).not.toHaveProperty('X-Team');
  });

  it('rejects a timestamp that is not whole seconds', () => {
    expect(() => buildHeaders({ ...base, nowSeconds: 1_777_000_000.5 })).toThrow(
      /nowSeconds must be whole seconds/,
    );
  });
});

describe('isReservedHeaderName', () => {
  it.each([
    'Content-Type',
    'content-length',
    'Transfer-Encoding',
    'HOST',
    'User-Agent',
    'X-Kera-Event',
    'x-kera-future',
    'webhook-id',
    'Webhook-Signature',
  ])('reserves %s', (name) => {
    expect(isReservedHeaderName(name)).toBe(true);
  });

  it.each(['Authorization', 'X-Team', 'X-Keras', 'Webhooks-Token', 'Accept'])(
    'leaves %s to the action',
    (name) => {
      expect(isReservedHeaderName(name)).toBe(false);
    },
  );
});
