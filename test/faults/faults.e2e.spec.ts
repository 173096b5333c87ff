import {
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
  FAULT_DRAIN_TIMEOUT_MS,
  FAULT_SCALE,
  FAULT_TICKETS,
  allReady,
  expectNothingLost,
  figuresTable,
  prepareProject,
  runWithFaults,
  sleep,
  type Fault,
} from './support/fault-run';
import { report } from './support/table';

/** How long NATS or Postgres stays down in a restart. */
const DOWN_MS = 3000;

// 10,000 transitions on a busy machine plus a drain that may wait out a 15-minute deferral.
jest.setTimeout(60 * 60_000);

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

describe(`fault suite on one node: ${FAULT_SCALE} transitions with send_webhook actions`, () => {
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
      const prepared = await prepareProject(system, receiver, FAULT_TICKETS);
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
        drainTimeoutMs: FAULT_DRAIN_TIMEOUT_MS,
      });

      report('Faults on one node (own nats-server and Postgres):', figuresTable(result));
      expectNothingLost(result);
    } finally {
      await system?.stop();
      await nats.destroy();
      await postgres.destroy();
    }
  });
});
