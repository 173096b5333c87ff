import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { EventTypes, STREAMS, createEvent } from '@kera/contracts';
import { provisionStreams } from '@kera/jetstream';
import { openDatabase } from '@kera/persistence';
import {
  TEST_JETSTREAM_MAX_BYTES,
  destroyEnvironment,
  eventually,
  isolatedEnvironment,
  startService,
  stopService,
  type IsolatedEnvironment,
  type ServiceProcess,
} from '@kera/testing';
import { projectedThrough, publishEvents } from './audit-test-helpers.spec';
import { AuditVerifyService } from './verify/audit-verify.service';

// These tests run the built service (npm run build first).
jest.setTimeout(240_000);

/** An environment with its streams, an owner's pool, a NATS connection and the processes started. */
interface Setup {
  environment: IsolatedEnvironment;
  db: DataSource;
  nc: NatsConnection;
  processes: ServiceProcess[];
}

async function setUp(): Promise<Setup> {
  const environment = isolatedEnvironment();
  const db = await openDatabase({ url: environment.databaseUrl, poolSize: 2 });
  const nc = await connect({ servers: environment.natsUrl });
  await provisionStreams(
    await nc.jetstreamManager(),
    environment.naming,
    1,
    TEST_JETSTREAM_MAX_BYTES,
  );
  return { environment, db, nc, processes: [] };
}

async function tearDown(setup: Setup | undefined): Promise<void> {
  if (!setup) return;
  await Promise.all(setup.processes.map((process) => stopService(process)));
  await setup.nc.close();
  await setup.db.destroy();
  await destroyEnvironment(setup.environment);
}

async function checkpoint(db: DataSource, stream: string): Promise<number> {
  const rows: { last_seq: string }[] = await db.query(
    'SELECT last_seq FROM audit_checkpoints WHERE stream = $1',
    [stream],
  );
  return Number(rows[0]?.last_seq ?? 0);
}

async function eventIds(db: DataSource, stream: string): Promise<string[]> {
  const rows: { event_id: string }[] = await db.query(
    'SELECT event_id FROM audit_entries WHERE stream = $1 ORDER BY seq',
    [stream],
  );
  return rows.map((row) => row.event_id);
}

/** The streams a running audit process says it writes (from its /metrics). */
async function leading(process: ServiceProcess): Promise<string[]> {
  const text = await (await fetch(`${process.healthUrl}/metrics`)).text();
  return [...text.matchAll(/^kera_audit_projection_leader\{stream="([^"]+)"\} 1$/gm)].map(
    (match) => match[1] as string,
  );
}

describe('the audit service as separate processes', () => {
  let setup: Setup | undefined;

  afterEach(async () => {
    await tearDown(setup);
    setup = undefined;
  });

  it('stores each event exactly once after a SIGKILL while catching up', async () => {
    setup = await setUp();
    const { environment, db, nc } = setup;
    const tickets = await publishEvents(nc, environment.naming, 'TICKETS', 30_000);
    const inbound = await publishEvents(nc, environment.naming, 'INBOUND', 2_000);
    const ticketStream = environment.naming.stream('TICKETS');

    const first = await startService('audit', environment);
    setup.processes.push(first);
    await eventually(
      async () => ((await checkpoint(db, ticketStream)) >= 2_000 ? true : undefined),
      60_000,
      'catching up under way',
    );
    await stopService(first, 'SIGKILL');
    expect(await checkpoint(db, ticketStream)).toBeLessThan(tickets.lastSeq);

    setup.processes.push(await startService('audit', environment));
    await projectedThrough(db, ticketStream, tickets.lastSeq, 120_000);
    await projectedThrough(db, environment.naming.stream('INBOUND'), inbound.lastSeq);

    expect(await eventIds(db, ticketStream)).toEqual(tickets.ids);
    expect(await eventIds(db, environment.naming.stream('INBOUND'))).toEqual(inbound.ids);
    expect(await new AuditVerifyService(db).verify()).toMatchObject({
      ok: true,
      entries: 32_000,
    });
  });

  it('shares the streams between two processes and takes over those of one killed', async () => {
    setup = await setUp();
    const { environment, db, nc } = setup;
    const a = await startService('audit', environment);
    const b = await startService('audit', environment);
    setup.processes.push(a, b);
    await eventually(
      async () => {
        const [ofA, ofB] = await Promise.all([leading(a), leading(b)]);
        const shared = ofA.length > 0 && ofB.length > 0 && ofA.length + ofB.length === 5;
        return shared && ofA.every((stream) => !ofB.includes(stream)) ? true : undefined;
      },
      30_000,
      'both processes writing, each stream by one',
    );

    const during = STREAMS.map((key) => publishEvents(nc, environment.naming, key, 1_500));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await stopService(a, 'SIGKILL');
    const published = await Promise.all(during);
    const after = await publishEvents(nc, environment.naming, 'TICKETS', 500);

    await eventually(async () => ((await leading(b)).length === 5 ? true : undefined), 30_000);
    for (const [i, key] of STREAMS.entries()) {
      const stream = environment.naming.stream(key);
      const last = key === 'TICKETS' ? after.lastSeq : (published[i]?.lastSeq ?? 0);
      await projectedThrough(db, stream, last, 120_000);
      const expected = [...(published[i]?.ids ?? []), ...(key === 'TICKETS' ? after.ids : [])];
      expect(await eventIds(db, stream)).toEqual(expected);
    }
    expect(await new AuditVerifyService(db).verify()).toMatchObject({ ok: true, entries: 8_000 });
  });

  it('runs as a role that may read and insert the trail but not change it', async () => {
    setup = await setUp();
    const { environment, db, nc } = setup;
    const role = `kera_test_svc_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE ROLE ${role} LOGIN IN ROLE kera_app`);
    try {
      const url = new URL(environment.databaseUrl);
      url.username = role;
      setup.processes.push(
        await startService('audit', environment, { DATABASE_URL: url.toString() }),
      );
      const events = await publishEvents(nc, environment.naming, 'WORKFLOWS', 200);

      const stream = environment.naming.stream('WORKFLOWS');
      await projectedThrough(db, stream, events.lastSeq);
      expect(await eventIds(db, stream)).toEqual(events.ids);
      const sessions: { usename: string }[] = await db.query(
        `SELECT DISTINCT usename FROM pg_stat_activity
          WHERE datname = current_database() AND application_name LIKE 'kera-audit%'`,
      );
      expect(sessions.map((session) => session.usename)).toEqual([role]);
    } finally {
      await tearDown(setup);
      setup = undefined;
      const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('answers queries, bad parameters and verification through the gateway', async () => {
    setup = await setUp();
    const { environment, db, nc } = setup;
    setup.processes.push(await startService('audit', environment));
    const gateway = await startService('gateway', environment);
    setup.processes.push(gateway);
    const api = (path: string) =>
      fetch(`${gateway.healthUrl}${path}`, {
        headers: { authorization: `Bearer ${environment.adminToken}` },
      });

    // Six events by alice, then, once they are in the trail, six by bob.
    const js = nc.jetstream();
    const publishSix = async (actor: string, from: number) => {
      let last = 0;
      for (let n = from; n < from + 6; n += 1) {
        const ticket = n % 3 === 0 ? 'KER-2' : 'KER-1';
        const event = createEvent({
          type: n % 2 === 0 ? EventTypes.ticketUpdated : EventTypes.ticketTransitioned,
          source: 'kera/test',
          subject: ticket,
          data: { ticket_id: ticket, actor },
        });
        const subject = environment.naming.ticketEvents(ticket);
        last = (await js.publish(subject, JSON.stringify(event))).seq;
      }
      await projectedThrough(db, environment.naming.stream('TICKETS'), last);
    };
    await publishSix('alice@example.com', 0);
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await publishSix('bob@example.com', 6);

    const seen: number[] = [];
    let next: string | null = null;
    do {
      const page: any = await (
        await api(`/api/audit?ticket=KER-1&limit=3${next ? `&after=${next}` : ''}`)
      ).json();
      seen.push(...page.items.map((item: { seq: number }) => item.seq));
      next = page.next;
    } while (next);
    expect(seen).toHaveLength(8);
    expect(seen).toEqual([...seen].sort((x, y) => x - y));

    const actors = async (query: string) =>
      ((await (await api(`/api/audit?${query}`)).json()) as any).items.map(
        (item: { actor: string }) => item.actor,
      );
    expect(await actors(`since=${between.toISOString()}`)).toEqual(
      Array(6).fill('bob@example.com'),
    );
    expect(await actors(`until=${between.toISOString()}&type=${EventTypes.ticketUpdated}`)).toEqual(
      Array(3).fill('alice@example.com'),
    );

    const bad = await api('/api/audit?limit=0&since=yesterday&tickt=KER-1&type=a&type=b');
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const problem: any = await bad.json();
    expect(problem.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'limit',
      'since',
      'tickt',
      'type',
    ]);

    const verified: any = await (await api('/api/audit/verify')).json();
    expect(verified).toMatchObject({ ok: true, entries: 12, head: { seq: 12 } });
  });
});
