import { randomBytes, randomUUID } from 'node:crypto';
import { connect, headers, type ConsumerInfo, type NatsConnection } from 'nats';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { Naming, STREAMS } from '@kera/contracts';
import { createLogger } from '@kera/config';
import { provisionStreams } from '@kera/jetstream';
import { openDatabase } from '@kera/persistence';
import { dropDatabase, eventually } from '@kera/testing';
import { InboundDeliveries } from './inbound-deliveries';
import {
  DELIVERY_ID_HEADER,
  InboundLedger,
  LedgerNotCurrent,
  readerBehind,
} from './inbound-ledger';

jest.setTimeout(60_000);

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('InboundLedger on a real JetStream and Postgres', () => {
  const id = `l${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const naming = new Naming({
    subjectRoot: `kera_${id}`,
    streamPrefix: `KERA_${id.toUpperCase()}`,
  });
  const database = `kera_ledger_${id}`;
  const integrationId = randomUUID();
  const logger = createLogger('ledger-test', 'error');
  let nc: NatsConnection;
  let db: DataSource;
  let deliveries: InboundDeliveries;
  const running: InboundLedger[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    await provisionStreams(await nc.jetstreamManager(), naming, 1);
    db = await openDatabase({ url: `${SERVER}/${database}`, applicationName: 'ledger-test' });
    await db.query(
      `INSERT INTO integrations (id, provider, name, slug, token_sha256, secret)
       VALUES ($1, 'github', 'Ledger', $2, $3, 'secret')`,
      [integrationId, `ledger-${id}`, randomBytes(32)],
    );
    deliveries = new InboundDeliveries(db);
  });

  afterAll(async () => {
    for (const ledger of running) await ledger.onApplicationShutdown();
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
    await db?.destroy();
    await dropDatabase(`${SERVER}/${database}`);
  });

  async function startLedger(
    timing?: ConstructorParameters<typeof InboundLedger>[4],
  ): Promise<InboundLedger> {
    const ledger = new InboundLedger(nc, deliveries, naming, logger, timing);
    running.push(ledger);
    ledger.onApplicationBootstrap();
    await ledger.whenStarted(20_000);
    return ledger;
  }

  async function stopLedger(ledger: InboundLedger): Promise<void> {
    await ledger.onApplicationShutdown();
    running.splice(running.indexOf(ledger), 1);
  }

  /** Stores an accepted event as the gateway does: event id as message id, delivery id header. */
  async function storeEvent(deliveryId: string): Promise<{ eventId: string; seq: number }> {
    const eventId = randomUUID();
    const h = headers();
    h.set('Nats-Msg-Id', eventId);
    h.set(DELIVERY_ID_HEADER, encodeURIComponent(deliveryId));
    const ack = await nc
      .jetstream()
      .publish(naming.inboundAccepted('github', integrationId), Buffer.from('{}'), { headers: h });
    return { eventId, seq: ack.seq };
  }

  async function writtenPosition(): Promise<number> {
    const rows: { seq: string }[] = await db.query(
      'SELECT seq FROM inbound_ledger_positions WHERE stream = $1',
      [naming.stream('INBOUND')],
    );
    return Number(rows[0]?.seq ?? -1);
  }

  it('writes what the stream stores into the ledger, with the position, and knows it afterwards', async () => {
    const ledger = await startLedger();
    const fresh = randomUUID();
    expect(ledger.verdict(fresh)).toBe('new');

    // Spaces at either end and characters beyond ASCII survive the trip through the header.
    const deliveryId = ` delivery ${randomUUID()} é `;
    const stored = await storeEvent(deliveryId);
    ledger.stored(stored.seq);

    await eventually(async () =>
      (await deliveries.wasAccepted(integrationId, deliveryId)) ? true : undefined,
    );
    await eventually(async () => ((await writtenPosition()) >= stored.seq ? true : undefined));
    expect(ledger.verdict(stored.eventId)).toBe('maybe');
    expect(ledger.verdict(randomUUID())).toBe('new');
    await stopLedger(ledger);
  });

  it('knows an event it read but could not write yet, without Postgres', async () => {
    const ledger = await startLedger();
    const blocker = new Client({ connectionString: `${SERVER}/${database}` });
    await blocker.connect();
    try {
      // Every ledger write waits for this lock, as if Postgres did not answer.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE inbound_ledger_positions IN ACCESS EXCLUSIVE MODE');
      const deliveryId = randomUUID();
      const stored = await storeEvent(deliveryId);

      await eventually(async () =>
        ledger.verdict(stored.eventId) === 'stored' ? true : undefined,
      );
      expect(await deliveries.wasAccepted(integrationId, deliveryId)).toBe(false);

      await blocker.query('ROLLBACK');
      await eventually(async () =>
        (await deliveries.wasAccepted(integrationId, deliveryId)) ? true : undefined,
      );
      await eventually(async () => (ledger.verdict(stored.eventId) === 'maybe' ? true : undefined));
    } finally {
      await blocker.end();
      await stopLedger(ledger);
    }
  });

  it('after a restart, knows the ledger rows and reads on from where the ledger was written', async () => {
    const first = await startLedger();
    const before = await storeEvent(randomUUID());
    await eventually(async () => ((await writtenPosition()) >= before.seq ? true : undefined));
    await stopLedger(first);

    // Stored while no gateway read the stream, and a row only Postgres knows.
    const deliveryId = randomUUID();
    const meanwhile = await storeEvent(deliveryId);
    const onlyInPostgres = { integrationId, deliveryId: randomUUID(), eventId: randomUUID() };
    await deliveries.write(naming.stream('INBOUND'), [onlyInPostgres], before.seq);

    const second = await startLedger();
    expect(second.verdict(meanwhile.eventId)).not.toBe('new');
    expect(second.verdict(onlyInPostgres.eventId)).toBe('maybe');
    expect(second.verdict(before.eventId)).toBe('maybe');
    expect(second.verdict(randomUUID())).toBe('new');
    await eventually(async () =>
      (await deliveries.wasAccepted(integrationId, deliveryId)) ? true : undefined,
    );
    await stopLedger(second);
  });

  it('keeps every id through a rebuild of its filter', async () => {
    const ledger = await startLedger();
    const stored = await storeEvent(randomUUID());
    await eventually(async () => ((await writtenPosition()) >= stored.seq ? true : undefined));

    const during = storeEvent(randomUUID());
    await ledger.rebuild();
    const late = await during;

    expect(ledger.verdict(stored.eventId)).toBe('maybe');
    await eventually(async () => (ledger.verdict(late.eventId) !== 'new' ? true : undefined));
    await stopLedger(ledger);
  });

  it('ends a wait for an event the stream no longer holds once JetStream says nothing is left to read', async () => {
    const ledger = await startLedger({ maxReadLagMs: 400, progressCheckMs: 100 });
    const { eventId, seq } = await storeEvent(`late-${randomUUID()}`);
    await eventually(async () => (ledger.verdict(eventId) !== 'new' ? true : undefined));

    // An event awaited that the stream will never hand over (removed by its age limit, say):
    // JetStream says the reader has nothing left to read, so the wait ends and answers go on.
    ledger.stored(seq + 1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(() => ledger.verdict(randomUUID())).not.toThrow();

    // Without the progress check the same wait would stop answers once the limit passed.
    const unchecked = await startLedger({ maxReadLagMs: 400, progressCheckMs: 3_600_000 });
    unchecked.stored(seq + 1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(() => unchecked.verdict(randomUUID())).toThrow(LedgerNotCurrent);
    await stopLedger(unchecked);
    await stopLedger(ledger);
  });

  it('counts a reader as behind while the server holds or has handed over what it has not read', () => {
    const at = (pending: number, delivered: number) =>
      ({
        num_pending: pending,
        delivered: { stream_seq: delivered, consumer_seq: 0 },
      }) as ConsumerInfo;
    expect(readerBehind(at(0, 10), 10)).toBe(false);
    expect(readerBehind(at(0, 10), 12)).toBe(false);
    expect(readerBehind(at(3, 10), 10)).toBe(true);
    expect(readerBehind(at(0, 11), 10)).toBe(true);
  });

  it('refuses to answer until it has read the stream, so that nothing is taken for new', async () => {
    const elsewhere = new Naming({
      subjectRoot: `kera_${id}_none`,
      streamPrefix: `KERA_${id.toUpperCase()}_NONE`,
    });
    // No INBOUND stream there: the ledger cannot start.
    const ledger = new InboundLedger(nc, deliveries, elsewhere, logger);
    running.push(ledger);
    ledger.onApplicationBootstrap();

    await expect(ledger.whenStarted(300)).rejects.toBeInstanceOf(LedgerNotCurrent);
    expect(() => ledger.verdict(randomUUID())).toThrow(LedgerNotCurrent);
    await stopLedger(ledger);
  });
});
