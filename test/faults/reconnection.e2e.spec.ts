import {
  NatsServer,
  PostgresServer,
  eventually,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';
import { allReady, prepareProject, sleep } from './support/fault-run';
import { countAuditEntries } from './support/ledger';
import { report } from './support/table';

/** How long NATS or Postgres stays away. */
const OUTAGE_MS = Number(process.env.KERA_FAULT_OUTAGE_MS ?? 30_000);

jest.setTimeout(10 * 60_000);

interface OutageObservation {
  /** Services whose /readyz answered 503 during the outage. */
  red: Set<string>;
  /** Services whose process exited during the outage. */
  exited: string[];
  /** Status of a transition requested during the outage (null: no answer). */
  transitionStatus: number | null;
}

/** Keeps the dependency away for OUTAGE_MS while probing readiness, liveness and the API. */
async function observeOutage(
  system: RunningSystem,
  ticket: string,
  restore: () => Promise<void>,
): Promise<OutageObservation> {
  const red = new Set<string>();
  const until = Date.now() + OUTAGE_MS;
  const transition = system
    .api(`/api/tickets/${ticket}/transitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'review', actor: 'outage@example.com' }),
      signal: AbortSignal.timeout(OUTAGE_MS),
    })
    .then((response) => response.status)
    .catch(() => null);
  while (Date.now() < until) {
    for (const service of system.instances) {
      const status = await fetch(`${service.healthUrl}/readyz`, {
        signal: AbortSignal.timeout(5000),
      })
        .then((response) => response.status)
        .catch(() => 0);
      if (status === 503) red.add(service.name);
    }
    await sleep(1000);
  }
  const exited = system.instances
    .filter((service) => service.child.exitCode !== null || service.child.signalCode !== null)
    .map((service) => service.name);
  const transitionStatus = await transition;
  await restore();
  return { red, exited, transitionStatus };
}

/** A transition made after the outage reaches the receiver and the audit trail. */
async function expectWorkResumes(system: RunningSystem, receiver: Receiver, ticket: string) {
  await allReady(system, 120_000);
  const before = receiver.requests.length;
  const state = await system
    .api(`/api/tickets/${ticket}`)
    .then((r) => r.json() as Promise<{ state: string }>);
  const to = state.state === 'open' ? 'review' : 'open';
  const moved = await eventually(
    async () => {
      const response = await system.api(`/api/tickets/${ticket}/transitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, actor: 'after@example.com' }),
      });
      return response.status === 200
        ? ((await response.json()) as { event: { id: string } })
        : undefined;
    },
    60_000,
    'a transition accepted after the outage',
  );
  await receiver.waitFor(before + 1, 60_000);
  await eventually(
    async () => {
      const audit = await system.api(`/api/audit?ticket=${ticket}&limit=200`);
      const body = (await audit.json()) as { items: { event_id: string }[] };
      return body.items.some((item) => item.event_id === moved.event.id) ? true : undefined;
    },
    60_000,
    'the transition in the audit trail',
  );
}

function describeOutage(what: string, observation: OutageObservation): void {
  report(
    `${what} gone for ${OUTAGE_MS / 1000} s:`,
    [
      `readiness red: ${[...observation.red].sort().join(', ') || 'none'}`,
      `processes exited: ${observation.exited.join(', ') || 'none'}`,
      `transition during the outage answered: ${observation.transitionStatus ?? 'no answer'}`,
    ].join('\n'),
  );
}

describe('reconnection: NATS or Postgres away for a while', () => {
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver?.close();
  });

  it('turns readiness red while NATS is away, keeps every process alive and resumes by itself', async () => {
    const nats = await NatsServer.start();
    let system: RunningSystem | undefined;
    try {
      system = await startSystem({ natsUrl: nats.url });
      const ticket = (await prepareProject(system, receiver, 1)).tickets[0];

      await nats.kill();
      const observation = await observeOutage(system, ticket as string, () => nats.start());

      describeOutage('NATS', observation);
      expect([...observation.red].sort()).toEqual(['audit', 'dispatcher', 'gateway', 'workflow']);
      expect(observation.exited).toEqual([]);
      expect(observation.transitionStatus).toBe(503);
      await expectWorkResumes(system, receiver, ticket as string);
    } finally {
      await system?.stop();
      await nats.destroy();
    }
  });

  it('turns readiness red while Postgres is away, keeps every process alive and resumes by itself', async () => {
    const postgres = await PostgresServer.start();
    let system: RunningSystem | undefined;
    try {
      system = await startSystem({ postgresUrl: postgres.url });
      const ticket = (await prepareProject(system, receiver, 1)).tickets[0];
      const auditedBefore = await countAuditEntries(system.environment.databaseUrl);

      await postgres.stop();
      const observation = await observeOutage(system, ticket as string, () => postgres.start());

      describeOutage('Postgres', observation);
      expect([...observation.red].sort()).toEqual(['audit', 'dispatcher', 'gateway', 'workflow']);
      expect(observation.exited).toEqual([]);
      expect(observation.transitionStatus).toBe(503);
      await expectWorkResumes(system, receiver, ticket as string);
      expect(await countAuditEntries(system.environment.databaseUrl)).toBeGreaterThan(
        auditedBefore,
      );
    } finally {
      await system?.stop();
      await postgres.destroy();
    }
  });
});
