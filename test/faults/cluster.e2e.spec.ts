import {
  NatsCluster,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
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
  type Fault,
} from './support/fault-run';
import { report } from './support/table';

// 10,000 transitions on a busy machine plus a drain that may wait out a 15-minute deferral.
jest.setTimeout(60 * 60_000);

/** SIGKILL of one node, chosen at random; it stays down for the rest of the run. */
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

describe(`fault suite on a NATS cluster: ${FAULT_SCALE} transitions with send_webhook actions`, () => {
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver?.close();
  });

  it('loses nothing when one node of a 3-node NATS cluster with R3 streams is killed', async () => {
    const cluster = await NatsCluster.start(3);
    let system: RunningSystem | undefined;
    try {
      system = await startSystem({
        natsUrl: cluster.url,
        extraEnv: { KERA_STREAM_REPLICAS: '3' },
      });
      const prepared = await prepareProject(system, receiver, FAULT_TICKETS);

      const result = await runWithFaults({
        system,
        receiver,
        prepared,
        faults: [clusterNodeLoss(system, cluster)],
        target: FAULT_SCALE,
        drainTimeoutMs: FAULT_DRAIN_TIMEOUT_MS,
      });

      report('Faults on a 3-node NATS cluster (R3 streams):', figuresTable(result));
      expectNothingLost(result);
    } finally {
      await system?.stop();
      await cluster.destroy();
    }
  });
});
