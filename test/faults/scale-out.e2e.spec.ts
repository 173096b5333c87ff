import {
  NatsServer,
  readMetric,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
  type ServiceName,
  type ServiceProcess,
} from '@kera/testing';
import {
  FAULT_SCALE,
  expectNothingLost,
  figuresTable,
  prepareProject,
  runWithFaults,
} from './support/fault-run';
import { formatTable, report } from './support/table';

const INSTANCES = { gateway: 2, workflow: 2, dispatcher: 3, audit: 2 } as const;
const TICKETS = 24;

jest.setTimeout(20 * 60_000);

interface Subscription {
  subject: string;
  msgs: number;
}

/**
 * Transition commands each workflow process received, from the broker's own
 * books: /connz lists every connection (named kera-<service>-<instance>)
 * with the messages delivered to each of its subscriptions.
 */
async function commandsPerWorkflowConnection(nats: NatsServer, subject: string): Promise<number[]> {
  const response = await fetch(`${nats.monitorUrl}/connz?subs=detail&limit=1000`);
  const body = (await response.json()) as {
    connections: { name?: string; subscriptions_list_detail?: Subscription[] }[];
  };
  return body.connections
    .filter((connection) => connection.name?.startsWith('kera-workflow-'))
    .map(
      (connection) =>
        connection.subscriptions_list_detail?.find((sub) => sub.subject === subject)?.msgs ?? 0,
    );
}

function processesOf(system: RunningSystem, name: ServiceName): ServiceProcess[] {
  return system.instances.filter((service) => service.name === name);
}

async function metricPerProcess(processes: ServiceProcess[], metric: string): Promise<number[]> {
  return Promise.all(
    processes.map(async (service) => (await readMetric(service.healthUrl, metric)) ?? 0),
  );
}

describe('several instances of each service', () => {
  let receiver: Receiver;
  let nats: NatsServer;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    nats = await NatsServer.start();
    system = await startSystem({ natsUrl: nats.url, instances: INSTANCES });
  });

  afterAll(async () => {
    await system?.stop();
    await nats?.destroy();
    await receiver?.close();
  });

  it('shares the work among the instances and does nothing twice', async () => {
    const running = system as RunningSystem;
    const prepared = await prepareProject(running, receiver, TICKETS);

    const result = await runWithFaults({
      system: running,
      receiver,
      prepared,
      faults: [],
      target: FAULT_SCALE,
      drainTimeoutMs: 120_000,
    });

    const perGateway = processesOf(running, 'gateway').map(
      (gateway) =>
        result.attempts.filter((a) => a.gateway === gateway.healthUrl && a.outcome === 'accepted')
          .length,
    );
    const perWorkflow = await commandsPerWorkflowConnection(
      nats,
      running.environment.naming.command('ticket.transition'),
    );
    const perDispatcher = await metricPerProcess(
      processesOf(running, 'dispatcher'),
      'kera_outbound_deliveries_total',
    );
    const perAudit = await metricPerProcess(
      processesOf(running, 'audit'),
      'kera_audit_entries_written_total',
    );
    const total = result.figures[result.figures.length - 1];
    report(
      `Scale-out: ${Object.entries(INSTANCES)
        .map(([name, n]) => `${n} ${name}`)
        .join(', ')}`,
      [
        figuresTable(result),
        formatTable(
          ['work', 'per instance', 'sum', 'expected'],
          [
            [
              'transitions answered by gateway',
              perGateway.join(' / '),
              sum(perGateway),
              total?.accepted ?? 0,
            ],
            [
              'transition commands per workflow',
              perWorkflow.join(' / '),
              sum(perWorkflow),
              total?.requests ?? 0,
            ],
            [
              'POSTs per dispatcher',
              perDispatcher.join(' / '),
              sum(perDispatcher),
              total?.actions ?? 0,
            ],
            ['audit entries per audit', perAudit.join(' / '), sum(perAudit), '(all events)'],
          ],
        ),
      ].join('\n'),
    );

    expectNothingLost(result);
    // Without faults, not even at-least-once redelivery may repeat a POST.
    expect(total?.duplicates).toBe(0);
    // Shared: every process did part of the work of its service.
    for (const counts of [perGateway, perWorkflow, perDispatcher]) {
      expect(counts.every((count) => count > 0)).toBe(true);
    }
    // Not duplicated: one POST per action and one command handling per request, across instances.
    expect(sum(perDispatcher)).toBe(total?.actions);
    expect(sum(perWorkflow)).toBe(total?.requests);
    // The audit trail is written by whichever instance leads each stream; together, once each.
    expect(perWorkflow).toHaveLength(INSTANCES.workflow);
    expect(sum(perAudit)).toBe(total?.events);
  });
});

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
