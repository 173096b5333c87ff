import {
  DELIVERY_ID,
  GITHUB_BODY,
  githubRequest,
  hubSignature,
  PREVIOUS_SECRET,
  SECRET,
  verified,
} from './test-fixtures.spec';
import { isPing, verifyInbound } from './verify-inbound';

const form = (json: string) => `payload=${encodeURIComponent(json)}`;
const FORM_TYPE = 'application/x-www-form-urlencoded';

describe('verifyInbound for GitHub', () => {
  it('accepts a JSON delivery signed with the current secret, named by its headers', () => {
    const answer = verified(verifyInbound(githubRequest()));

    expect(answer).toEqual({
      ok: true,
      provider: 'github',
      event: 'push',
      delivery_id: DELIVERY_ID,
      content_type: 'application/json',
      // Checked to hold an object, not parsed: nothing reads it.
      payload: null,
      kept_headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/2b1d3f0',
        'x-github-event': 'push',
        'x-github-delivery': DELIVERY_ID,
        'x-github-hook-id': '292430182',
        'x-github-hook-installation-target-id': '79929171',
        'x-github-hook-installation-target-type': 'repository',
      },
    });
  });

  it('keeps verifying with the previous secret after a rotation', () => {
    const answer = verifyInbound(githubRequest({ signWith: PREVIOUS_SECRET }));

    expect(answer.ok).toBe(true);
  });

  it('refuses a secret that is neither the current nor the previous one', () => {
    const answer = verifyInbound(githubRequest({ signWith: 'some-other-secret' }));

    expect(answer).toEqual({
      ok: false,
      status: 401,
      reason: 'signature_mismatch',
      detail:
        'X-Hub-Signature-256 does not match the body; check that the webhook secret in GitHub is the integration secret',
    });
  });

  it('refuses the previous secret once the rotation window has closed', () => {
    const answer = verifyInbound(githubRequest({ signWith: PREVIOUS_SECRET, secrets: [SECRET] }));

    expect(answer).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it('refuses a delivery without a signature, telling the sender to set the secret', () => {
    const answer = verifyInbound(githubRequest({ headers: { 'x-hub-signature-256': undefined } }));

    expect(answer).toMatchObject({
      status: 401,
      reason: 'missing_signature',
      detail: expect.stringContaining('X-Hub-Signature-256 is missing'),
    });
  });

  it('refuses every delivery when the integration has no secret', () => {
    expect(verifyInbound(githubRequest({ secrets: [] }))).toMatchObject({
      status: 401,
      reason: 'no_secret',
    });
  });

  it('never treats an empty secret as a key, even for a body signed with an empty key', () => {
    const answer = verifyInbound(githubRequest({ signWith: '', secrets: [''] }));

    expect(answer).toMatchObject({ status: 401, reason: 'no_secret' });
  });

  it('refuses a signature computed over a re-serialised body', () => {
    const reserialised = JSON.stringify(JSON.parse(GITHUB_BODY), null, 2);
    const request = githubRequest({
      headers: { 'x-hub-signature-256': hubSignature(SECRET, reserialised) },
    });

    expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it('answers 400 to a body whose signature is valid but whose JSON is broken', () => {
    const answer = verifyInbound(githubRequest({ body: '{"ref": "refs/heads/main",' }));

    expect(answer).toEqual({
      ok: false,
      status: 400,
      reason: 'unreadable_body',
      detail: 'the body is not valid JSON',
    });
  });

  it('answers 400 to valid JSON that is not an object', () => {
    expect(verifyInbound(githubRequest({ body: '[{"ref":"x"}]' }))).toMatchObject({
      status: 400,
      reason: 'unreadable_body',
      detail: 'the body must be a JSON object',
    });
  });

  it.each([
    ['that is one hex digit short', `sha256=${'a'.repeat(63)}`],
    ['that is one hex digit long', `sha256=${'a'.repeat(65)}`],
    ['that is not hex', `sha256=${'z'.repeat(64)}`],
    ['in base64 instead of hex', `sha256=${Buffer.alloc(32, 7).toString('base64')}`],
    ['without the algorithm', 'a'.repeat(64)],
    ['in the SHA-1 header format', `sha1=${'a'.repeat(40)}`],
    ['with an upper-case algorithm', `SHA256=${'a'.repeat(64)}`],
    ['that is only the prefix', 'sha256='],
  ])('refuses a signature %s as a mismatch', (_case, signature) => {
    const answer = verifyInbound(githubRequest({ headers: { 'x-hub-signature-256': signature } }));

    expect(answer).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it('accepts upper-case hex digits, which encode the same MAC', () => {
    const upper =
      'sha256=' + hubSignature(SECRET, GITHUB_BODY).slice('sha256='.length).toUpperCase();

    expect(verifyInbound(githubRequest({ headers: { 'x-hub-signature-256': upper } })).ok).toBe(
      true,
    );
  });

  it('refuses an otherwise valid signature with one hex digit changed', () => {
    const good = hubSignature(SECRET, GITHUB_BODY);
    const flipped = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');

    expect(
      verifyInbound(githubRequest({ headers: { 'x-hub-signature-256': flipped } })),
    ).toMatchObject({
      status: 401,
      reason: 'signature_mismatch',
    });
  });

  describe('form-encoded bodies', () => {
    it('verifies the raw form bytes and reads the JSON from the payload field', () => {
      const body = form(GITHUB_BODY);
      const answer = verified(
        verifyInbound(githubRequest({ body, headers: { 'content-type': FORM_TYPE } })),
      );

      expect(answer.content_type).toBe(FORM_TYPE);
      expect(answer.payload).toEqual(JSON.parse(GITHUB_BODY));
    });

    it('decodes + as a space, as form encoding does', () => {
      const body = 'payload=' + encodeURIComponent('{"title":"Fix KER-42"}').replace(/%20/g, '+');
      const answer = verified(
        verifyInbound(githubRequest({ body, headers: { 'content-type': FORM_TYPE } })),
      );

      expect(answer.payload).toEqual({ title: 'Fix KER-42' });
    });

    it('refuses a signature computed over the decoded JSON instead of the form bytes', () => {
      const request = githubRequest({
        body: form(GITHUB_BODY),
        headers: {
          'content-type': FORM_TYPE,
          'x-hub-signature-256': hubSignature(SECRET, GITHUB_BODY),
        },
      });

      expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'signature_mismatch' });
    });

    it.each([
      ['no payload field', 'data=' + encodeURIComponent(GITHUB_BODY)],
      ['two payload fields', `${form(GITHUB_BODY)}&${form(GITHUB_BODY)}`],
      ['a payload that is not JSON', 'payload=%7Bbroken'],
      ['a JSON body sent as a form', GITHUB_BODY],
    ])('answers 400 to a signed form with %s', (_case, body) => {
      const answer = verifyInbound(githubRequest({ body, headers: { 'content-type': FORM_TYPE } }));

      expect(answer).toMatchObject({ status: 400, reason: 'unreadable_body' });
    });
  });

  describe('content types and encodings', () => {
    it.each([
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
      'application/json;charset="utf-8"',
    ])('accepts %p', (contentType) => {
      const answer = verified(
        verifyInbound(githubRequest({ headers: { 'content-type': contentType } })),
      );

      expect(answer.content_type).toBe('application/json');
      expect(answer.kept_headers['content-type']).toBe(contentType);
    });

    it('answers 415 to a declared UTF-16 charset', () => {
      const request = githubRequest({
        headers: { 'content-type': 'application/json; charset=utf-16' },
      });

      expect(verifyInbound(request)).toMatchObject({ status: 415, reason: 'unsupported_charset' });
    });

    it('answers 415 to an unsupported or missing content type once the signature verifies', () => {
      for (const contentType of ['text/plain', undefined]) {
        const request = githubRequest({ headers: { 'content-type': contentType } });
        expect(verifyInbound(request)).toMatchObject({
          status: 415,
          reason: 'unsupported_content_type',
        });
      }
    });

    it('answers 401, not 415, when neither the signature nor the content type is right', () => {
      const request = githubRequest({
        signWith: 'wrong',
        headers: { 'content-type': 'text/plain' },
      });

      expect(verifyInbound(request)).toMatchObject({ status: 401 });
    });

    it('accepts a UTF-8 body with a byte order mark, verifying the bytes as sent', () => {
      const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GITHUB_BODY)]);
      const answer = verified(verifyInbound(githubRequest({ body })));

      expect(answer.event).toBe('push');
      // A second mark is not whitespace to JSON.
      const twice = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
      expect(verifyInbound(githubRequest({ body: twice }))).toMatchObject({
        status: 400,
        reason: 'unreadable_body',
      });
    });

    it('answers 400 to a signed UTF-16 body, since JSON on the wire is UTF-8', () => {
      const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GITHUB_BODY, 'utf16le')]);

      expect(verifyInbound(githubRequest({ body }))).toMatchObject({
        status: 400,
        reason: 'unreadable_body',
        detail: 'the body is not valid UTF-8',
      });
    });

    it('answers 400 to a signed body with invalid UTF-8 bytes rather than patching them', () => {
      const body = Buffer.concat([
        Buffer.from('{"title":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}'),
      ]);

      expect(verifyInbound(githubRequest({ body }))).toMatchObject({
        status: 400,
        reason: 'unreadable_body',
      });
    });

    it('accepts non-ASCII text in a UTF-8 body, and reads it from a form body', () => {
      const json = '{"title":"Überprüfung 修正 🚀"}';
      expect(verified(verifyInbound(githubRequest({ body: json }))).event).toBe('push');

      const answer = verified(
        verifyInbound(githubRequest({ body: form(json), headers: { 'content-type': FORM_TYPE } })),
      );
      expect(answer.payload).toEqual({ title: 'Überprüfung 修正 🚀' });
    });
  });

  describe('event and delivery id', () => {
    it('answers 400 when X-GitHub-Event is missing', () => {
      expect(
        verifyInbound(githubRequest({ headers: { 'x-github-event': undefined } })),
      ).toMatchObject({
        status: 400,
        reason: 'missing_event',
        detail: 'X-GitHub-Event is missing; it names the event',
      });
    });

    it('answers 400 when X-GitHub-Delivery is missing', () => {
      expect(verifyInbound(githubRequest({ headers: { 'x-github-delivery': '' } }))).toMatchObject({
        status: 400,
        reason: 'missing_delivery_id',
      });
    });

    it('accepts a header that arrives as a one-element array', () => {
      const request = githubRequest();
      request.headers['x-hub-signature-256'] = [String(request.headers['x-hub-signature-256'])];

      expect(verifyInbound(request).ok).toBe(true);
    });

    it('answers 400 when the signature header was sent twice', () => {
      const request = githubRequest();
      const signature = String(request.headers['x-hub-signature-256']);
      request.headers['x-hub-signature-256'] = [signature, signature];

      expect(verifyInbound(request)).toEqual({
        ok: false,
        status: 400,
        reason: 'ambiguous_header',
        detail: 'X-Hub-Signature-256 was sent more than once; send it once',
      });
    });
  });

  describe('ping', () => {
    it('recognises a verified ping', () => {
      const request = githubRequest({
        body: '{"zen":"Design for failure.","hook_id":292430182}',
        headers: { 'x-github-event': 'ping' },
      });

      expect(isPing(verified(verifyInbound(request)))).toBe(true);
    });

    it('does not treat other events as pings', () => {
      expect(isPing(verified(verifyInbound(githubRequest())))).toBe(false);
    });
  });

  it('never keeps the signature headers nor echoes the secret or the expected signature', () => {
    const expected = hubSignature(SECRET, GITHUB_BODY).slice('sha256='.length);
    const answers = [
      verifyInbound(githubRequest()),
      verifyInbound(githubRequest({ signWith: 'wrong' })),
      verifyInbound(
        githubRequest({ headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }),
      ),
    ];

    for (const answer of answers) {
      const text = JSON.stringify(answer);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(PREVIOUS_SECRET);
      expect(text).not.toContain(expected);
      expect(text).not.toMatch(/x-hub-signature/);
    }
  });
});
