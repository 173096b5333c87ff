import { createHmac, randomBytes } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { startIngressBaseline, type IngressBaseline } from './ingress-baseline';

describe('the ingress baseline server', () => {
  const id = randomBytes(4).toString('hex');
  const stream = `BENCH_BASELINE_${id.toUpperCase()}`;
  const subject = `bench_${id}.inbound`;
  const secret = 'baseline-test-secret';
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let baseline: IngressBaseline;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: stream, subjects: [subject], max_bytes: 64 * 1024 * 1024 });
    baseline = await startIngressBaseline({ natsUrl: '127.0.0.1:4222', subject, secret });
  });

  afterAll(async () => {
    await baseline?.close();
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  const post = (body: string, delivery: string, key = secret) =>
    fetch(`http://127.0.0.1:${baseline.port}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-delivery': delivery,
        'x-hub-signature-256': `sha256=${createHmac('sha256', key).update(body).digest('hex')}`,
      },
      body,
    });

  it('stores a verified delivery once per delivery id and answers 202 after storing it', async () => {
    const first = await post('{"action":"opened"}', 'delivery-1');
    const again = await post('{"action":"opened"}', 'delivery-1');

    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ delivery_id: 'delivery-1' });
    expect(again.status).toBe(202);
    const info = await jsm.streams.info(stream);
    expect(info.state.messages).toBe(1);
    const stored = await jsm.streams.getMessage(stream, { seq: 1 });
    expect(stored.string()).toBe('{"action":"opened"}');
    expect(stored.header.get('Nats-Msg-Id')).toBe('delivery-1');
  });

  it('refuses a body signed with another secret and stores nothing', async () => {
    const before = (await jsm.streams.info(stream)).state.messages;

    const refused = await post('{"action":"closed"}', 'delivery-2', 'another-secret');

    expect(refused.status).toBe(401);
    expect((await jsm.streams.info(stream)).state.messages).toBe(before);
  });
});
