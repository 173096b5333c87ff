import {
  NatsServer,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';
import { OutboundApi } from './support';

jest.setTimeout(120_000);

describe('the private-address guard of a system that allows no private range', () => {
  let nats: NatsServer;
  let system: RunningSystem;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    nats = await NatsServer.start();
    system = await startSystem({ natsUrl: nats.url, extraEnv: { KERA_OUTBOUND_ALLOW: '' } });
  });

  afterAll(async () => {
    await system?.stop();
    await nats?.destroy();
    await receiver?.close();
  });

  it('refuses a name that resolves to a loopback address and sends nothing', async () => {
    const api = new OutboundApi(system);
    const port = new URL(receiver.url).port;
    await api.putWorkflow('GUARD', [{ url: `http://localhost:${port}/hook` }]);

    const { ticket } = await api.transitionedTicket('GUARD');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({
      status: 'failed',
      status_code: null,
      error: { class: 'refused_address' },
    });
    expect(attempt?.error?.message).toContain('KERA_OUTBOUND_ALLOW');
    expect(receiver.requests).toHaveLength(0);
  });
});
