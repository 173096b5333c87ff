import { randomBytes } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { Registry } from 'prom-client';
import { createEvent, Naming, STREAMS } from '@kera/contracts';
import { EventPublisher, provisionConsumers, provisionStreams } from '@kera/jetstream';
import { registerConsumerLag } from './consumer-lag';

/** The value of one series in Prometheus text, or undefined when it is absent. */
function sample(text: string, metric: string, consumer: string): number | undefined {
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${metric}{`) && candidate.includes(consumer));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('consumer lag metrics', () => {
  const id = randomBytes(4).toString('hex');
  const naming = new Naming({ subjectRoot: `lag_${id}`, streamPrefix: `LAG_${id.toUpperCase()}` });
  const spec = { stream: 'TICKETS' as const, name: 'projector' };
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    jsm = await nc.jetstreamManager();
    await provisionStreams(jsm, naming, 1);
    await provisionConsumers(jsm, naming, [spec]);
  });

  afterAll(async () => {
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
  });

  it('reports pending and ack-pending messages of each durable consumer on scrape', async () => {
    const registry = new Registry();
    registerConsumerLag(registry, { jsm, naming, consumers: [spec], snapshotTtlMs: 0 });
    const durable = naming.durable(spec.name);

    const publisher = new EventPublisher(nc);
    for (const n of [1, 2, 3]) {
      const ticket = `KER-${n}`;
      await publisher.append(
        naming.ticketEvents(ticket),
        createEvent({ type: 'kera.ticket.created', source: 'test', subject: ticket, data: {} }),
      );
    }

    const before = await registry.metrics();
    expect(sample(before, 'kera_jetstream_consumer_pending_messages', durable)).toBe(3);
    expect(sample(before, 'kera_jetstream_consumer_ack_pending_messages', durable)).toBe(0);
    expect(sample(before, 'kera_jetstream_consumer_lag_messages', durable)).toBe(3);
    expect(before).toContain(`stream="${naming.stream('TICKETS')}"`);

    const consumer = await nc.jetstream().consumers.get(naming.stream('TICKETS'), durable);
    const taken = await consumer.next({ expires: 5000 });
    expect(taken).not.toBeNull();

    const during = await registry.metrics();
    expect(sample(during, 'kera_jetstream_consumer_pending_messages', durable)).toBe(2);
    expect(sample(during, 'kera_jetstream_consumer_ack_pending_messages', durable)).toBe(1);
    expect(sample(during, 'kera_jetstream_consumer_lag_messages', durable)).toBe(3);
  });

  it('leaves out a consumer it cannot read and counts the failure', async () => {
    const registry = new Registry();
    const missing = { stream: 'TICKETS' as const, name: 'never-created' };
    registerConsumerLag(registry, { jsm, naming, consumers: [missing] });

    const text = await registry.metrics();

    const durable = naming.durable(missing.name);
    expect(sample(text, 'kera_jetstream_consumer_pending_messages', durable)).toBeUndefined();
    expect(sample(text, 'kera_jetstream_consumer_info_errors_total', durable)).toBe(1);
  });

  it('registers nothing for a service without consumers', async () => {
    const registry = new Registry();
    registerConsumerLag(registry, { jsm, naming, consumers: [] });

    expect(await registry.metrics()).not.toContain('kera_jetstream_consumer');
  });
});
