import { performance } from 'node:perf_hooks';
import {
  BaseRpcContext,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import type {
  ConsumerMessages,
  JetStreamClient,
  JsMsg,
  Msg,
  NatsConnection,
  Subscription,
} from 'nats';
import { lastValueFrom } from 'rxjs';
import {
  KeraError,
  BadRequestError,
  parseEvent,
  type CommandReply,
  type KeraEvent,
  type Naming,
} from '@kera/contracts';
import { eventLogFields, type Logger } from '@kera/config';
import type { ConsumerSpec } from './provisioning';
import { unreadMessages } from './reading';

/** One message read from a stream, as handlers see it. */
export interface StreamMessage<T = unknown> {
  /** The decoded envelope; null when the message is not a Kera event. */
  event: KeraEvent<T> | null;
  data: Uint8Array;
  stream: string;
  subject: string;
  /** Stream sequence: the position of the event in its stream. */
  seq: number;
  /** 1 on first delivery, more when redelivered. */
  deliveryCount: number;
}

/** Options of `@EventPattern(consumerName, options)`. */
export interface StreamHandlerOptions {
  /** Messages handled at once (default 1: in stream order). */
  concurrency?: number;
  /** When set, the handler receives up to this many messages as an array. */
  batch?: number;
  /**
   * With `batch`: when nothing more is waiting, a batch is handed over at once only if the last
   * one began at least this long ago, else this long after it with whatever arrived meanwhile.
   * A message after a quiet spell is not delayed; a steady flow shares batches (and their
   * commits) instead of paying for one each. Default 0: every batch at once.
   */
  lingerMs?: number;
}

export class JetStreamRpcContext extends BaseRpcContext<[StreamMessage | Msg]> {}

export interface JetStreamTransportOptions {
  nc: NatsConnection;
  naming: Naming;
  /** Instances of one service share its queue group and its durable consumers. */
  service: string;
  consumers: readonly ConsumerSpec[];
  logger: Logger;
}

/**
 * A NestJS transport over NATS: `@EventPattern(name)` handlers read the
 * durable pull consumer `name` and each message is acknowledged only after
 * the handler's effect resolved (at-least-once; failures are redelivered
 * with a back-off). `@MessagePattern(command)` handlers answer request/reply
 * commands on `<root>.cmd.<command>` in the service's queue group.
 *
 * Nest's own NATS transport is core NATS only (no persistence, no
 * acknowledgements), which is why this exists.
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  private readonly js: JetStreamClient;
  private readonly iterators = new Set<ConsumerMessages>();
  private readonly loops: Promise<void>[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly inflightReplies = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
    this.js = options.nc.jetstream();
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.isEventHandler) this.loops.push(this.runConsumer(pattern, handler));
        else this.serveCommand(pattern, handler);
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Stops taking messages, lets in-flight ones finish and acknowledges them. */
  async close(): Promise<void> {
    this.closing = true;
    for (const iterator of this.iterators) iterator.stop();
    await Promise.allSettled(this.loops);
    for (const sub of this.subscriptions) sub.unsubscribe();
    await Promise.allSettled([...this.inflightReplies]);
  }

  on(): never {
    throw new Error('JetStreamTransport does not emit events');
  }

  unwrap<T>(): T {
    return this.options.nc as T;
  }

  private spec(pattern: string): ConsumerSpec {
    const spec = this.options.consumers.find((candidate) => candidate.name === pattern);
    if (!spec) throw new Error(`no consumer is declared for @EventPattern('${pattern}')`);
    return spec;
  }

  private async runConsumer(pattern: string, handler: MessageHandler): Promise<void> {
    const spec = this.spec(pattern);
    const { naming, logger } = this.options;
    const extras = (handler.extras ?? {}) as StreamHandlerOptions;
    const stream = naming.stream(spec.stream);
    const durable = naming.durable(spec.name);

    while (!this.closing) {
      try {
        const consumer = await this.js.consumers.get(stream, durable);
        const batch = extras.batch ?? 0;
        const concurrency = Math.max(1, spec.concurrency ?? extras.concurrency ?? 1);
        const messages = await consumer.consume({
          max_messages: Math.max(64, batch, concurrency * 2),
        });
        this.iterators.add(messages);
        if (this.closing) messages.stop();
        if (batch > 0) {
          await this.readBatches(messages, handler, stream, batch, extras.lingerMs ?? 0);
        } else await this.readEach(messages, handler, stream, concurrency);
        this.iterators.delete(messages);
      } catch (error) {
        if (this.closing) break;
        logger.warn({ err: error, consumer: durable }, 'consumer interrupted; retrying');
        await sleep(1000);
      }
    }
  }

  private async readEach(
    messages: ConsumerMessages,
    handler: MessageHandler,
    stream: string,
    concurrency: number,
  ): Promise<void> {
    const inflight = new Set<Promise<void>>();
    for await (const msg of messages) {
      const task = this.settle([msg], stream, handler, false).finally(() => inflight.delete(task));
      inflight.add(task);
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  private async readBatches(
    messages: ConsumerMessages,
    handler: MessageHandler,
    stream: string,
    size: number,
    lingerMs: number,
  ): Promise<void> {
    let batch: JsMsg[] = [];
    let lastBegan = -Infinity;
    let timer: NodeJS.Timeout | null = null;
    // One batch is handled at a time, in stream order.
    let handling: Promise<void> = Promise.resolve();
    const flush = (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (batch.length === 0) return handling;
      const taken = batch;
      batch = [];
      handling = handling.then(() => {
        lastBegan = performance.now();
        return this.settle(taken, stream, handler, true);
      });
      return handling;
    };
    for await (const msg of messages) {
      batch.push(msg);
      // Flush when full or when nothing else is waiting (lingering first if asked): big
      // batches under load, no added latency when idle.
      if (batch.length >= size) {
        await flush();
      } else if (unreadMessages(messages) === 0) {
        const wait = lastBegan + lingerMs - performance.now();
        if (wait <= 0) await flush();
        else timer ??= setTimeout(() => void flush(), wait);
      }
    }
    await flush();
  }

  private async settle(
    msgs: JsMsg[],
    stream: string,
    handler: MessageHandler,
    asBatch: boolean,
  ): Promise<void> {
    const items = msgs.map((msg) => toStreamMessage(msg, stream));
    try {
      const input = asBatch ? items : items[0];
      const ctx = new JetStreamRpcContext([items[0] as StreamMessage]);
      await lastValueFrom(this.transformToObservable(await handler(input, ctx)), {
        defaultValue: undefined,
      });
      for (const msg of msgs) msg.ack();
    } catch (error) {
      const first = items[0] as StreamMessage;
      this.options.logger.error(
        {
          err: error,
          stream,
          seq: first.seq,
          count: items.length,
          ...(first.event ? eventLogFields(first.event) : {}),
        },
        'handler failed; message will be redelivered',
      );
      for (const msg of msgs) msg.nak(backoffMs(msg.info.redeliveryCount));
    }
  }

  private serveCommand(pattern: string, handler: MessageHandler): void {
    const { nc, naming, service } = this.options;
    const sub = nc.subscribe(naming.command(pattern as never), {
      queue: naming.queueGroup(service),
      callback: (error, msg) => {
        if (error) return;
        const task = this.answer(msg, handler).finally(() => this.inflightReplies.delete(task));
        this.inflightReplies.add(task);
      },
    });
    this.subscriptions.push(sub);
  }

  private async answer(msg: Msg, handler: MessageHandler): Promise<void> {
    let reply: CommandReply<unknown>;
    try {
      const payload = parseJson(msg.data);
      const result = await lastValueFrom(
        this.transformToObservable(await handler(payload, new JetStreamRpcContext([msg]))),
        { defaultValue: null },
      );
      reply = { ok: true, result };
    } catch (error) {
      reply = { ok: false, problem: this.toProblem(error, msg.subject) };
    }
    if (msg.reply) msg.respond(JSON.stringify(reply));
  }

  private toProblem(error: unknown, subject: string) {
    if (error instanceof KeraError) return error.toProblem();
    this.options.logger.error({ err: error, subject }, 'command failed');
    return {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error',
    };
  }
}

function toStreamMessage(msg: JsMsg, stream: string): StreamMessage {
  return {
    event: parseEvent(msg.data),
    data: msg.data,
    stream,
    subject: msg.subject,
    seq: msg.seq,
    deliveryCount: msg.info.redeliveryCount,
  };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    throw new BadRequestError('the command body is not valid JSON');
  }
}

function backoffMs(deliveryCount: number): number {
  return Math.min(30_000, 500 * 2 ** Math.min(deliveryCount, 6));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
