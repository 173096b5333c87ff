import {
  NatsServer,
  eventually,
  startReceiver,
  startSystem,
  stopService,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';
import { OutboundApi } from './support';

jest.setTimeout(180_000);

/** KERA_DISPATCH_CONCURRENCY of this suite: a receiver may hold a quarter, 2 slots. */
const SLOTS = 8;
const RECEIVER_SLOTS = SLOTS / 4;

/**
 * First attempts are sent straight from the transition event while the receiver has a free
 * slot; the rest go through the queue of `kera.delivery.requested` events. Two dispatcher
 * instances share the work, so attempt numbers must stay unique across them.
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
      instances: { dispatcher: 2 },
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
    // Sent at once or queued, each delivery's first attempt is number 1.
    expect(attempts.map((attempt) => attempt.attempt)).toEqual(Array(5).fill(1));
  });

  it('sends a first attempt again, with the same delivery id, when the dispatcher dies between the POST and its record', async () => {
    let heldClosed = false;
    const receiver: Receiver = await startReceiver((_request, response) => {
      // The first request hangs until the dispatcher that sent it is killed; later ones are
      // answered.
      if (receiver.requests.length > 1) response.writeHead(200).end('ok');
      else response.on('close', () => (heldClosed = true));
    });
    receivers.push(receiver);
    await api.putWorkflow('DIRECT', [{ url: receiver.url }]);

    const { ticket } = await api.transitionedTicket('DIRECT');
    await receiver.waitFor(1);
    // Which instance holds the POST is not known from outside: kill them one at a time (each
    // started again at once) until the held connection closes, so one instance is always up.
    for (const dispatcher of system.instances.filter((s) => s.name === 'dispatcher')) {
      await stopService(dispatcher, 'SIGKILL');
      expect(dispatcher.child.signalCode).toBe('SIGKILL');
      const closed = await eventually(async () => heldClosed || undefined, 3000).catch(() => false);
      await system.restart(dispatcher);
      if (closed) break;
    }
    expect(heldClosed).toBe(true);

    // JetStream hands the unacknowledged transition out again once its ack wait (30 s) ends,
    // to either instance. Attempt 1 may have reached the receiver: the new one is number 2.
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

    // A redelivery by hand counts on from there.
    const redelivered = await system.api(`/api/deliveries/${attempt?.delivery_id}/redeliver`, {
      method: 'POST',
    });
    expect(redelivered.status).toBe(202);
    const [latest] = await api.attempts(ticket, 2, 60_000);
    expect(latest).toMatchObject({ attempt: 3, redelivery: true, status: 'succeeded' });
  });
});
