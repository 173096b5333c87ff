import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { connect, type NatsConnection } from 'nats';
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  EventTypes,
  Naming,
  STREAMS,
  createEvent,
  type DeliveryOutcomeData,
} from '@kera/contracts';
import { createLogger } from '@kera/config';
import {
  EventPublisher,
  JetStreamTransport,
  provisionConsumers,
  provisionStreams,
} from '@kera/jetstream';
import { openDatabase } from '@kera/persistence';
import { dropDatabase, eventually } from '@kera/testing';
import { dispatcherConsumers, LOG_CONSUMER } from '../consumers';
import { DeliveryLogController } from './delivery-log.controller';
import { DeliveryLogRepository } from './delivery-log.repository';
import { RedeliveryService } from './redelivery.service';

jest.setTimeout(60_000);

const SERVER = 'postgres://postgres@127.0.0.1:5432';
const id = `l${Date.now().toString(36)}`;
const names = { subjectRoot: `kera_${id}`, streamPrefix: `KERA_${id.toUpperCase()}` };
const naming = new Naming(names);

/** The dispatcher's delivery log consumer, through the real transport and controller. */
describe('the delivery log projection on a real JetStream and Postgres', () => {
  const database = `kera_log_${randomBytes(4).toString('hex')}`;
  let nc: NatsConnection;
  let db: DataSource;
  let app: INestMicroservice | null = null;
  let publisher: EventPublisher;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await nc.jetstreamManager();
    await provisionStreams(jsm, naming, 1);
    await provisionConsumers(
      jsm,
      naming,
      dispatcherConsumers({ ...names, dispatchConcurrency: 4 } as never),
    );
    db = await openDatabase({ url: `${SERVER}/${database}` });
    publisher = new EventPublisher(nc);
  });

  afterAll(async () => {
    await app?.close();
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
    await db?.destroy();
    await dropDatabase(`${SERVER}/${database}`);
  });

  function outcome(ticket: string, attempt: number) {
    const data: DeliveryOutcomeData = {
      delivery_id: `dlv_${'a'.repeat(26)}`,
      event_id: randomUUID(),
      ticket_id: ticket,
      action_index: 0,
      url: 'http://127.0.0.1/hook',
      attempt,
      redelivery: false,
      status_code: 200,
      duration_ms: 3,
      error: null,
      response_excerpt: 'ok',
      event_seq: 1,
    };
    return createEvent({
      type: EventTypes.deliverySucceeded,
      source: 'test',
      subject: ticket,
      data,
    });
  }

  async function pendingAcks(): Promise<number> {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.consumers.info(
      naming.stream('DELIVERIES'),
      naming.durable(LOG_CONSUMER),
    );
    return info.num_ack_pending + info.num_pending;
  }

  it('writes every outcome once, in batches, and acknowledges each after its write', async () => {
    const log = new DeliveryLogRepository(db);
    const statements = jest.spyOn(log, 'record');
    @Module({
      controllers: [DeliveryLogController],
      providers: [
        { provide: DeliveryLogRepository, useValue: log },
        { provide: RedeliveryService, useValue: {} },
      ],
    })
    class LogModule {}
    const strategy = new JetStreamTransport({
      nc,
      naming,
      service: 'dispatcher-test',
      consumers: dispatcherConsumers({ ...names, dispatchConcurrency: 4 } as never),
      logger: createLogger('dispatcher-test', 'error'),
    });
    app = await NestFactory.createMicroservice(LogModule, { strategy, logger: false });
    await app.listen();

    // A burst (shares statements) and, after it, stragglers one at a time (written on their own).
    const burst = Array.from({ length: 300 }, (_, i) => outcome('KER-1', i + 1));
    await Promise.all(
      burst.map((event) => publisher.append(naming.deliveryEvents('KER-1'), event)),
    );
    const one = outcome('KER-2', 1);
    await publisher.append(naming.deliveryEvents('KER-2'), one);
    // The same outcome stored twice (as a publish repeated after JetStream's duplicate window
    // would be) is one row.
    await nc.jetstream().publish(naming.deliveryEvents('KER-2'), JSON.stringify(one));

    await eventually(
      async () => ((await pendingAcks()) === 0 ? true : undefined),
      15_000,
      'every outcome acknowledged',
    );
    const rows: { outcome_event_id: string; attempt: number }[] = await db.query(
      'SELECT outcome_event_id, attempt FROM deliveries ORDER BY id',
    );
    expect(rows.map((row) => row.outcome_event_id).sort()).toEqual(
      [...burst, one].map((event) => event.id).sort(),
    );
    // A burst shares statements (at most one begins per linger): far fewer than one per outcome.
    expect(statements.mock.calls.length).toBeLessThan(burst.length / 2);
  });
});
