import { evolve } from './ticket';
import {
  CREATED_AT,
  ID,
  PR_LINK,
  created,
  given,
  linked,
  pipelineUpdated,
  skipped,
  transitioned,
  unlinked,
  updated,
} from './test-events.spec';

const PIPELINE = {
  provider: 'github' as const,
  status: 'completed',
  conclusion: 'failure',
  url: 'https://github.com/acme/web/actions/runs/1',
  ref: 'ker-7-timeout',
  sha: 'a'.repeat(40),
  updated_at: '2026-03-02T09:05:00.000Z',
};

describe('evolve: a ticket is what its events make it', () => {
  it('opens the ticket as the created event says, at that event’s stream sequence', () => {
    const ticket = given([created()], [5]);

    expect(ticket).toEqual({
      id: ID,
      project: 'KER',
      number: 7,
      title: 'Fix login timeout',
      state: 'backlog',
      fields: { priority: 'high' },
      links: [],
      pipeline: null,
      version: 5,
      created_at: CREATED_AT,
      updated_at: CREATED_AT,
    });
  });

  it('keeps as version the stream sequence of the last event, not a count of events', () => {
    const ticket = given(
      [created(), updated({ title: 'x' }), transitioned('backlog', 'todo')],
      [3, 9, 40],
    );

    expect(ticket.version).toBe(40);
  });

  it('changes the title and merges fields, a null removing one', () => {
    const ticket = given([
      created({ fields: { priority: 'high', team: 'core', size: 3 } }),
      updated({
        title: 'Shorter login timeout',
        fields: { priority: 'low', team: null, due: 'May' },
      }),
    ]);

    expect(ticket.title).toBe('Shorter login timeout');
    expect(ticket.fields).toEqual({ priority: 'low', size: 3, due: 'May' });
    expect(ticket.updated_at).toBe('2026-03-02T09:01:00.000Z');
  });

  it('leaves the title alone when an update gives only fields', () => {
    const ticket = given([created(), updated({ fields: { team: 'core' } })]);

    expect(ticket.title).toBe('Fix login timeout');
    expect(ticket.fields).toEqual({ priority: 'high', team: 'core' });
  });

  it('moves the ticket to the state a transition names', () => {
    const ticket = given([
      created(),
      transitioned('backlog', 'todo'),
      transitioned('todo', 'in_review', 3),
    ]);

    expect(ticket.state).toBe('in_review');
    expect(ticket.updated_at).toBe('2026-03-02T09:03:00.000Z');
  });

  it('adds a link, replaces the link with the same key, and removes it again', () => {
    const merged = { ...PR_LINK, state: 'merged' };

    expect(given([created(), linked(PR_LINK)]).links).toEqual([PR_LINK]);
    expect(given([created(), linked(PR_LINK), linked(merged, 4)]).links).toEqual([merged]);
    expect(given([created(), linked(PR_LINK), unlinked(PR_LINK.key)]).links).toEqual([]);
  });

  it('shows the latest pipeline result', () => {
    expect(given([created(), pipelineUpdated(PIPELINE)]).pipeline).toEqual(PIPELINE);
  });

  it('advances only the version for an event that changes nothing it shows', () => {
    const before = given([created(), transitioned('backlog', 'todo')]);
    const after = given([created(), transitioned('backlog', 'todo'), skipped()]);

    expect(after).toEqual({ ...before, version: 3 });
  });

  it('makes no ticket from events that come without their created event', () => {
    expect(evolve(null, updated({ title: 'orphan' }), 1)).toBeNull();
  });

  it('never changes the state it was given', () => {
    const ticket = given([created()]);
    const copy = structuredClone(ticket);

    evolve(ticket, updated({ fields: { priority: null } }), 2);

    expect(ticket).toEqual(copy);
  });
});
