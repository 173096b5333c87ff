import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { Naming, parseEvent } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import { KERA_CONFIG, LOGGER, NATS_CONNECTION, type Logger } from '@kera/service';
import { JOBS_CONSUMER, JOBS_ACK_WAIT_MS } from '../consumers';
import { DispatchMetrics } from '../dispatch-metrics';
import {
  DeliveryAttempts,
  WorkflowNotStoredError,
  type PreparedDelivery,
} from './delivery-attempts';
import { msUntilDue, parseDeliveryRequest, type DeliveryRequest } from './delivery-request';
import { HostScheduler, hostKey, limitsFor } from './host-scheduler';

const FETCH_EXPIRES_MS = 5000;
const HEARTBEAT_MS = Math.floor(JOBS_ACK_WAIT_MS / 3);
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Reads delivery requests from their durable JetStream consumer and runs them through the
 * HostScheduler. It holds at most twice KERA_DISPATCH_CONCURRENCY requests at a time (running,
 * queued for their receiver, or being prepared), tells JetStream every few seconds that they
 * are still being worked on, and settles each one: ack once its outcome is recorded, nak with a
 * delay to wait (not due yet, receiver saturated, a dependency down), term when malformed.
 *
 * On shutdown it stops reading, gives queued requests back at once, lets running POSTs finish
 * for a grace period and gives back the rest unrecorded: another instance, or this one after
 * its restart, sends them again with the same delivery id.
 */
@Injectable()
export class DeliveryQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly scheduler: HostScheduler;
  private readonly capacity: number;
  private readonly held = new Set<JsMsg>();
  private readonly givenBack = new Set<JsMsg>();
  private readonly attemptsRunning = new Set<Promise<unknown>>();
  private batch: ConsumerMessages | null = null;
  private reading: Promise<void> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private wakeReader: (() => void) | null = null;
  private stopping = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
    private readonly attempts: DeliveryAttempts,
    private readonly metrics: DispatchMetrics,
    @Inject(KERA_CONFIG) config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.scheduler = new HostScheduler(limitsFor(config.dispatchConcurrency));
    this.capacity = config.dispatchConcurrency * 2;
    metrics.watch(() => ({ inFlight: this.scheduler.inFlight, queued: this.scheduler.queued }));
  }

  onApplicationBootstrap(): void {
    this.reading = this.read();
    this.heartbeat = setInterval(() => this.keepHeldAlive(), HEARTBEAT_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.batch?.stop();
    this.wakeReader?.();
    await this.reading;

    for (const task of this.scheduler.takeQueued()) task.defer(0);
    await settledWithin([...this.attemptsRunning], SHUTDOWN_GRACE_MS);
    for (const msg of this.held) {
      this.givenBack.add(msg);
      msg.nak();
    }
    this.held.clear();
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  /**
   * Sends a first attempt straight from its transition event when its receiver has a free slot
   * at this moment, sharing the slots with the queue. The promise settles once the outcome is
   * recorded (or rejects when it could not be), so the caller acknowledges the transition only
   * then: a crash before that leaves the transition to be read again and the POST to be sent
   * again with the same delivery id. Null when the receiver has no free slot now, or the
   * dispatcher is stopping; the caller then stores a request for the queue instead.
   */
  startNow(delivery: PreparedDelivery): Promise<void> | null {
    if (this.stopping) return null;
    let done!: { resolve: () => void; reject: (error: unknown) => void };
    const recorded = new Promise<void>((resolve, reject) => (done = { resolve, reject }));
    const started = this.scheduler.tryStart(hostKey(delivery.request.data.url), {
      run: (release) => {
        const running = this.attempts.perform(delivery, () => false, release);
        this.attemptsRunning.add(running);
        return running
          .then(() => done.resolve(), done.reject)
          .finally(() => this.attemptsRunning.delete(running));
      },
      // tryStart never defers; a task that did not start is not used again.
      defer: () => done.reject(new Error('a direct delivery cannot be deferred')),
    });
    return started ? recorded : null;
  }

  private async read(): Promise<void> {
    const stream = this.naming.stream('DELIVERIES');
    const durable = this.naming.durable(JOBS_CONSUMER);
    while (!this.stopping) {
      try {
        const consumer = await this.nc.jetstream().consumers.get(stream, durable);
        while (!this.stopping) {
          await this.roomForMore();
          if (this.stopping) break;
          this.batch = await consumer.fetch({
            max_messages: this.capacity - this.held.size,
            expires: FETCH_EXPIRES_MS,
          });
          if (this.stopping) this.batch.stop();
          for await (const msg of this.batch) void this.handle(msg);
        }
      } catch (error) {
        if (this.stopping) break;
        this.logger.warn({ err: error, consumer: durable }, 'delivery queue interrupted; retrying');
        await sleep(1000);
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    this.held.add(msg);
    const request = parseDeliveryRequest(parseEvent(msg.data));
    if (!request) {
      this.logger.error(
        { seq: msg.seq, subject: msg.subject },
        'malformed delivery request dropped',
      );
      return this.settle(msg, () => msg.term());
    }
    const wait = msUntilDue(request.data);
    if (wait > 0) return this.settle(msg, () => msg.nak(wait));

    let delivery: PreparedDelivery;
    try {
      delivery = await this.attempts.prepare(request);
    } catch (error) {
      return this.tryLater(msg, request, error);
    }
    if (this.stopping) return this.settle(msg, () => msg.nak());

    this.scheduler.submit(hostKey(request.data.url), {
      run: (release) => this.attempt(msg, delivery, release),
      defer: (delayMs) => {
        this.metrics.deferred();
        this.settle(msg, () => msg.nak(delayMs));
      },
    });
  }

  private async attempt(
    msg: JsMsg,
    delivery: PreparedDelivery,
    release: () => void,
  ): Promise<void> {
    const running = this.attempts.perform(delivery, () => this.givenBack.has(msg), release);
    this.attemptsRunning.add(running);
    try {
      if (await running) this.settle(msg, () => msg.ack());
    } catch (error) {
      this.tryLater(msg, delivery.request, error);
    } finally {
      this.attemptsRunning.delete(running);
      this.givenBack.delete(msg);
    }
  }

  private tryLater(msg: JsMsg, request: DeliveryRequest, error: unknown): void {
    const fields = {
      delivery_id: request.data.delivery_id,
      ticket: request.data.ticket_id,
      event_id: request.data.event_id,
    };
    if (error instanceof WorkflowNotStoredError) {
      this.logger.warn({ ...fields, reason: error.message }, 'delivery waits for its workflow');
    } else {
      this.logger.error({ ...fields, err: error }, 'delivery could not run; it will be retried');
    }
    this.settle(msg, () => msg.nak(backoffMs(msg.info.redeliveryCount)));
  }

  /** Acks, naks or terms a held message once; a message given back at shutdown stays as is. */
  private settle(msg: JsMsg, how: () => void): void {
    if (this.givenBack.has(msg) || !this.held.has(msg)) return;
    how();
    this.held.delete(msg);
    this.wakeReader?.();
  }

  private keepHeldAlive(): void {
    for (const msg of this.held) msg.working();
  }

  private async roomForMore(): Promise<void> {
    while (this.held.size >= this.capacity && !this.stopping) {
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
      this.wakeReader = null;
    }
  }
}

function backoffMs(deliveryCount: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(deliveryCount, 6));
}

function settledWithin(tasks: Promise<unknown>[], ms: number): Promise<unknown> {
  return Promise.race([Promise.allSettled(tasks), sleep(ms)]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
