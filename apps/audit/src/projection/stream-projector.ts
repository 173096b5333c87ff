import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from 'nats';
import type { Logger } from '@kera/config';
import {
  toAuditRecord,
  unreadableRecord,
  type AuditRecord,
  type SourceMessage,
} from '../entry/audit-record';
import { appendRecords, readCheckpoint, type AppendResult } from './audit-writer';
import type { WriterSession } from './writer-session';

export interface ProjectorLimits {
  /** Most messages written in one transaction. */
  batchMessages: number;
  /** Most message bytes written in one transaction. */
  batchBytes: number;
  /** Most message bytes read ahead from JetStream (at least twice the largest message). */
  readAheadBytes: number;
}

export interface StreamProjectorOptions {
  /** Stream name, e.g. `KERA_TICKETS`. */
  stream: string;
  js: JetStreamClient;
  session: WriterSession;
  logger: Logger;
  limits: ProjectorLimits;
  /** Told after every stored batch. */
  onWrite?: (stream: string, result: AppendResult) => void;
}

const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Projects one stream while this instance holds its lease: reads the stream
 * in order from the checkpoint stored with the trail (an ordered consumer:
 * no acknowledgements, nothing kept on the server) and writes it in
 * batches, each with its checkpoint. A restart, a takeover by another
 * instance or a failed write all resume from the stored checkpoint.
 */
export class StreamProjector {
  private messages: ConsumerMessages | null = null;
  private task: Promise<void> | null = null;
  private stopping = false;
  private checkpoint = 0;
  private failures = 0;
  private retryAt = 0;
  private lastProgressAt = Date.now();

  constructor(private readonly options: StreamProjectorOptions) {}

  get stream(): string {
    return this.options.stream;
  }

  get running(): boolean {
    return this.task !== null;
  }

  /** The last stream sequence in the trail, as far as this projector knows. */
  get position(): number {
    return this.checkpoint;
  }

  /** Milliseconds since a message was last read or written. */
  get idleMs(): number {
    return Date.now() - this.lastProgressAt;
  }

  /** True when stopped and due to start (again): failures back off exponentially. */
  get due(): boolean {
    return !this.running && Date.now() >= this.retryAt;
  }

  start(): void {
    if (this.task) return;
    this.stopping = false;
    this.lastProgressAt = Date.now();
    this.task = this.project()
      .then(() => {
        this.failures = 0;
      })
      .catch((error: unknown) => this.failed(error))
      .finally(() => {
        this.task = null;
        this.messages = null;
      });
  }

  /** Stops reading; a batch being written is finished, one being gathered is dropped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.messages?.stop();
    await this.task;
  }

  private async project(): Promise<void> {
    const { stream, js, session, limits } = this.options;
    this.checkpoint = await session.run((client) => readCheckpoint(client, stream));
    const consumer = await js.consumers.get(stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.checkpoint + 1,
    });
    // Bounded by bytes, not messages: memory stays the same for small and large messages.
    const messages = await consumer.consume({ max_bytes: limits.readAheadBytes });
    this.messages = messages;
    if (this.stopping) messages.stop();

    await this.readBatches(messages);
    if (!this.stopping) throw new Error('the stream reader ended');
  }

  private async readBatches(messages: ConsumerMessages): Promise<void> {
    const { batchMessages, batchBytes } = this.options.limits;
    let batch: SourceMessage[] = [];
    let bytes = 0;
    for await (const msg of messages) {
      this.lastProgressAt = Date.now();
      const newest = batch[batch.length - 1]?.seq ?? this.checkpoint;
      // An ordered consumer that recreated itself may hand a message over again.
      if (msg.seq > newest) {
        batch.push(this.toSource(msg));
        bytes += msg.data.length;
      }
      // Full, or nothing else is waiting: big batches while catching up, no added latency when live.
      const flush = batch.length >= batchMessages || bytes >= batchBytes;
      if (batch.length > 0 && (flush || messages.getPending() <= 1)) {
        await this.write(batch);
        batch = [];
        bytes = 0;
      }
    }
  }

  private async write(batch: SourceMessage[]): Promise<void> {
    try {
      await this.append(batch.map(toAuditRecord));
    } catch (error) {
      if (!isDataError(error) || batch.length === 1) throw error;
      // One message Postgres refuses must not block the stream: find it.
      for (const message of batch) await this.writeOne(message);
    }
  }

  private async writeOne(message: SourceMessage): Promise<void> {
    try {
      await this.append([toAuditRecord(message)]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      this.options.logger.error(
        { err: error, stream: message.stream, seq: message.seq },
        'audit: Postgres refused an entry; it is kept as an unreadable raw message instead',
      );
      await this.append([unreadableRecord(message)]);
    }
  }

  private async append(records: AuditRecord[]): Promise<void> {
    const { stream, session, onWrite } = this.options;
    const after = this.checkpoint;
    const result = await session.run((client) => appendRecords(client, { stream, after, records }));
    this.checkpoint = result.checkpoint;
    this.lastProgressAt = Date.now();
    this.failures = 0;
    onWrite?.(stream, result);
  }

  private toSource(msg: JsMsg): SourceMessage {
    return {
      stream: this.options.stream,
      seq: msg.seq,
      subject: msg.subject,
      data: msg.data,
      storedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
    };
  }

  private failed(error: unknown): void {
    if (this.stopping) return;
    this.failures += 1;
    this.retryAt = Date.now() + Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** this.failures);
    this.options.logger.warn(
      { err: error, stream: this.options.stream, checkpoint: this.checkpoint },
      'audit: projection of the stream stopped; it resumes from its checkpoint',
    );
  }
}

/**
 * Errors about one value rather than the database: data exceptions (22…)
 * and program limits such as an oversized index entry or nesting (54…).
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}
