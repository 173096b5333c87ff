import {
  NatsCluster,
  NatsServer,
  PostgresServer,
  SERVICE_NAMES,
  startReceiver,
  startSystem,
  stopService,
  type Receiver,
  type RunningSystem,
  type ServiceName,
} from '@kera/testing';
import {
  FAULT_SCALE,
  allReady,
  figuresTable,
  prepareProject,
  runWithFaults,
  sleep,
  type Fault,
  type FaultRunResult,
} from './support/fault-run';
import { report } from './support/table';

const TICKETS = 24;
/** How long NATS or Postgres stays down in a restart. */
const DOWN_MS = 3000;
// A dispatcher killed mid-delivery leaves messages that come back after its
// consumer's ack wait (120 s), so the drain allows for that and more.
const DRAIN_TIMEOUT_MS = 240_000;

jest.setTimeout(30 * 60_000);

/** SIGKILL of one process of a service (by its process object), then a restart on its port. */
function serviceKill(system: RunningSystem, name: ServiceName): Fault {
  return {
    name: `SIGKILL ${name}`,
    inject: async () => {
      const victim = system.instances.find((service) => service.name === name);
      if (!victim) throw new Error(`no ${name} process`);
      await stopService(victim, 'SIGKILL');
      await system.restart(victim);
      await allReady(system);
    },
  };
}

function natsRestart(system: RunningSystem, nats: NatsServer): Fault {
  return {
    name: 'NATS SIGKILL + restart',
    inject: async () => {
      await nats.kill();
      await sleep(DOWN_MS);
      await nats.start();
      await allReady(system);
    },
  };
}

function postgresRestart(system: RunningSystem, postgres: PostgresServer): Fault {
  return {
    name: 'Postgres crash + restart',
    inject: async () => {
      await postgres.crash();
      await sleep(DOWN_MS);
      await postgres.start();
      await allReady(system);
    },
  };
}

function clusterNodeLoss(system: RunningSystem, cluster: NatsCluster): Fault {
  return {
    name: 'NATS node SIGKILL (R3)',
    inject: async () => {
      const victim = cluster.servers[Math.floor(Math.random() * cluster.servers.length)];
      await victim?.kill();
      await allReady(system);
    },
  };
}

/** Nothing accepted may be lost and nothing may be done twice beyond at-least-once delivery. */
function expectNothingLost(result: FaultRunResult): void {
  const total = result.figures[result.figures.length - 1];
  expect(result.busy).toEqual([]);
  expect(total?.accepted).toBeGreaterThanOrEqual(FAULT_SCALE);
  expect(total).toMatchObject({
    acceptedWithoutOneEvent: 0,
    auditMissing: 0,
    auditDuplicated: 0,
    actionsWithoutAttempt: 0,
    lost: 0,
    inboundWithoutOneEvent: 0,
  });
  expect(total?.inboundAccepted).toBe(total?.inboundSent);
}

describe(`fault suite: ${FAULT_SCALE} transitions with send_webhook actions`, () => {
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver?.close();
  });

  it('loses nothing through a SIGKILL of each service, a NATS restart and a Postgres restart', async () => {
    const nats = await NatsServer.start();
    const postgres = await PostgresServer.start();
    let system: RunningSystem | undefined;
    try {
      system = await startSystem({ natsUrl: nats.url, postgresUrl: postgres.url });
      const prepared = await prepareProject(system, receiver, TICKETS);
      const faults = [
        ...SERVICE_NAMES.map((name) => serviceKill(system as RunningSystem, name)),
        natsRestart(system, nats),
        postgresRestart(system, postgres),
      ];

      const result = await runWithFaults({
        system,
        receiver,
        prepared,
        faults,
        target: FAULT_SCALE,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      });

      report('Faults on one node (own nats-server and Postgres):', figuresTable(result));
      expectNothingLost(result);
    } finally {
      await system?.stop();
      await nats.destroy();
      await postgres.destroy();
    }
  });

  it('loses nothing when one node of a 3-node NATS cluster with R3 streams is killed', async () => {
    const cluster = await NatsCluster.start(3);
    let system: RunningSystem | undefined;
    try {
      system = await startSystem({
        natsUrl: cluster.url,
        extraEnv: { KERA_STREAM_REPLICAS: '3' },
      });
      const prepared = await prepareProject(system, receiver, TICKETS);

      const result = await runWithFaults({
        system,
        receiver,
        prepared,
        faults: [clusterNodeLoss(system, cluster)],
        target: FAULT_SCALE,
        drainTimeoutMs: DRAIN_TIMEOUT_MS,
      });

      report('Faults on a 3-node NATS cluster (R3 streams):', figuresTable(result));
      expectNothingLost(result);
    } finally {
      await system?.stop();
      await cluster.destroy();
    }
  });
});
