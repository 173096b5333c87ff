import { buildTransitionPayload, type TransitionPayloadInput } from './transition-payload';

const input: TransitionPayloadInput = {
  ticketId: 'KER-42',
  title: 'Fix login timeout',
  fromState: 'in_progress',
  toState: 'in_review',
  actor: 'max@example.com',
  transitionedAt: new Date('2026-04-24T10:30:00.789Z'),
  fields: { priority: 'high', estimate: 3, labels: ['auth'], reviewer: null },
};

describe('buildTransitionPayload', () => {
  it('produces exactly the SPEC body, byte for byte', () => {
    expect(buildTransitionPayload(input)).toBe(
      '{"event":"transition","ticket_id":"KER-42","title":"Fix login timeout",' +
        '"from_state":"in_progress","to_state":"in_review","actor":"max@example.com",' +
        '"timestamp":"2026-04-24T10:30:00Z",' +
        '"fields":{"priority":"high","estimate":3,"labels":["auth"],"reviewer":null}}',
    );
  });

  it('has exactly the SPEC keys in the SPEC order', () => {
    const keys = Object.keys(JSON.parse(buildTransitionPayload(input)));

    expect(keys).toEqual([
      'event',
      'ticket_id',
      'title',
      'from_state',
      'to_state',
      'actor',
      'timestamp',
      'fields',
    ]);
  });

  it('ignores properties beyond its input type, so no extra key can reach receivers', () => {
    const widened = { ...input, secret: 'whsec_x', url: 'https://example.com' };

    const body = JSON.parse(buildTransitionPayload(widened));

    expect(body).not.toHaveProperty('secret');
    expect(body).not.toHaveProperty('url');
  });

  it('writes the timestamp in UTC with whole seconds, from a Date or an ISO string', () => {
    const fromOffset = { ...input, transitionedAt: '2026-04-24T12:30:00.5+02:00' };
    const fromDate = { ...input, transitionedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 999)) };

    expect(JSON.parse(buildTransitionPayload(fromOffset)).timestamp).toBe('2026-04-24T10:30:00Z');
    expect(JSON.parse(buildTransitionPayload(fromDate)).timestamp).toBe('2026-01-02T03:04:05Z');
  });

  it('keeps every ticket field as given, including unicode and nesting', () => {
    const fields = { summary: 'Connexion échoue 🚀', meta: { links: [{ pr: 7 }] }, empty: {} };

    const body = JSON.parse(buildTransitionPayload({ ...input, fields }));

    expect(body.fields).toEqual(fields);
  });

  it('rejects a transition time that is not a date', () => {
    expect(() => buildTransitionPayload({ ...input, transitionedAt: 'yesterday' })).toThrow(
      /transitionedAt is not a valid date: yesterday/,
    );
  });
});
