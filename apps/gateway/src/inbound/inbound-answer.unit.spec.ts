import {
  NOT_FOUND_ANSWER,
  RETRY_AFTER_SECONDS,
  acceptedAnswer,
  refusedAnswer,
  unavailableAnswer,
} from './inbound-answer';

const DELIVERY = { delivery_id: 'd-1', event_id: 'e-1', event: 'push' };

describe('inbound answers', () => {
  it('answers a newly stored delivery with 202 and its ids', () => {
    expect(acceptedAnswer('accepted', DELIVERY)).toEqual({
      status: 202,
      contentType: 'application/json',
      body: { status: 'accepted', ...DELIVERY },
    });
  });

  it('answers a duplicate and a ping with 200', () => {
    expect(acceptedAnswer('duplicate', DELIVERY).status).toBe(200);
    expect(acceptedAnswer('ping', DELIVERY).status).toBe(200);
  });

  it('answers a refusal with problem details naming the reason', () => {
    expect(refusedAnswer(401, 'signature_mismatch', 'does not match')).toEqual({
      status: 401,
      contentType: 'application/problem+json',
      body: {
        type: 'about:blank',
        title: 'Unauthorized',
        status: 401,
        detail: 'does not match',
        reason: 'signature_mismatch',
      },
    });
  });

  it('gives no reason in the 404, which must not tell a wrong token from an unknown slug', () => {
    expect(NOT_FOUND_ANSWER.status).toBe(404);
    expect(NOT_FOUND_ANSWER.body).not.toHaveProperty('reason');
  });

  it('asks the sender to retry later when nothing could be stored', () => {
    const answer = unavailableAnswer();

    expect(answer.status).toBe(503);
    expect(answer.headers).toEqual({ 'retry-after': String(RETRY_AFTER_SECONDS) });
  });
});
