import {
  NatsServer,
  eventually,
  startReceiver,
  startSystem,
  stopService,
  type Receiver,
  type RunningSystem,
  type ServiceProcess,
} from '@kera/testing';
import { OutboundApi } from './support';

jest.setTimeout(180_000);

/** KERA_DISPATCH_CONCURRENCY of this suite: a receiver may hold a quarter, 2 slots. */
const SLOTS = 8;
const RECEIVER_SLOTS = SLOTS / 4;

/**
 * First attempts are sent straight from the transition event while the receiver has a free
 * slot; the rest go through the queue of `kera.delivery.requested` events.
 */
describe('first attempts sent straight from the transition', () => {
  let nats: NatsServer;
  let system: RunningSystem;
  let api: OutboundApi;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    nats = await NatsServer.start();
    system = await startSystem({
      natsUrl: nats.url,
      extraEnv: { KERA_DISPATCH_CONCURRENCY: String(SLOTS) },
    });
    api = new OutboundApi(system);
  });

  afterAll(async () => {
    await system?.stop();
    await nats?.destroy();
    await Promise.all(receivers.map((receiver) => receiver.close()));
  });

  /** The audit entries of a ticket of one type, once the outcomes are projected. */
  async function audited(ticket: string, type: string, atLeast: number): Promise<unknown[]> {
    return eventually(
      async () => {
        const response = await system.api(`/api/audit?ticket=${ticket}&type=${type}&limit=200`);
        const { items } = (await response.json()) as { items: unknown[] };
        return items.length >= atLeast ? items : undefined;
      },
      30_000,
      `${atLeast} ${type} audit entries of ${ticket}`,
    );
  }

  it('sends what the receiver has slots for at once and queues only the rest', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const actions = Array.from({ length: 5 }, (_, i) => ({ url: `${receiver.url}/hook/${i}` }));
    await api.putWorkflow('SPLIT', actions);

    // The actions of a transition are started together: the first ones take the receiver's
    // slots before any POST is under way, and the others find none free.
    const { ticket } = await api.transitionedTicket('SPLIT');

    const attempts = await api.attempts(ticket, 5);
    await audited(ticket, 'kera.delivery.succeeded', 5);
    const requested = await audited(ticket, 'kera.delivery.requested', 0);
    expect(attempts.map((attempt) => attempt.status)).toEqual(Array(5).fill('succeeded'));
    expect(new Set(attempts.map((attempt) => attempt.delivery_id)).size).toBe(5);
    expect(receiver.requests.map((request) => request.url).sort()).toEqual(
      actions.map((action) => new URL(action.url).pathname).sort(),
    );
    expect(requested).toHaveLength(5 - RECEIVER_SLOTS);
  });

  it('sends a first attempt again, with the same delivery id, when the dispatcher dies between the POST and its record', async () => {
    const receiver: Receiver = await startReceiver((_request, response) => {
      // The first request hangs until the dispatcher is killed; later ones are answered.
      if (receiver.requests.length > 1) response.writeHead(200).end('ok');
    });
    receivers.push(receiver);
    await api.putWorkflow('DIRECT', [{ url: receiver.url }]);

    const { ticket } = await api.transitionedTicket('DIRECT');
    await receiver.waitFor(1);
    const dispatcher = system.services.get('dispatcher') as ServiceProcess;
    await stopService(dispatcher, 'SIGKILL');
    expect(dispatcher.child.signalCode).toBe('SIGKILL');
    await system.restart(dispatcher);

    // JetStream hands the unacknowledged transition out again once its ack wait (30 s) ends.
    const requests = await receiver.waitFor(2, 90_000);
    const [attempt] = await api.attempts(ticket, 1, 60_000);
    expect(requests[1]?.headers['x-kera-delivery']).toBe(requests[0]?.headers['x-kera-delivery']);
    expect(requests[1]?.body).toBe(requests[0]?.body);
    expect(attempt).toMatchObject({
      delivery_id: requests[0]?.headers['x-kera-delivery'],
      attempt: 2,
      status: 'succeeded',
      redelivery: false,
    });
    // Sent from the transition both times: no request event was stored for it.
    await audited(ticket, 'kera.delivery.succeeded', 1);
    expect(await audited(ticket, 'kera.delivery.requested', 0)).toHaveLength(0);
  });
});
