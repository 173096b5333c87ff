import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { Naming, parseEvent, type KeraEvent } from '@kera/contracts';
import { LOGGER, NATS_CONNECTION, type Logger } from '@kera/service';
import { LOG_CONSUMER, LOG_MAX_WAITING } from '../consumers';
import { DeliveryLogRepository } from './delivery-log.repository';

/** Most outcomes written in one statement (17 parameters each, well under Postgres' 65,535). */
const BATCH = 500;
/**
 * When the consumer has nothing more to hand out, outcomes are written at once only if the last
 * write began at least this long ago; otherwise this long after it, with whatever arrived
 * meanwhile. An outcome after a quiet spell is written without delay; a steady flow shares
 * statements instead of paying a commit and an acknowledgement each.
 */
const LINGER_MS = 50;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Projects the outcome events of the DELIVERIES stream into the delivery log. Outcomes are
 * written in batches, one statement (and commit) each, one batch at a time; every outcome of a
 * batch is acknowledged once its statement has committed, all in one go. A failed write gives
 * the batch back to JetStream with a growing delay; rows are keyed by the outcome event's id,
 * so an outcome read again is stored once. A crash before the acknowledgements leaves the
 * outcomes to be read again after the consumer's acknowledgement wait.
 */
@Injectable()
export class DeliveryLogProjector implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private messages: ConsumerMessages | null = null;
  private reading: Promise<void> | null = null;
  private batch: JsMsg[] = [];
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** When the last write began (performance clock). */
  private lastWriteAt = -Infinity;
  private failures = 0;
  private deciding = false;
  private stopping = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
    private readonly log: DeliveryLogRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.reading = this.read();
  }

  /** Stops reading and writes what was read (with its acknowledgements) before the end. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.messages?.stop();
    await this.reading;
    // What was read is written at once, without lingering.
    while (this.writing || this.batch.length > 0) {
      this.lastWriteAt = -Infinity;
      this.schedule();
      await this.writing;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async read(): Promise<void> {
    const stream = this.naming.stream('DELIVERIES');
    const durable = this.naming.durable(LOG_CONSUMER);
    while (!this.stopping) {
      try {
        const consumer = await this.nc.jetstream().consumers.get(stream, durable);
        if (this.stopping) break;
        this.messages = await consumer.consume({
          max_messages: Math.min(LOG_MAX_WAITING, 2 * BATCH),
          callback: (msg) => this.take(msg),
        });
        if (this.stopping) this.messages.stop();
        const ended = await this.messages.closed();
        if (ended instanceof Error) throw ended;
      } catch (error) {
        if (this.stopping) break;
        this.logger.warn({ err: error, consumer: durable }, 'delivery log interrupted; retrying');
        await sleep(1000);
      }
    }
  }

  private take(msg: JsMsg): void {
    this.batch.push(msg);
    // The messages of one read from the socket arrive one after another in the same turn:
    // decide once they are all in.
    if (this.deciding) return;
    this.deciding = true;
    queueMicrotask(() => {
      this.deciding = false;
      this.schedule();
    });
  }

  /** Starts a write now, or sets the timer for when the linger of the last one is over. */
  private schedule(): void {
    if (this.writing || this.batch.length === 0) return;
    const wait = this.lastWriteAt + LINGER_MS - performance.now();
    if (this.batch.length < BATCH && wait > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.writing = this.write().finally(() => {
      this.writing = null;
      this.schedule();
    });
  }

  private async write(): Promise<void> {
    const msgs = this.batch.splice(0, BATCH);
    this.lastWriteAt = performance.now();
    const events: KeraEvent[] = [];
    for (const msg of msgs) {
      const event = parseEvent(msg.data);
      if (event) events.push(event);
    }
    try {
      await this.log.record(events);
      this.failures = 0;
      for (const msg of msgs) msg.ack();
    } catch (error) {
      this.failures += 1;
      const delay = Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(this.failures, 6));
      this.logger.error(
        { err: error, count: msgs.length, retry_in_ms: delay },
        'delivery log write failed; the outcomes will be read again',
      );
      for (const msg of msgs) msg.nak(delay);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
