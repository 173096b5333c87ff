import {
  NatsServer,
  startReceiver,
  startSystem,
  stopService,
  type Receiver,
  type RunningSystem,
  type ServiceProcess,
} from '@kera/testing';
import { OutboundApi, pause } from './support';

jest.setTimeout(180_000);

describe('deliveries across a dispatcher crash', () => {
  let nats: NatsServer;
  let system: RunningSystem;
  let api: OutboundApi;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    system = await startSystem({ natsUrl: nats.url });
    api = new OutboundApi(system);
  });

  afterAll(async () => {
    await system?.stop();
    await nats?.destroy();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  async function crashDispatcher(): Promise<ServiceProcess> {
    const dispatcher = system.services.get('dispatcher') as ServiceProcess;
    await stopService(dispatcher, 'SIGKILL');
    expect(dispatcher.child.signalCode).toBe('SIGKILL');
    return dispatcher;
  }

  it('keeps an opt-in retry in JetStream while the dispatcher is down, and runs it after', async () => {
    const receiver = await startReceiver((_request, response) => response.writeHead(500).end());
    receivers.push(receiver);
    await api.putWorkflow('RETRY', [{ url: receiver.url, retry: { attempts: 2 } }]);

    const { ticket } = await api.transitionedTicket('RETRY');
    await api.attempts(ticket, 1);
    const dead = await crashDispatcher();
    const beforeRestart = receiver.requests.length;
    await system.restart(dead);

    const attempts = await api.attempts(ticket, 3);
    await pause(4000);
    expect(beforeRestart).toBe(1);
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((request) => request.headers['x-kera-delivery']));
    expect(ids.size).toBe(1);
    expect(attempts.map(({ attempt, status }) => [attempt, status])).toEqual([
      [3, 'failed'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
  });

  it('sends a delivery cut short by a crash again, with the same delivery id, as a new attempt', async () => {
    const receiver = await startReceiver((_request, response) => {
      // The first request hangs until the dispatcher dies; later ones are answered.
      if (receiver.requests.length > 1) response.writeHead(200).end('ok');
    });
    receivers.push(receiver);
    await api.putWorkflow('CRASH', [{ url: receiver.url, timeout_ms: 60_000 }]);

    const { ticket } = await api.transitionedTicket('CRASH');
    await receiver.waitFor(1);
    const dead = await crashDispatcher();
    await system.restart(dead);

    const requests = await receiver.waitFor(2, 60_000);
    const [attempt] = await api.attempts(ticket, 1);
    expect(requests[1]?.headers['x-kera-delivery']).toBe(requests[0]?.headers['x-kera-delivery']);
    expect(requests[1]?.body).toBe(requests[0]?.body);
    // Attempt 1 started but was never recorded: the number it took stays a visible gap.
    expect(attempt).toMatchObject({ attempt: 2, status: 'succeeded', redelivery: false });
  });
});
