import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from 'nats';
import {
  eventually,
  startService,
  startSystem,
  stopService,
  type RunningSystem,
  type ServiceProcess,
} from '@kera/testing';
import { call, createTicket, natsOf, subjectCounts, transition } from './api.helpers.spec';

jest.setTimeout(120_000);

/**
 * A TCP relay to the shared Postgres that the test can cut and restore, so
 * that one workflow instance sees Postgres go away while everything else
 * (and the shared server itself) is left alone.
 */
class PostgresRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: 5432 });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Drops every connection and refuses new ones until `open()`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe('a workflow instance whose Postgres goes away', () => {
  let system: RunningSystem;
  let relayed: ServiceProcess;
  let nc: NatsConnection;
  const relay = new PostgresRelay();

  beforeAll(async () => {
    system = await startSystem();
    nc = await natsOf(system);
    await relay.open();
    // Only the relayed instance answers commands from here on.
    await stopService(system.services.get('workflow') as ServiceProcess);
    const database = new URL(system.environment.databaseUrl);
    database.port = String(relay.port);
    relayed = await startService('workflow', system.environment, {
      DATABASE_URL: database.toString(),
    });
  });

  afterAll(async () => {
    await nc?.close();
    if (relayed) await stopService(relayed);
    await relay.cut();
    await system?.stop();
  });

  it('answers 503 while Postgres is away, stores nothing, and works again once it is back', async () => {
    const ticket = (await createTicket(system, 'KER')).body;
    const subject = system.environment.naming.ticketEvents(ticket.id);

    await relay.cut();
    const refused = await transition(system, ticket.id, 'todo');
    const unread = await call(system, 'GET', `/api/tickets/${ticket.id}`);
    const stored = await subjectCounts(nc, system, 'TICKETS', subject);
    await relay.open();
    const moved = await eventually(
      async () => {
        const answer = await transition(system, ticket.id, 'todo');
        return answer.status === 200 ? answer : undefined;
      },
      30_000,
      'the transition to succeed again',
    );

    expect(refused.status).toBe(503);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body.detail).toContain('Postgres');
    expect(unread.status).toBe(503);
    expect(stored).toEqual({ [subject]: 1 });
    expect(moved.body.ticket.state).toBe('todo');
    expect(relayed.child.exitCode).toBeNull();
  });
});
