import { inlineBody, parseInboundPayload } from './inbound-payload';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('parseInboundPayload', () => {
  it('reads a JSON body', () => {
    const reading = parseInboundPayload(bytes('{"action":"opened"}'), 'application/json');

    expect(reading).toEqual({ ok: true, payload: { action: 'opened' } });
  });

  it('reads the payload field of a GitHub form-encoded body', () => {
    const form = new URLSearchParams({ payload: '{"zen":"Keep it logically awesome."}' });
    const contentType = 'application/x-www-form-urlencoded; charset=utf-8';

    expect(parseInboundPayload(bytes(form.toString()), contentType)).toEqual({
      ok: true,
      payload: { zen: 'Keep it logically awesome.' },
    });
  });

  it('matches the media type case-insensitively and ignores parameters', () => {
    const form = new URLSearchParams({ payload: '[1]' }).toString();

    expect(parseInboundPayload(bytes(form), 'Application/X-WWW-Form-Urlencoded ;q=1')).toEqual({
      ok: true,
      payload: [1],
    });
  });

  it.each([
    ['a form without payload', 'zen=hello', 'application/x-www-form-urlencoded'],
    ['a form with two payloads', 'payload=1&payload=2', 'application/x-www-form-urlencoded'],
  ])('refuses %s', (_name, body, contentType) => {
    expect(parseInboundPayload(bytes(body), contentType)).toEqual({
      ok: false,
      reason: 'a form-encoded body must carry exactly one payload field',
    });
  });

  it('refuses a body that is not JSON without echoing it', () => {
    const reading = parseInboundPayload(bytes('{"secret": nope'), 'application/json');

    expect(reading).toEqual({ ok: false, reason: 'the body is not valid JSON' });
  });

  it('refuses bytes that are not UTF-8', () => {
    const reading = parseInboundPayload(Buffer.from([0x7b, 0xff, 0x7d]), 'application/json');

    expect(reading).toEqual({ ok: false, reason: 'the body is not valid UTF-8' });
  });
});

describe('inlineBody', () => {
  it('decodes UTF-8 and base64 bodies to the bytes received', () => {
    expect(inlineBody({ body: 'héllo', body_encoding: 'utf8' })).toEqual(bytes('héllo'));
    expect(inlineBody({ body: '/w==', body_encoding: 'base64' })).toEqual(Buffer.from([0xff]));
  });

  it('answers null for a body kept in the object store', () => {
    expect(inlineBody({ body: null, body_encoding: null })).toBeNull();
  });
});
