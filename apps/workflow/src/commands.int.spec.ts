import type { NatsConnection } from 'nats';
import type { CommandName, CommandReply, ProblemDetails } from '@kera/contracts';
import { startSystem, type RunningSystem } from '@kera/testing';
import { call, createTicket, natsOf, putWorkflow, type Answer } from './tickets/api.helpers.spec';

jest.setTimeout(120_000);

/**
 * The ticket and workflow commands as internal services send them: NATS
 * requests on `<root>.cmd.*`, answered by the real workflow service. Each
 * case is sent over HTTP too: both paths must answer with the same problem.
 */
describe('ticket and workflow commands over NATS', () => {
  let system: RunningSystem;
  let nc: NatsConnection;
  let ticketId: string;

  beforeAll(async () => {
    system = await startSystem();
    nc = await natsOf(system);
    ticketId = (await createTicket(system, 'KER')).body.id;
  });

  afterAll(async () => {
    await nc?.close();
    await system?.stop();
  });

  /** Sends a command as internal services do: a JSON body, or raw text as it is. */
  async function command(name: CommandName, body: unknown): Promise<CommandReply<any>> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await nc.request(system.environment.naming.command(name), payload, {
      timeout: 10_000,
    });
    return reply.json<CommandReply<any>>();
  }

  function problemOf(reply: CommandReply<unknown>): ProblemDetails {
    if (reply.ok) throw new Error(`expected a problem, got ${JSON.stringify(reply.result)}`);
    return reply.problem;
  }

  /** The parts of a problem both paths must agree on. */
  const essence = ({ status, title, detail, errors }: ProblemDetails | Answer['body']) => ({
    status,
    title,
    detail,
    errors,
  });

  it('answers each refused command with the same problem as the HTTP API', async () => {
    const moves = `/api/tickets/${ticketId}/transitions`;
    const cases: [string, CommandName, unknown, Promise<Answer>][] = [
      [
        'unknown ticket',
        'ticket.get',
        { ticket_id: 'KER-9999' },
        call(system, 'GET', '/api/tickets/KER-9999'),
      ],
      [
        'no such transition',
        'ticket.transition',
        { ticket_id: ticketId, to: 'done', actor: 'bot@example.com' },
        call(system, 'POST', moves, { to: 'done', actor: 'bot@example.com' }),
      ],
      [
        'unknown state',
        'ticket.transition',
        { ticket_id: ticketId, to: 'qa', actor: 'bot@example.com' },
        call(system, 'POST', moves, { to: 'qa', actor: 'bot@example.com' }),
      ],
      [
        'transition of an unknown ticket',
        'ticket.transition',
        { ticket_id: 'KER-9999', to: 'todo', actor: 'bot@example.com' },
        call(system, 'POST', '/api/tickets/KER-9999/transitions', { to: 'todo', actor: 'x' }),
      ],
      [
        'empty update',
        'ticket.update',
        { ticket_id: ticketId },
        call(system, 'PATCH', `/api/tickets/${ticketId}`, {}),
      ],
      [
        'invalid project',
        'ticket.create',
        { project: 'ker', title: 'x' },
        call(system, 'POST', '/api/tickets', { project: 'ker', title: 'x' }),
      ],
      [
        'project without workflow',
        'ticket.create',
        { project: 'NOPE', title: 'x' },
        call(system, 'POST', '/api/tickets', { project: 'NOPE', title: 'x' }),
      ],
      [
        'invalid workflow',
        'workflow.put',
        { project: 'BAD', yaml: 'states: [a]\ntransitions:\n  - from: a\n    to: b\n' },
        putWorkflow(system, 'BAD', 'states: [a]\ntransitions:\n  - from: a\n    to: b\n'),
      ],
      [
        'unknown workflow',
        'workflow.get',
        { project: 'NOWHERE' },
        call(system, 'GET', '/api/projects/NOWHERE/workflow'),
      ],
    ];

    for (const [name, commandName, body, http] of cases) {
      const overNats = essence(problemOf(await command(commandName, body)));
      const overHttp = essence((await http).body);
      expect({ name, ...overNats }).toEqual({ name, ...overHttp });
    }
  });

  it('refuses a body that is not a JSON object, or not JSON, with 400 as HTTP does', async () => {
    const notObject = problemOf(await command('ticket.create', '["KER"]'));
    const notJson = problemOf(await command('ticket.transition', '{"ticket_id": "KER-1",'));
    const nothing = problemOf(await command('workflow.put', ''));
    const http = await call(system, 'POST', '/api/tickets', '["KER"]', {
      'content-type': 'application/json',
    });

    expect([notObject.status, notJson.status, nothing.status, http.status]).toEqual([
      400, 400, 400, 400,
    ]);
  });

  it('creates, changes, moves and reads tickets and workflows with the results HTTP gives', async () => {
    const put = await command('workflow.put', {
      project: 'OPS',
      yaml: 'transitions:\n  - from: new\n    to: done\n',
      actor: 'bot@example.com',
    });
    const created = await command('ticket.create', {
      project: 'OPS',
      title: 'Rotate keys',
      fields: { team: 'sec' },
    });
    const id = created.ok ? created.result.id : '';
    const updated = await command('ticket.update', {
      ticket_id: id,
      fields: { team: null, due: 'Fri' },
    });
    const moved = await command('ticket.transition', { ticket_id: id, to: 'done', actor: 'bot' });
    const read = await command('ticket.get', { ticket_id: id });
    const workflow = await command('workflow.get', { project: 'OPS' });

    expect(put).toEqual({ ok: true, result: { project: 'OPS', version: 1, orphaned_states: [] } });
    expect(created).toMatchObject({ ok: true, result: { id: 'OPS-1', state: 'new' } });
    expect(updated).toMatchObject({ ok: true, result: { fields: { due: 'Fri' } } });
    expect(moved).toMatchObject({
      ok: true,
      result: { ticket: { state: 'done' }, event: { from_state: 'new', to_state: 'done' } },
    });
    expect(read.ok && read.result).toEqual((await call(system, 'GET', `/api/tickets/${id}`)).body);
    expect(workflow).toMatchObject({ ok: true, result: { project: 'OPS', version: 1 } });
  });
});
