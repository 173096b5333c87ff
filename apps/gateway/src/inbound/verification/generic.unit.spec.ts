import { standardWebhookSignature } from '@kera/domain';
import {
  GENERIC_BODY,
  genericRequest,
  NOW,
  PREVIOUS_SECRET,
  SECRET,
  verified,
} from './test-fixtures.spec';
import { isPing, verifyInbound } from './verify-inbound';

const WHSEC = 'whsec_' + Buffer.from('thirty-two bytes of key material').toString('base64');

describe('verifyInbound for Standard Webhooks senders', () => {
  it('accepts a signed delivery and names its event after the body type', () => {
    expect(verifyInbound(genericRequest())).toEqual({
      ok: true,
      provider: 'generic',
      event: 'build.finished',
      delivery_id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      content_type: 'application/json',
      payload: JSON.parse(GENERIC_BODY),
      kept_headers: {
        'content-type': 'application/json',
        'user-agent': 'Svix-Webhooks/1.0',
        'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
        'webhook-timestamp': String(NOW),
      },
    });
  });

  it('accepts a signature made with the previous secret during a rotation', () => {
    expect(verifyInbound(genericRequest({ signWith: PREVIOUS_SECRET })).ok).toBe(true);
  });

  it('accepts a whsec_ secret, keyed with its decoded bytes', () => {
    const request = genericRequest({ signWith: WHSEC, secrets: [WHSEC] });

    expect(verifyInbound(request).ok).toBe(true);
  });

  it('accepts one valid entry among several signatures in the header', () => {
    const request = genericRequest();
    const valid = String(request.headers['webhook-signature']);
    request.headers['webhook-signature'] = `v1,${Buffer.alloc(32).toString('base64')} ${valid}`;

    expect(verifyInbound(request).ok).toBe(true);
  });

  it('refuses a signature made with an unknown secret', () => {
    expect(verifyInbound(genericRequest({ signWith: 'unknown' }))).toMatchObject({
      status: 401,
      reason: 'signature_mismatch',
    });
  });

  it('refuses a signature made for another webhook-id', () => {
    const body = Buffer.from(GENERIC_BODY);
    const otherId = standardWebhookSignature(SECRET, 'msg_other', NOW, body);
    const request = genericRequest({ headers: { 'webhook-signature': otherId } });

    expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it('refuses a signature over a re-serialised body', () => {
    const reserialised = JSON.stringify(JSON.parse(GENERIC_BODY), null, 1);
    const signature = standardWebhookSignature(
      SECRET,
      'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
      NOW,
      reserialised,
    );
    const request = genericRequest({ headers: { 'webhook-signature': signature } });

    expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'refuses a delivery without %s, naming it',
    (name) => {
      const answer = verifyInbound(genericRequest({ headers: { [name]: undefined } }));

      expect(answer).toMatchObject({
        status: 401,
        reason: 'missing_signature',
        detail: expect.stringContaining(`${name} is missing`),
      });
    },
  );

  it.each([
    ['exactly 5 minutes old', NOW - 300, true],
    ['exactly 5 minutes ahead', NOW + 300, true],
    ['5 minutes and a second old', NOW - 301, false],
    ['5 minutes and a second ahead', NOW + 301, false],
  ])('judges a timestamp %s', (_case, timestamp, accepted) => {
    const answer = verifyInbound(genericRequest({ timestamp }));

    expect(answer.ok).toBe(accepted);
    if (!answer.ok)
      expect(answer).toMatchObject({ status: 401, reason: 'timestamp_out_of_tolerance' });
  });

  it('refuses every timestamp when the receiver clock is not a number', () => {
    const answer = verifyInbound(genericRequest({ nowSeconds: Number.NaN }));

    expect(answer).toMatchObject({ status: 401, reason: 'timestamp_out_of_tolerance' });
  });

  it('refuses a timestamp that is not whole seconds', () => {
    const request = genericRequest({ headers: { 'webhook-timestamp': `${NOW}.5` } });

    expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'invalid_timestamp' });
  });

  it('refuses every delivery when the integration has no secret', () => {
    expect(verifyInbound(genericRequest({ secrets: [] }))).toMatchObject({
      status: 401,
      reason: 'no_secret',
    });
  });

  describe('event name from the body', () => {
    it('answers 400 when the body has no type', () => {
      expect(verifyInbound(genericRequest({ body: '{"data":{}}' }))).toEqual({
        ok: false,
        status: 400,
        reason: 'missing_event',
        detail: "the body's type is missing; it names the event",
      });
    });

    it.each([
      ['a number', '{"type":42}'],
      ['null', '{"type":null}'],
      ['an object', '{"type":{"name":"x"}}'],
      ['text with a line break', '{"type":"build.\\nfinished"}'],
      ['longer than 256 characters', JSON.stringify({ type: 'x'.repeat(257) })],
    ])('answers 400 when type is %s', (_case, body) => {
      expect(verifyInbound(genericRequest({ body }))).toMatchObject({
        status: 400,
        reason: 'invalid_event',
      });
    });

    it('answers 400 when type is blank', () => {
      expect(verifyInbound(genericRequest({ body: '{"type":"  "}' }))).toMatchObject({
        status: 400,
        reason: 'missing_event',
      });
    });
  });

  it('answers 400 to a verified body that is not JSON', () => {
    expect(verifyInbound(genericRequest({ body: 'type=build.finished' }))).toMatchObject({
      status: 400,
      reason: 'unreadable_body',
    });
  });

  it('answers 415 to a form-encoded body', () => {
    const request = genericRequest({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(verifyInbound(request)).toMatchObject({
      status: 415,
      reason: 'unsupported_content_type',
    });
  });

  it('has no ping: a body typed ping is an ordinary event', () => {
    const answer = verified(verifyInbound(genericRequest({ body: '{"type":"ping"}' })));

    expect(answer.event).toBe('ping');
    expect(isPing(answer)).toBe(false);
  });
});
