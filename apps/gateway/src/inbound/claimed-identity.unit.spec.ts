import { claimedIdentity } from './claimed-identity';

describe('the identity a refused request claims', () => {
  it('reads the GitHub event and delivery headers', () => {
    expect(
      claimedIdentity('github', { 'x-github-event': 'push', 'x-github-delivery': ' d-1 ' }),
    ).toEqual({ event: 'push', delivery_id: 'd-1' });
  });

  it("prefers GitLab's Idempotency-Key to its event UUID", () => {
    const headers = {
      'x-gitlab-event': 'Push Hook',
      'idempotency-key': 'key-1',
      'x-gitlab-event-uuid': 'uuid-1',
    };

    expect(claimedIdentity('gitlab', headers)).toEqual({
      event: 'Push Hook',
      delivery_id: 'key-1',
    });
    expect(claimedIdentity('gitlab', { 'x-gitlab-event-uuid': 'uuid-1' }).delivery_id).toBe(
      'uuid-1',
    );
  });

  it('reads only the webhook-id of a generic request, whose event is in the unread body', () => {
    expect(claimedIdentity('generic', { 'webhook-id': 'msg_1' })).toEqual({
      event: null,
      delivery_id: 'msg_1',
    });
  });

  it('leaves out repeated, overlong and control-character values', () => {
    expect(
      claimedIdentity('github', {
        'x-github-event': ['push', 'ping'],
        'x-github-delivery': 'x'.repeat(257),
      }),
    ).toEqual({ event: null, delivery_id: null });
    expect(claimedIdentity('github', { 'x-github-event': 'pu\u0000sh' }).event).toBeNull();
  });

  it('reads nothing when the URL named no integration', () => {
    expect(claimedIdentity(null, { 'x-github-event': 'push' })).toEqual({
      event: null,
      delivery_id: null,
    });
  });
});
