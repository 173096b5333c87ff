import { EventTypes, createEvent } from '@kera/contracts';
import { transitionPayload, transitionRoute } from './transition-event';

const data = {
  ticket_id: 'KER-42',
  project: 'KER',
  title: 'Fix login timeout',
  from_state: 'in_progress',
  to_state: 'in_review',
  actor: 'max@example.com',
  fields: { priority: 'high' },
  workflow_version: 3,
  transitioned_at: '2026-04-24T10:30:00.123Z',
};

function transition(change: Record<string, unknown> = {}) {
  return createEvent({
    type: EventTypes.ticketTransitioned,
    source: 'kera/workflow',
    subject: 'KER-42',
    data: { ...data, ...change },
  });
}

describe('transitionRoute', () => {
  it('names the ticket, workflow version and states of a transition', () => {
    expect(transitionRoute(transition())).toEqual({
      ticket_id: 'KER-42',
      project: 'KER',
      workflow_version: 3,
      from_state: 'in_progress',
      to_state: 'in_review',
    });
  });

  it.each([
    ['another event type', { type: EventTypes.ticketCreated }],
    ['a malformed ticket id', { data: { ...data, ticket_id: 'nope' } }],
    ['a version that is not a whole number', { data: { ...data, workflow_version: '3' } }],
    ['no target state', { data: { ...data, to_state: undefined } }],
  ])('gives none for %s', (_name, change) => {
    expect(transitionRoute({ ...transition(), ...change })).toBeNull();
  });
});

describe('transitionPayload', () => {
  it('builds the exact body of the SPEC', () => {
    const outcome = transitionPayload(transition());

    expect(outcome).toEqual({
      ok: true,
      body: JSON.stringify({
        event: 'transition',
        ticket_id: 'KER-42',
        title: 'Fix login timeout',
        from_state: 'in_progress',
        to_state: 'in_review',
        actor: 'max@example.com',
        timestamp: '2026-04-24T10:30:00Z',
        fields: { priority: 'high' },
      }),
    });
  });

  it('explains a transition time that is no time instead of throwing', () => {
    const outcome = transitionPayload(transition({ transitioned_at: 'yesterday-ish' }));

    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.reason).toContain('yesterday-ish');
  });

  it('names every field a body needs that the event lacks', () => {
    const outcome = transitionPayload(transition({ title: 5, fields: null }));

    expect(outcome).toEqual({ ok: false, reason: 'the transition event lacks title, fields' });
  });
});
