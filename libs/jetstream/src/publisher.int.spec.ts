import { connect, type NatsConnection } from 'nats';
import { Naming, UnavailableError, createEvent } from '@kera/contracts';
import { ConcurrencyError, EVENT_HEADERS, EventPublisher } from './publisher';
import { provisionStreams } from './provisioning';
import { nextOnSubject } from './reading';
import { STREAMS } from '@kera/contracts';

const id = `p${Date.now().toString(36)}`;
const naming = new Naming({ subjectRoot: `kera_${id}`, streamPrefix: `KERA_${id.toUpperCase()}` });

describe('EventPublisher on a real JetStream', () => {
  let nc: NatsConnection;
  let publisher: EventPublisher;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    await provisionStreams(await nc.jetstreamManager(), naming, 1);
    publisher = new EventPublisher(nc);
  });

  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
  });

  const event = (subject: string) =>
    createEvent({ type: 'kera.ticket.updated', source: 'test', subject, data: {} });

  it('claims an empty subject with expected sequence 0 exactly once', async () => {
    const subject = naming.ticketEvents('KER-1');
    const first = await publisher.append(subject, event('KER-1'), {
      expectedLastSubjectSequence: 0,
    });
    expect(first.seq).toBeGreaterThan(0);
    await expect(
      publisher.append(subject, event('KER-1'), { expectedLastSubjectSequence: 0 }),
    ).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('rejects an append decided from a stale sequence and names the current one', async () => {
    const subject = naming.ticketEvents('KER-2');
    const a = await publisher.append(subject, event('KER-2'), { expectedLastSubjectSequence: 0 });
    await publisher.append(subject, event('KER-2'), { expectedLastSubjectSequence: a.seq });
    const error = await publisher
      .append(subject, event('KER-2'), { expectedLastSubjectSequence: a.seq })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConcurrencyError);
    expect((error as ConcurrencyError).status).toBe(409);
    expect((error as ConcurrencyError).lastSequence).toBeGreaterThan(a.seq);
  });

  it('stores a retried publish of the same event once', async () => {
    const subject = naming.ticketEvents('KER-3');
    const once = event('KER-3');
    const first = await publisher.append(subject, once);
    const again = await publisher.append(subject, once);
    expect(again.duplicate).toBe(true);
    expect(again.seq).toBe(first.seq);
    const jsm = await nc.jetstreamManager();
    const next = await nextOnSubject(jsm, naming.stream('TICKETS'), subject, first.seq + 1);
    expect(next).toBeNull();
  });

  it('stores the event with its headers, the extra ones included', async () => {
    const subject = naming.ticketEvents('KER-5');
    const stored = event('KER-5');
    const { seq } = await publisher.append(subject, stored, { headers: { 'Kera-Extra': 'a%20b' } });
    const message = await (
      await nc.jetstreamManager()
    ).streams.getMessage(naming.stream('TICKETS'), { seq });
    expect(message.json()).toEqual(JSON.parse(JSON.stringify(stored)));
    expect(message.header.get('Nats-Msg-Id')).toBe(stored.id);
    expect(message.header.get(EVENT_HEADERS.type)).toBe('kera.ticket.updated');
    expect(message.header.get('Kera-Extra')).toBe('a%20b');
  });

  it('answers many appends made at once, each with its own sequence', async () => {
    const subject = naming.ticketEvents('KER-6');
    const results = await Promise.all(
      Array.from({ length: 200 }, () => publisher.append(subject, event('KER-6'))),
    );
    expect(new Set(results.map((result) => result.seq)).size).toBe(200);
  });

  it('fails an append that no stream captures as the event store being unavailable', async () => {
    await expect(
      publisher.append(`kera_${id}_nowhere.subject`, event('KER-7')),
    ).rejects.toBeInstanceOf(UnavailableError);
  });

  it('reads a subject forward from a sequence', async () => {
    const subject = naming.ticketEvents('KER-4');
    const a = await publisher.append(subject, event('KER-4'));
    await publisher.append(naming.ticketEvents('KER-5'), event('KER-5'));
    const b = await publisher.append(subject, event('KER-4'));
    const jsm = await nc.jetstreamManager();
    const found = await nextOnSubject(jsm, naming.stream('TICKETS'), subject, a.seq + 1);
    expect(found?.seq).toBe(b.seq);
  });
});
