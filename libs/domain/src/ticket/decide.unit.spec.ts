import {
  ConflictError,
  EventTypes,
  ValidationError,
  createEvent,
  type KeraEvent,
  type ProblemItem,
} from '@kera/contracts';
import {
  FIELDS_MAX_BYTES,
  TITLE_MAX,
  decideCreate,
  decideTransition,
  decideUpdate,
  evolve,
  toView,
  type TicketState,
} from './ticket';
import {
  ID,
  WORKFLOW,
  created,
  given,
  transitioned,
  updated,
  workflowOf,
} from './test-events.spec';

const NOW = new Date('2026-03-02T10:00:00.000Z');

/** The stored event a decision becomes, folded onto the ticket: the "then" of a test. */
function afterAppending(ticket: TicketState, type: string, data: unknown): TicketState {
  const event: KeraEvent = createEvent({ type, source: 'kera/workflow', subject: ID, data });
  return evolve(ticket, event, ticket.version + 1) as TicketState;
}

/** The problems a decision refuses with, or a failure when it does not refuse. */
function problemsOf(decide: () => unknown): ProblemItem[] {
  try {
    decide();
  } catch (error) {
    if (error instanceof ValidationError) return error.errors ?? [];
    throw error;
  }
  throw new Error('expected the decision to refuse with 422');
}

describe('decideCreate', () => {
  const input = { project: 'KER', title: 'Fix login timeout', fields: undefined, actor: undefined };

  it('opens the ticket in the workflow’s initial state with the number claimed for it', () => {
    const data = decideCreate(
      { ...input, fields: { priority: 'high' }, actor: 'max@example.com' },
      'KER-7',
      7,
      WORKFLOW,
    );

    expect(data).toEqual({
      ticket_id: 'KER-7',
      project: 'KER',
      number: 7,
      title: 'Fix login timeout',
      state: 'backlog',
      fields: { priority: 'high' },
      actor: 'max@example.com',
      workflow_version: 3,
    });
  });

  it('starts in the state the workflow names as initial', () => {
    const workflow = workflowOf('initial: b\ntransitions:\n  - from: a\n    to: b\n');

    expect(decideCreate(input, 'KER-1', 1, workflow).state).toBe('b');
  });

  it('leaves out fields given as null', () => {
    const data = decideCreate({ ...input, fields: { team: null, size: 3 } }, 'KER-1', 1, WORKFLOW);

    expect(data.fields).toEqual({ size: 3 });
  });

  it('lists every problem of the command at once', () => {
    const problems = problemsOf(() =>
      decideCreate({ project: 'KER', title: '  ', fields: [1], actor: 42 }, 'KER-1', 1, WORKFLOW),
    );

    expect(problems.map((p) => p.field)).toEqual(['title', 'fields', 'actor']);
  });

  it('refuses a title longer than the limit and fields larger than the limit', () => {
    const big = { text: 'x'.repeat(FIELDS_MAX_BYTES) };
    const problems = problemsOf(() =>
      decideCreate(
        { ...input, title: 't'.repeat(TITLE_MAX + 1), fields: big },
        'KER-1',
        1,
        WORKFLOW,
      ),
    );

    expect(problems.map((p) => p.field)).toEqual(['title', 'fields']);
  });
});

describe('decideUpdate', () => {
  it('given a created ticket, when fields are patched, then they merge and a null removes one', () => {
    const ticket = given([created({ fields: { priority: 'high', team: 'core' } })]);

    const data = decideUpdate(ticket, {
      title: undefined,
      fields: { priority: 'low', team: null },
      actor: 'max@example.com',
    });

    expect(data).toEqual({
      ticket_id: ID,
      fields: { priority: 'low', team: null },
      actor: 'max@example.com',
    });
    expect(afterAppending(ticket, EventTypes.ticketUpdated, data).fields).toEqual({
      priority: 'low',
    });
  });

  it('changes only the title when only a title is given', () => {
    const ticket = given([created()]);

    const data = decideUpdate(ticket, { title: 'Shorter timeout', fields: undefined, actor: null });

    expect(data).toEqual({ ticket_id: ID, title: 'Shorter timeout', actor: null });
  });

  it('refuses an update that changes nothing', () => {
    const problems = problemsOf(() =>
      decideUpdate(given([created()]), { title: undefined, fields: undefined, actor: undefined }),
    );

    expect(problems).toEqual([{ field: 'title', message: 'give a title or fields to change' }]);
  });

  it('refuses fields that are not an object, and an empty title', () => {
    const problems = problemsOf(() =>
      decideUpdate(given([created()]), { title: '', fields: 'high', actor: undefined }),
    );

    expect(problems.map((p) => p.field)).toEqual(['title', 'fields']);
  });

  it('refuses a patch that would make the ticket’s fields larger than the limit', () => {
    const half = 'x'.repeat(FIELDS_MAX_BYTES / 2);
    const ticket = given([created({ fields: { a: half } })]);

    const problems = problemsOf(() =>
      decideUpdate(ticket, { title: undefined, fields: { b: half }, actor: undefined }),
    );

    expect(problems).toEqual([{ field: 'fields', message: expect.stringContaining('at most') }]);
  });

  it('keeps a field named like an object property as an ordinary field', () => {
    const ticket = given([created({ fields: {} })]);
    const fields = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}');

    const next = afterAppending(
      ticket,
      EventTypes.ticketUpdated,
      decideUpdate(ticket, { title: undefined, fields, actor: undefined }),
    );

    expect(JSON.stringify(next.fields)).toBe('{"__proto__":{"polluted":true},"constructor":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decideTransition', () => {
  const move = (to: unknown, actor: unknown = 'max@example.com') => ({ to, actor });

  it('given a ticket in backlog, when moved to todo, then a transition with its context is decided', () => {
    const ticket = given([created(), updated({ fields: { team: 'core' } })]);

    const data = decideTransition(ticket, move('todo'), WORKFLOW, NOW);

    expect(data).toEqual({
      ticket_id: ID,
      project: 'KER',
      title: 'Fix login timeout',
      from_state: 'backlog',
      to_state: 'todo',
      actor: 'max@example.com',
      fields: { priority: 'high', team: 'core' },
      workflow_version: 3,
      transitioned_at: '2026-03-02T10:00:00.000Z',
    });
    expect(afterAppending(ticket, EventTypes.ticketTransitioned, data).state).toBe('todo');
  });

  it('follows a transition that lists the current state among several', () => {
    const ticket = given([created(), transitioned('backlog', 'todo')]);

    expect(decideTransition(ticket, move('in_review'), WORKFLOW, NOW).from_state).toBe('todo');
  });

  it('refuses with 409 a move the workflow has no transition for', () => {
    const ticket = given([created()]);

    const decide = () => decideTransition(ticket, move('done'), WORKFLOW, NOW);

    expect(decide).toThrow(ConflictError);
    expect(decide).toThrow('no transition from "backlog" to "done"');
  });

  it('refuses with 409 a second identical move: the ticket is no longer where it was', () => {
    const ticket = given([created(), transitioned('backlog', 'todo')]);

    expect(() => decideTransition(ticket, move('todo'), WORKFLOW, NOW)).toThrow(ConflictError);
  });

  it('refuses with 422 a state the workflow does not have, naming the states it has', () => {
    const problems = problemsOf(() =>
      decideTransition(given([created()]), move('qa'), WORKFLOW, NOW),
    );

    expect(problems).toEqual([
      {
        field: 'to',
        message: 'unknown state "qa"; the workflow has backlog, todo, in_progress, in_review, done',
      },
    ]);
  });

  it('lists a missing actor and a missing target together', () => {
    const problems = problemsOf(() =>
      decideTransition(given([created()]), { to: undefined, actor: null }, WORKFLOW, NOW),
    );

    expect(problems.map((p) => p.field)).toEqual(['actor', 'to']);
  });

  it('moves a ticket out of a state a newer workflow dropped only through a "*" transition', () => {
    const ticket = given([created({ state: 'qa' })]);

    expect(decideTransition(ticket, move('backlog'), WORKFLOW, NOW).from_state).toBe('qa');
    expect(() => decideTransition(ticket, move('todo'), WORKFLOW, NOW)).toThrow(ConflictError);
  });

  it('records the version of the workflow whose transition fired', () => {
    const ticket = given([created()]);
    const newer = { ...WORKFLOW, version: 9 };

    expect(decideTransition(ticket, move('todo'), newer, NOW).workflow_version).toBe(9);
  });
});

describe('toView', () => {
  it('flags a state the current workflow no longer has, and only then', () => {
    const inQa = given([created({ state: 'qa' })]);
    const inBacklog = given([created()]);

    expect(toView(inQa, WORKFLOW.definition).state_orphaned).toBe(true);
    expect(toView(inBacklog, WORKFLOW.definition).state_orphaned).toBe(false);
    expect(toView(inQa, null).state_orphaned).toBe(false);
  });

  it('shows what the API promises and nothing of the stored state besides', () => {
    const view = toView(given([created()], [12]), WORKFLOW.definition);

    expect(Object.keys(view)).toEqual([
      'id',
      'project',
      'title',
      'state',
      'state_orphaned',
      'fields',
      'links',
      'pipeline',
      'version',
      'updated_at',
    ]);
    expect(view.version).toBe(12);
  });
});
