import { connect, headers, type NatsConnection } from 'nats';
import { randomUUID } from 'node:crypto';
import { Naming, STREAMS } from '@kera/contracts';
import { provisionStreams, translatePublishError } from '@kera/jetstream';
import { AckInbox } from './ack-inbox';

const id = `a${Date.now().toString(36)}`;
const naming = new Naming({ subjectRoot: `kera_${id}`, streamPrefix: `KERA_${id.toUpperCase()}` });

describe('AckInbox on a real JetStream', () => {
  let nc: NatsConnection;
  let acks: AckInbox;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    await provisionStreams(await nc.jetstreamManager(), naming, 1);
    acks = new AckInbox(nc, 5000);
  });

  afterAll(async () => {
    acks?.close();
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
  });

  function withMessageId(messageId: string) {
    const h = headers();
    h.set('Nats-Msg-Id', messageId);
    return h;
  }

  it('resolves with the stored sequence, and marks a second publish of the same id a duplicate', async () => {
    const subject = naming.inboundAccepted('github', 'integration-1');
    const messageId = randomUUID();

    const first = await acks.publish(subject, Buffer.from('{"n":1}'), withMessageId(messageId));
    const again = await acks.publish(subject, Buffer.from('{"n":1}'), withMessageId(messageId));

    expect(first).toEqual({ seq: expect.any(Number), duplicate: false });
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    const stored = await (
      await nc.jetstreamManager()
    ).streams.getMessage(naming.stream('INBOUND'), { seq: first.seq });
    expect(stored.json()).toEqual({ n: 1 });
  });

  it('answers many publishes at once, each with its own sequence', async () => {
    const subject = naming.inboundAccepted('github', 'integration-2');

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        acks.publish(subject, Buffer.from(String(n)), withMessageId(randomUUID())),
      ),
    );

    expect(new Set(results.map((result) => result.seq)).size).toBe(50);
  });

  it('fails a publish no stream captures as the event store being unavailable', async () => {
    const error = await acks
      .publish(`kera_${id}_nowhere.x`, Buffer.from('{}'), withMessageId(randomUUID()))
      .catch((failure: unknown) => failure);

    expect(translatePublishError(error, 'nowhere').name).toBe('UnavailableError');
  });
});
