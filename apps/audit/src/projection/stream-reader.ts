import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  DeliverPolicy,
  nanos,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from 'nats';
import { unreadMessages } from '@kera/jetstream';

/** A message went missing between JetStream and this reader: read again from the checkpoint. */
export class StreamGapError extends Error {
  constructor(stream: string, expected: number, got: number) {
    super(`${stream}: delivery ${got} arrived after ${expected - 1}; a message went missing`);
    this.name = 'StreamGapError';
  }
}

/** How long the server keeps a reader whose process went away. */
const INACTIVE_THRESHOLD_MS = 60_000;

/**
 * Reads one stream in order from a stream sequence, in fetches the caller
 * sizes, through a consumer of its own: no acknowledgements, nothing kept
 * once it is closed (or a minute after its process died). Nothing is asked
 * of the server before the previous fetch was read, so a reader far behind
 * holds one fetch in memory, not the stream.
 *
 * nats.js offers ordered consumers for this, but in 2.29 their fetch drops
 * messages that arrive while the reader is busy, and their consume pulls
 * without bound; a plain consumer with a delivery-sequence check has
 * neither problem.
 */
export class StreamReader {
  private current: ConsumerMessages | null = null;
  private delivered = 0;
  private stopped = false;

  private constructor(
    private readonly consumer: Consumer,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    private readonly name: string,
  ) {}

  /** Creates the reader's consumer at `fromSeq`. */
  static async open(
    js: JetStreamClient,
    jsm: JetStreamManager,
    stream: string,
    fromSeq: number,
  ): Promise<StreamReader> {
    const name = `audit-reader-${randomBytes(6).toString('hex')}`;
    await jsm.consumers.add(stream, {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
      inactive_threshold: nanos(INACTIVE_THRESHOLD_MS),
      mem_storage: true,
      num_replicas: 1,
    });
    return new StreamReader(await js.consumers.get(stream, name), jsm, stream, name);
  }

  /**
   * The next `max` messages, yielded as they arrive; ends early when
   * `expiresMs` pass. Throws StreamGapError when a delivery is missing.
   */
  async *fetch(max: number, expiresMs: number): AsyncGenerator<JsMsg> {
    if (this.stopped) return;
    const messages = await this.consumer.fetch({ max_messages: max, expires: expiresMs });
    this.current = messages;
    if (this.stopped) messages.stop();
    for await (const msg of messages) {
      const expected = this.delivered + 1;
      if (msg.info.deliverySequence !== expected) {
        throw new StreamGapError(this.stream, expected, msg.info.deliverySequence);
      }
      this.delivered = expected;
      yield msg;
    }
  }

  /** Messages received from the server and not yet yielded (besides the one in hand). */
  get buffered(): number {
    return this.current ? unreadMessages(this.current) : 0;
  }

  /** Ends the fetch under way; messages not yet yielded are dropped. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
  }

  /** Stops and removes the consumer from the server. */
  async close(): Promise<void> {
    this.stop();
    await this.jsm.consumers.delete(this.stream, this.name).catch(() => undefined);
  }
}
