import { connect, type NatsConnection } from 'nats';
import { Naming, STREAMS, UnavailableError, createEvent } from '@kera/contracts';
import { provisionStreams } from './provisioning';
import { EventPublisher } from './publisher';

const id = `v${Date.now().toString(36)}`;
const naming = new Naming({ subjectRoot: `kera_${id}`, streamPrefix: `KERA_${id.toUpperCase()}` });
/** A budget whose TICKETS share (35 %) holds only a few events. */
const TINY_BUDGET = 16 * 1024;

describe('stream provisioning on a real JetStream', () => {
  let nc: NatsConnection;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
  });

  afterEach(async () => {
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
  });

  afterAll(async () => {
    await nc.close();
  });

  const event = () =>
    createEvent({
      type: 'kera.ticket.updated',
      source: 'test',
      subject: 'KER-1',
      data: { note: 'x'.repeat(1000) },
    });

  it('refuses an append to a full ticket stream with a 503 that names the setting', async () => {
    const jsm = await nc.jetstreamManager();
    await provisionStreams(jsm, naming, 1, TINY_BUDGET);
    const publisher = new EventPublisher(nc);
    const subject = naming.ticketEvents('KER-1');

    let refusal: unknown;
    for (let i = 0; i < 20 && !refusal; i += 1) {
      refusal = await publisher.append(subject, event()).then(
        () => undefined,
        (error: unknown) => error,
      );
    }

    expect(refusal).toBeInstanceOf(UnavailableError);
    expect((refusal as UnavailableError).status).toBe(503);
    expect((refusal as Error).message).toContain('KERA_JETSTREAM_MAX_BYTES');
    const info = await jsm.streams.info(naming.stream('TICKETS'));
    expect(info.state.bytes).toBeLessThanOrEqual(info.config.max_bytes);
  });

  it('keeps the limit of a source-of-truth stream that holds more than a smaller budget allows', async () => {
    const jsm = await nc.jetstreamManager();
    await provisionStreams(jsm, naming, 1, 1024 ** 2);
    const publisher = new EventPublisher(nc);
    for (let i = 0; i < 5; i += 1) await publisher.append(naming.ticketEvents('KER-1'), event());
    const before = await jsm.streams.info(naming.stream('TICKETS'));

    const notes = await provisionStreams(jsm, naming, 1, TINY_BUDGET);

    const after = await jsm.streams.info(naming.stream('TICKETS'));
    expect(after.state.messages).toBe(5);
    expect(after.config.max_bytes).toBe(before.config.max_bytes);
    expect(notes).toEqual([expect.stringContaining(naming.stream('TICKETS'))]);
    const deliveries = await jsm.streams.info(naming.stream('DELIVERIES'));
    expect(deliveries.config.max_bytes).toBe(Math.floor(TINY_BUDGET * 0.25));
  });
});
