import {
  Catch,
  Controller,
  Module,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestMicroservice,
} from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { connect, type NatsConnection } from 'nats';
import { throwError } from 'rxjs';
import { NotFoundError, Naming, STREAMS, createEvent } from '@kera/contracts';
import { createLogger } from '@kera/config';
import { CommandClient } from './command-client';
import { provisionConsumers, provisionStreams, type ConsumerSpec } from './provisioning';
import { EventPublisher } from './publisher';
import { JetStreamTransport, type StreamMessage } from './transport';

const id = `tr${Date.now().toString(36)}`;
const naming = new Naming({ subjectRoot: `kera_${id}`, streamPrefix: `KERA_${id.toUpperCase()}` });
const consumers: ConsumerSpec[] = [
  { stream: 'TICKETS', name: 'each', ackWaitMs: 2000 },
  { stream: 'WORKFLOWS', name: 'batched' },
  { stream: 'DELIVERIES', name: 'lingering' },
  { stream: 'INTEGRATIONS', name: 'backlog' },
];

const seen = {
  each: [] as StreamMessage[],
  batches: [] as number[][],
  lingering: [] as number[][],
  backlog: [] as number[][],
};
let failFirst = true;

@Controller()
class ProbeController {
  @EventPattern('each')
  async each(@Payload() message: StreamMessage) {
    if (failFirst) {
      failFirst = false;
      throw new Error('first delivery fails');
    }
    seen.each.push(message);
  }

  @EventPattern('batched', { batch: 50 })
  async batched(@Payload() messages: StreamMessage[]) {
    seen.batches.push(messages.map((m) => m.seq));
  }

  @EventPattern('lingering', { batch: 50, lingerMs: 400 })
  async lingering(@Payload() messages: StreamMessage[]) {
    seen.lingering.push(messages.map((m) => m.seq));
  }

  @EventPattern('backlog', { batch: 200 })
  async backlog(@Payload() messages: StreamMessage[]) {
    seen.backlog.push(messages.map((m) => m.seq));
  }

  @MessagePattern('ticket.get')
  get(@Payload() payload: { ticket_id: string }) {
    if (payload.ticket_id === 'KER-404') throw new NotFoundError('no ticket KER-404');
    return { id: payload.ticket_id };
  }
}

@Catch()
class RethrowFilter implements ExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost) {
    return throwError(() => exception);
  }
}

@Module({
  controllers: [ProbeController],
  providers: [{ provide: APP_FILTER, useClass: RethrowFilter }],
})
class ProbeModule {}

async function until(check: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('JetStreamTransport', () => {
  let nc: NatsConnection;
  let app: INestMicroservice;

  beforeAll(async () => {
    nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await nc.jetstreamManager();
    await provisionStreams(jsm, naming, 1);
    await provisionConsumers(jsm, naming, consumers);
    const strategy = new JetStreamTransport({
      nc,
      naming,
      service: 'probe',
      consumers,
      logger: createLogger('probe', 'silent'),
    });
    app = await NestFactory.createMicroservice(ProbeModule, { strategy, logger: false });
    await app.listen();
  });

  afterAll(async () => {
    await app.close();
    const jsm = await nc.jetstreamManager();
    for (const key of STREAMS) await jsm.streams.delete(naming.stream(key)).catch(() => undefined);
    await nc.close();
  });

  it('redelivers a message whose handler failed and acknowledges it once handled', async () => {
    const publisher = new EventPublisher(nc);
    const event = createEvent({
      type: 'kera.ticket.updated',
      source: 't',
      subject: 'KER-1',
      data: {},
    });
    await publisher.append(naming.ticketEvents('KER-1'), event);

    await until(() => seen.each.length === 1);
    expect(seen.each[0]?.event?.id).toBe(event.id);
    expect(seen.each[0]?.deliveryCount).toBe(2);

    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await (
      await nc.jetstreamManager()
    ).consumers.info(naming.stream('TICKETS'), naming.durable('each'));
    expect(after.num_pending).toBe(0);
    expect(after.num_ack_pending).toBe(0);
  });

  /** Appends `count` numbered events of one type on the subject; their stream sequences. */
  async function appendNumbered(subject: string, type: string, count: number): Promise<number[]> {
    const publisher = new EventPublisher(nc);
    const published: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const event = createEvent({ type, source: 't', subject: 'probe', data: { i } });
      published.push((await publisher.append(subject, event)).seq);
    }
    return published;
  }

  it('hands a batch handler every message in stream order', async () => {
    const published = await appendNumbered(
      naming.workflowEvents('KER'),
      'kera.workflow.updated',
      120,
    );
    await until(() => seen.batches.flat().length >= 120);
    expect(seen.batches.flat()).toEqual(published);
    expect(Math.max(...seen.batches.map((batch) => batch.length))).toBeLessThanOrEqual(50);
  });

  it('hands a lingering batch handler a message at once after a quiet spell, and the next ones together', async () => {
    const publisher = new EventPublisher(nc);
    const append = async () =>
      (
        await publisher.append(
          naming.deliveryEvents('KER-9'),
          createEvent({ type: 'kera.delivery.succeeded', source: 't', subject: 'KER-9', data: {} }),
        )
      ).seq;

    const first = await append();
    await until(() => seen.lingering.length === 1);
    // Each of these finds nothing else waiting, but arrives within the linger of the first.
    const rest: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      rest.push(await append());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await until(() => seen.lingering.flat().length === 6);

    expect(seen.lingering[0]).toEqual([first]);
    expect(seen.lingering.slice(1)).toEqual([rest]);
  });

  it('hands on a batch that ends where the client asks the server for more', async () => {
    // A consume of 200 asks for more once 50 have come, queueing that request right behind the
    // 50th message: the batch must still be handed on when no message follows.
    const published = await appendNumbered(
      naming.integrationEvents('int_1'),
      'kera.integration.created',
      50,
    );
    await until(() => seen.backlog.flat().length >= 50);
    expect(seen.backlog.flat()).toEqual(published);
  }, 15_000);

  it('answers commands with the result or the problem', async () => {
    const client = new CommandClient(nc, naming, 2000);
    await expect(client.request('ticket.get', { ticket_id: 'KER-7' })).resolves.toEqual({
      id: 'KER-7',
    });
    await expect(client.request('ticket.get', { ticket_id: 'KER-404' })).rejects.toMatchObject({
      status: 404,
      message: 'no ticket KER-404',
    });
    await expect(client.request('ticket.update', {})).rejects.toMatchObject({ status: 503 });
  });
});
