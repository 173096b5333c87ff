import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { EventTypes, createEvent } from '@kera/contracts';
import { EventPublisher } from '@kera/jetstream';
import {
  eventually,
  startService,
  startSystem,
  stopService,
  type RunningSystem,
  type ServiceProcess,
} from '@kera/testing';
import {
  call,
  createTicket,
  eventsOn,
  natsOf,
  putWorkflow,
  statusCounts,
  subjectCounts,
  transition,
  workflowYaml,
} from './api.helpers.spec';

jest.setTimeout(120_000);

/**
 * Tickets through the real gateway, two workflow service instances sharing
 * the command queue group, and the real TICKETS stream. Run `npm run build`
 * first: the services run from dist/.
 */
describe('tickets over HTTP, with two workflow instances', () => {
  let system: RunningSystem;
  let secondWorkflow: ServiceProcess;
  let nc: NatsConnection;

  beforeAll(async () => {
    system = await startSystem();
    secondWorkflow = await startService('workflow', system.environment);
    nc = await natsOf(system);
  });

  afterAll(async () => {
    await nc?.close();
    if (secondWorkflow) await stopService(secondWorkflow);
    await system?.stop();
  });

  const naming = () => system.environment.naming;

  it('numbers 20 concurrent creations KER-1 to KER-20, without gap or duplicate', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createTicket(system, 'KER', { title: `Race ${i}` })),
    );

    expect(statusCounts(answers)).toEqual({ 201: 20 });
    const ids = answers.map((answer) => answer.body.id as string);
    const expected = Array.from({ length: 20 }, (_, i) => `KER-${i + 1}`);
    expect([...ids].sort(byNumber)).toEqual(expected);

    const counts = await subjectCounts(nc, system, 'TICKETS', naming().allTicketEvents('KER'));
    expect(Object.keys(counts).sort(byNumber)).toEqual(
      expected.map((id) => naming().ticketEvents(id)).sort(byNumber),
    );
    expect(Object.values(counts).every((count) => count === 1)).toBe(true);
  });

  it('lets exactly one of 20 concurrent identical transitions win; the others get 409', async () => {
    const ticket = (await createTicket(system, 'KER')).body;

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => transition(system, ticket.id, 'todo')),
    );

    expect(statusCounts(answers)).toEqual({ 200: 1, 409: 19 });
    const refused = answers.filter((answer) => answer.status === 409);
    expect(refused.every((answer) => answer.contentType.includes('application/problem+json'))).toBe(
      true,
    );
    const events = await eventsOn(nc, system, 'TICKETS', naming().ticketEvents(ticket.id));
    expect(events.map((event) => event.type)).toEqual([
      EventTypes.ticketCreated,
      EventTypes.ticketTransitioned,
    ]);
    const winner = answers.find((answer) => answer.status === 200);
    expect(events[1]?.id).toBe(winner?.body.event.id);
  });

  it('stores nothing for a concurrent update that lost its race', async () => {
    const ticket = (await createTicket(system, 'KER', { fields: {} })).body;

    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(system, 'PATCH', `/api/tickets/${ticket.id}`, { fields: { [`f${i}`]: i } }),
      ),
    );

    const won = answers.filter((answer) => answer.status === 200);
    expect(won.length + answers.filter((a) => a.status === 409).length).toBe(10);
    const events = await eventsOn(nc, system, 'TICKETS', naming().ticketEvents(ticket.id));
    expect(events.filter((e) => e.type === EventTypes.ticketUpdated)).toHaveLength(won.length);
    const stored = (await call(system, 'GET', `/api/tickets/${ticket.id}`)).body;
    const winners = won.flatMap((answer) => Object.keys(answer.body.fields));
    expect(Object.keys(stored.fields).sort()).toEqual([...new Set(winners)].sort());
  });

  it('merges PATCHed fields: given ones replace whole values, null removes one', async () => {
    const fields = { priority: 'high', team: 'core', size: 3, labels: { ui: true } };
    const ticket = (await createTicket(system, 'KER', { fields })).body;
    const path = `/api/tickets/${ticket.id}`;

    const patched = await call(system, 'PATCH', path, {
      fields: { priority: 'low', team: null, due: 'May', labels: { auth: true } },
    });
    const retitled = await call(system, 'PATCH', path, { title: 'Shorter login timeout' });
    const read = await call(system, 'GET', path);

    expect(patched.status).toBe(200);
    expect(patched.body.fields).toEqual({
      priority: 'low',
      size: 3,
      due: 'May',
      labels: { auth: true },
    });
    expect(retitled.body).toMatchObject({
      title: 'Shorter login timeout',
      fields: patched.body.fields,
    });
    expect(read.body).toEqual(retitled.body);
    expect(read.body.version).toBeGreaterThan(patched.body.version);
  });

  it('refuses an empty PATCH and bad field types with 422, changing nothing', async () => {
    const ticket = (await createTicket(system, 'KER')).body;
    const path = `/api/tickets/${ticket.id}`;

    const empty = await call(system, 'PATCH', path, {});
    const badTypes = await call(system, 'PATCH', path, { title: '', fields: [1, 2] });

    expect(empty.status).toBe(422);
    expect(badTypes.status).toBe(422);
    expect(badTypes.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'title',
      'fields',
    ]);
    expect((await call(system, 'GET', path)).body.version).toBe(ticket.version);
  });

  it('answers each kind of bad request with its status as problem+json', async () => {
    const ticket = (await createTicket(system, 'KER')).body;
    const moves = `/api/tickets/${ticket.id}/transitions`;
    const json = { 'content-type': 'application/json' };

    const cases: [string, Promise<{ status: number; contentType: string }>][] = [
      ['no transition backlog → done', transition(system, ticket.id, 'done')],
      ['unknown state', transition(system, ticket.id, 'qa')],
      ['unknown ticket', transition(system, 'KER-9999', 'todo')],
      ['not a ticket id', call(system, 'GET', '/api/tickets/banana')],
      ['malformed JSON', call(system, 'POST', moves, '{"to": "todo",', json)],
      ['JSON that is not an object', call(system, 'POST', moves, '["todo"]', json)],
      ['missing actor', call(system, 'POST', moves, { to: 'todo' })],
      ['unknown project', createTicket(system, 'NOPE')],
      ['invalid project key', createTicket(system, 'ker')],
      ['no token', anonymous(system, 'POST', moves)],
    ];
    const statuses = await Promise.all(cases.map(([, answer]) => answer));

    expect(Object.fromEntries(cases.map(([name], i) => [name, statuses[i]?.status]))).toEqual({
      'no transition backlog → done': 409,
      'unknown state': 422,
      'unknown ticket': 404,
      'not a ticket id': 404,
      'malformed JSON': 400,
      'JSON that is not an object': 400,
      'missing actor': 422,
      'unknown project': 422,
      'invalid project key': 422,
      'no token': 401,
    });
    for (const answer of statuses) expect(answer.contentType).toContain('application/problem+json');
    expect((await call(system, 'GET', `/api/tickets/${ticket.id}`)).body.state).toBe('backlog');
  });

  it('keeps tickets in a state a new workflow drops, reports it, and lets "*" move them on', async () => {
    await putWorkflow(system, 'ORPH', workflowYaml(['open', 'testing'], ['testing', 'closed']));
    const ticket = (await createTicket(system, 'ORPH')).body;
    await transition(system, ticket.id, 'testing');

    const put = await putWorkflow(system, 'ORPH', workflowYaml(['open', 'closed'], ['*', 'open']));
    const stranded = await call(system, 'GET', `/api/tickets/${ticket.id}`);
    const forward = await transition(system, ticket.id, 'closed');
    const back = await transition(system, ticket.id, 'open');

    expect(put.body).toEqual({ project: 'ORPH', version: 2, orphaned_states: ['testing'] });
    expect(stranded.body).toMatchObject({ state: 'testing', state_orphaned: true });
    expect(forward.status).toBe(409);
    expect(back.status).toBe(200);
    expect(back.body.ticket).toMatchObject({ state: 'open', state_orphaned: false });
    expect(back.body.event).toMatchObject({ from_state: 'testing', to_state: 'open' });
  });

  it('decides a command on the events its stored view lacks, as if it had read them first', async () => {
    expect(
      (await putWorkflow(system, 'STALE', workflowYaml(['todo', 'doing'], ['doing', 'done'])))
        .status,
    ).toBe(200);
    const ticket = (await createTicket(system, 'STALE', { fields: { a: 1 } })).body;
    expect((await transition(system, ticket.id, 'doing')).status).toBe(200);
    expect(
      (await call(system, 'PATCH', `/api/tickets/${ticket.id}`, { fields: { b: 2 } })).status,
    ).toBe(200);

    // The view as it was before the last two events, as if their writes had been lost after
    // the projector had passed them: a command must not trust it.
    const db = new Client({ connectionString: system.environment.databaseUrl });
    await db.connect();
    try {
      await db.query(
        `UPDATE tickets SET state = 'todo', fields = '{"a": 1}', version = $2 WHERE id = $1`,
        [ticket.id, ticket.version],
      );
    } finally {
      await db.end();
    }

    // Refused on the stale view (no todo -> done); allowed on the stream's doing.
    const moved = await transition(system, ticket.id, 'done');
    expect(moved.status).toBe(200);
    expect(moved.body.ticket).toMatchObject({ state: 'done', fields: { a: 1, b: 2 } });
    const patched = await call(system, 'PATCH', `/api/tickets/${ticket.id}`, { fields: { c: 3 } });
    expect(patched.status).toBe(200);
    expect(patched.body.fields).toEqual({ a: 1, b: 2, c: 3 });

    const events = await eventsOn(nc, system, 'TICKETS', naming().ticketEvents(ticket.id));
    expect(events.map((event) => event.type)).toEqual([
      EventTypes.ticketCreated,
      EventTypes.ticketTransitioned,
      EventTypes.ticketUpdated,
      EventTypes.ticketTransitioned,
      EventTypes.ticketUpdated,
    ]);
    expect((await transition(system, ticket.id, 'doing')).status).toBe(409);
  });

  it('writes the view of an event whose command died before writing it', async () => {
    const ticket = (await createTicket(system, 'KER')).body;
    const event = createEvent({
      type: EventTypes.ticketUpdated,
      source: 'kera/workflow',
      subject: ticket.id,
      data: { ticket_id: ticket.id, fields: { repaired: true }, actor: null },
    });

    // What a command appends before it crashes: the event, but no view.
    const { seq } = await new EventPublisher(nc).append(naming().ticketEvents(ticket.id), event, {
      expectedLastSubjectSequence: ticket.version,
    });

    const db = new Client({ connectionString: system.environment.databaseUrl });
    await db.connect();
    try {
      const row = await eventually(
        async () => {
          const { rows } = await db.query('SELECT version, fields FROM tickets WHERE id = $1', [
            ticket.id,
          ]);
          return Number(rows[0]?.version) === seq ? rows[0] : undefined;
        },
        15_000,
        'the projector to write the view',
      );
      expect(row.fields).toEqual({ repaired: true });
    } finally {
      await db.end();
    }
  });
});

function byNumber(a: string, b: string): number {
  const number = (s: string) => Number(/(\d+)$/.exec(s)?.[1] ?? 0);
  return number(a) - number(b);
}

async function anonymous(system: RunningSystem, method: string, path: string) {
  const response = await fetch(`${system.gatewayUrl}${path}`, { method });
  await response.text();
  return { status: response.status, contentType: response.headers.get('content-type') ?? '' };
}
