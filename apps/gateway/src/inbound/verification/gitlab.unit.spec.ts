import {
  GITHUB_BODY,
  gitlabSignedRequest,
  gitlabTokenRequest,
  NOW,
  PREVIOUS_SECRET,
  SECRET,
  verified,
} from './test-fixtures.spec';
import { isPing, verifyInbound } from './verify-inbound';

describe('verifyInbound for GitLab', () => {
  describe('with X-Gitlab-Token', () => {
    it('accepts the current secret as token and reads the delivery', () => {
      expect(verifyInbound(gitlabTokenRequest())).toEqual({
        ok: true,
        provider: 'gitlab',
        event: 'Merge Request Hook',
        delivery_id: '13792a34-cac6-4fda-95a8-c58e00a3954e',
        content_type: 'application/json',
        payload: null,
        kept_headers: {
          'content-type': 'application/json',
          'user-agent': 'GitLab/17.5.0',
          'x-gitlab-event': 'Merge Request Hook',
          'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e',
          'x-gitlab-instance': 'https://gitlab.example.com',
          'x-gitlab-webhook-uuid': '4ad3e4b5-6c2a-4c1f-9a47-d0c3f5c2e8a1',
        },
      });
    });

    it('keeps accepting the previous secret after a rotation', () => {
      expect(verifyInbound(gitlabTokenRequest({ signWith: PREVIOUS_SECRET })).ok).toBe(true);
    });

    it.each([
      ['a different token', 'not-the-secret'],
      ['a prefix of the secret', SECRET.slice(0, -1)],
      ['the secret with more after it', `${SECRET}x`],
      ['the secret in upper case', SECRET.toUpperCase()],
    ])('refuses %s', (_case, token) => {
      expect(verifyInbound(gitlabTokenRequest({ signWith: token }))).toEqual({
        ok: false,
        status: 401,
        reason: 'token_mismatch',
        detail:
          'X-Gitlab-Token does not match; check that the secret token in GitLab is the integration secret',
      });
    });

    it('refuses a delivery with neither token nor signature', () => {
      const request = gitlabTokenRequest({ headers: { 'x-gitlab-token': undefined } });

      expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'missing_token' });
    });

    it('refuses every delivery when the integration has no secret', () => {
      expect(verifyInbound(gitlabTokenRequest({ secrets: [] }))).toMatchObject({
        status: 401,
        reason: 'no_secret',
      });
    });

    it('refuses an empty token even when an empty secret is configured beside a real one', () => {
      const request = gitlabTokenRequest({ signWith: '', secrets: ['', SECRET] });

      expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'missing_token' });
    });

    it('never keeps the token nor echoes it back', () => {
      for (const request of [gitlabTokenRequest(), gitlabTokenRequest({ signWith: 'guess' })]) {
        const text = JSON.stringify(verifyInbound(request));
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain('x-gitlab-token');
      }
    });
  });

  describe('with a Standard Webhooks signature', () => {
    it('accepts a valid signature and keeps the non-secret Standard Webhooks headers', () => {
      const answer = verified(verifyInbound(gitlabSignedRequest()));

      expect(answer.event).toBe('Merge Request Hook');
      expect(answer.kept_headers).toMatchObject({
        'webhook-id': 'msg_gitlab_1',
        'webhook-timestamp': String(NOW),
      });
      expect(JSON.stringify(answer)).not.toContain('webhook-signature');
    });

    it('accepts a signature made with the previous secret', () => {
      expect(verifyInbound(gitlabSignedRequest({ signWith: PREVIOUS_SECRET })).ok).toBe(true);
    });

    it('refuses a bad signature even when a correct token comes with it', () => {
      const request = gitlabSignedRequest({
        signWith: 'wrong',
        headers: { 'x-gitlab-token': SECRET },
      });

      expect(verifyInbound(request)).toMatchObject({ status: 401, reason: 'signature_mismatch' });
    });

    it('refuses a signature without webhook-id, whatever the token says', () => {
      const request = gitlabSignedRequest({
        headers: { 'webhook-id': undefined, 'x-gitlab-token': SECRET },
      });

      expect(verifyInbound(request)).toMatchObject({
        status: 401,
        reason: 'missing_signature',
        detail: expect.stringContaining('webhook-id is missing'),
      });
    });

    it('refuses a signature whose timestamp is outside the 5-minute tolerance', () => {
      const request = gitlabSignedRequest({ timestamp: NOW - 301 });

      expect(verifyInbound(request)).toMatchObject({
        status: 401,
        reason: 'timestamp_out_of_tolerance',
      });
    });
  });

  describe('delivery id and event', () => {
    it('prefers Idempotency-Key over X-Gitlab-Event-UUID', () => {
      const request = gitlabTokenRequest({ headers: { 'idempotency-key': 'idem-42' } });

      expect(verifyInbound(request)).toMatchObject({ ok: true, delivery_id: 'idem-42' });
    });

    it('answers 400 when neither Idempotency-Key nor X-Gitlab-Event-UUID is sent', () => {
      const request = gitlabTokenRequest({ headers: { 'x-gitlab-event-uuid': undefined } });

      expect(verifyInbound(request)).toMatchObject({
        status: 400,
        reason: 'missing_delivery_id',
        detail: 'X-Gitlab-Event-UUID is missing; it identifies the delivery',
      });
    });

    it('answers 400 when X-Gitlab-Event is missing', () => {
      const request = gitlabTokenRequest({ headers: { 'x-gitlab-event': undefined } });

      expect(verifyInbound(request)).toMatchObject({ status: 400, reason: 'missing_event' });
    });

    it('answers 400 to an Idempotency-Key too long to be an id, instead of falling back', () => {
      const request = gitlabTokenRequest({ headers: { 'idempotency-key': 'k'.repeat(257) } });

      expect(verifyInbound(request)).toMatchObject({ status: 400, reason: 'invalid_delivery_id' });
    });
  });

  it('answers 415 to a form-encoded body, since GitLab sends JSON only', () => {
    const request = gitlabTokenRequest({
      body: `payload=${encodeURIComponent(GITHUB_BODY)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(verifyInbound(request)).toEqual({
      ok: false,
      status: 415,
      reason: 'unsupported_content_type',
      detail: 'GitLab deliveries must be application/json, not application/x-www-form-urlencoded',
    });
  });

  it('answers 400 to a verified body that is not JSON', () => {
    const request = gitlabTokenRequest({ body: 'object_kind=push' });

    expect(verifyInbound(request)).toMatchObject({ status: 400, reason: 'unreadable_body' });
  });

  it('does not treat test deliveries as pings, since GitLab sends them like live ones', () => {
    const request = gitlabTokenRequest({ headers: { 'x-gitlab-event': 'Push Hook' } });
    const answer = verified(verifyInbound(request));

    expect(isPing(answer)).toBe(false);
  });
});
