import { connect, RetentionPolicy, StorageType } from 'nats';
import { NatsCluster, NatsServer } from './nats-server';
import { eventually } from './system';

jest.setTimeout(90_000);

describe('NatsServer', () => {
  it('keeps a stream and its messages through a SIGKILL and a restart on the same port', async () => {
    const server = await NatsServer.start();
    try {
      const nc = await connect({ servers: server.url });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({
        name: 'CRASH',
        subjects: ['crash.>'],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
      });
      await nc.jetstream().publish('crash.one', 'kept');
      await nc.close();
      const firstPid = server.pid;

      await server.kill();
      expect(server.running).toBe(false);
      await server.start();

      expect(server.pid).not.toBe(firstPid);
      const again = await connect({ servers: server.url });
      const info = await (await again.jetstreamManager()).streams.info('CRASH');
      expect(info.state.messages).toBe(1);
      await again.close();
    } finally {
      await server.destroy();
    }
  });
});

describe('NatsCluster', () => {
  it('serves a replicated stream while one of its three nodes is down', async () => {
    const cluster = await NatsCluster.start(3);
    try {
      const nc = await connect({ servers: cluster.url.split(',') });
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({
        name: 'R3',
        subjects: ['r3.>'],
        storage: StorageType.File,
        num_replicas: 3,
      });
      await nc.jetstream().publish('r3.before', 'a');

      await cluster.servers[0]?.kill();
      // The survivors may first have to elect a new stream leader.
      await eventually(
        () => nc.jetstream().publish('r3.after', 'b', { msgID: 'after', timeout: 5000 }),
        60_000,
        'a publish accepted by the two remaining nodes',
      );

      const info = await jsm.streams.info('R3');
      expect(info.config.num_replicas).toBe(3);
      expect(info.state.messages).toBe(2);
      await nc.close();
    } finally {
      await cluster.destroy();
    }
  });
});
