import { performance } from 'node:perf_hooks';
import type { JsMsg, NatsConnection } from 'nats';
import type { Logger } from '@kera/config';
import { toAuditRecord, unreadableRecord, type SourceMessage } from '../entry/audit-record';
import {
  appendRecords,
  openCheckpoint,
  prepareRecord,
  type AppendResult,
  type HeadMemory,
  type PreparedRecord,
} from './audit-writer';
import { StreamReader } from './stream-reader';
import type { WriterSession } from './writer-session';

export interface ProjectorLimits {
  /** Most messages written in one transaction. */
  batchMessages: number;
  /** Most message bytes written in one transaction. */
  batchBytes: number;
  /** Message bytes one fetch from JetStream asks for (at least twice the largest message). */
  readAheadBytes: number;
  /**
   * When the stream has nothing more to read, a batch is written at once only if the last
   * write began at least this long ago; otherwise when that much time has passed, with what
   * arrived meanwhile. Live events then share transactions instead of paying one each.
   */
  lingerMs: number;
}

export interface StreamProjectorOptions {
  /** Stream name, e.g. `KERA_TICKETS`. */
  stream: string;
  nc: NatsConnection;
  session: WriterSession;
  /** The chain head as this instance's writes left it, shared by its projectors. */
  memory: HeadMemory;
  logger: Logger;
  limits: ProjectorLimits;
  /** Told after every stored batch. */
  onWrite?: (stream: string, result: AppendResult) => void;
}

const MAX_RETRY_DELAY_MS = 30_000;
/** Messages asked for by a reader's first fetch. */
export const FIRST_FETCH = 100;
const MAX_FETCH = 1000;
const FETCH_EXPIRES_MS = 5000;
/** Message size assumed at least, so that tiny messages do not make a fetch huge. */
const MIN_MESSAGE_BYTES = 1024;

/**
 * Projects one stream while this instance holds its lease: reads the stream
 * in order from the checkpoint stored with the trail (see StreamReader) and
 * writes it in batches, each with its checkpoint. A restart, a takeover by another
 * instance or a failed write all resume from the stored checkpoint.
 */
export class StreamProjector {
  private reader: StreamReader | null = null;
  /** The batch being written, if any: one is written while the next is gathered. */
  private writing: Promise<void> = Promise.resolve();
  /** Why the last write failed; reading stops and starts again from the checkpoint. */
  private writeFailure: { error: unknown } | null = null;
  private task: Promise<void> | null = null;
  private stopping = false;
  private checkpoint = 0;
  private failures = 0;
  private retryAt = 0;
  private lastProgressAt = Date.now();
  /** When the last write began (performance clock). */
  private lastWriteAt = -Infinity;
  /** Writes a lingering batch when its time is up. */
  private lingerTimer: NodeJS.Timeout | null = null;

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
        this.reader = null;
      });
  }

  /** Stops reading; a batch being written is finished, one being gathered is dropped. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.reader?.stop();
    await this.task;
  }

  private async project(): Promise<void> {
    const { stream, nc, session, limits } = this.options;
    this.checkpoint = await session.run((client) => openCheckpoint(client, stream));
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const reader = await StreamReader.open(nc.jetstream(), jsm, stream, this.checkpoint + 1);
    this.reader = reader;
    this.writing = Promise.resolve();
    this.writeFailure = null;
    if (this.stopping) reader.stop();

    try {
      const batch = new Batch(limits);
      let want = FIRST_FETCH;
      while (!this.stopping && !this.writeFailure) {
        const largest = await this.readFetch(reader, want, batch);
        // As many as fit the read-ahead budget at the largest size seen lately.
        want = Math.max(1, Math.min(MAX_FETCH, Math.floor(limits.readAheadBytes / largest)));
      }
      await this.writing;
      this.throwIfWriteFailed();
    } finally {
      // A batch still lingering is dropped with the reader; its messages are read again.
      this.cancelLinger();
      await reader.close();
      await this.writing;
    }
  }

  private throwIfWriteFailed(): void {
    if (this.writeFailure) throw this.writeFailure.error;
  }

  /**
   * Reads one fetch into the batch, each message prepared as it comes, and
   * writes the batch when it is full or when nothing else is waiting, in the
   * stream or here: big batches while catching up, no waiting when live.
   * Returns the largest message size seen.
   */
  private async readFetch(reader: StreamReader, want: number, batch: Batch): Promise<number> {
    let largest = MIN_MESSAGE_BYTES;
    for await (const msg of reader.fetch(want, FETCH_EXPIRES_MS)) {
      this.lastProgressAt = Date.now();
      largest = Math.max(largest, msg.data.length);
      const message = this.toSource(msg);
      batch.add(message, prepareRecord(toAuditRecord(message)));
      const idle = msg.info.pending === 0 && reader.buffered === 0;
      if (batch.full) await this.flush(batch);
      else if (idle) await this.flushOrLinger(batch);
    }
    return largest;
  }

  /** Writes the batch now, or once `lingerMs` have passed since the last write began. */
  private async flushOrLinger(batch: Batch): Promise<void> {
    const wait = this.lastWriteAt + this.options.limits.lingerMs - performance.now();
    if (wait <= 0) return this.flush(batch);
    this.lingerTimer ??= setTimeout(() => {
      this.lingerTimer = null;
      void this.flush(batch);
    }, wait);
  }

  private cancelLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  /**
   * Starts writing the batch once the previous write is done; one write at a time, in stream
   * order. A failed write ends the fetch under way, so that reading starts again from the
   * checkpoint at once rather than when the next message comes.
   */
  private async flush(batch: Batch): Promise<void> {
    this.cancelLinger();
    // The lingering timer and the reading loop may both flush: wait until no other write
    // started while this one waited, so that writes never overlap.
    for (let previous = this.writing; ; previous = this.writing) {
      await previous;
      if (this.writing === previous) break;
    }
    if (this.writeFailure || batch.empty) return;
    this.lastWriteAt = performance.now();
    this.writing = this.write(batch.take()).catch((error: unknown) => {
      this.writeFailure = { error };
      this.reader?.stop();
    });
  }

  private async write(items: BatchItem[]): Promise<void> {
    try {
      await this.append(items.map((item) => item.record));
    } catch (error) {
      if (!isDataError(error) || items.length === 1) throw error;
      // One message Postgres refuses must not block the stream: find it.
      for (const item of items) await this.writeOne(item);
    }
  }

  private async writeOne(item: BatchItem): Promise<void> {
    try {
      await this.append([item.record]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      const { stream, seq } = item.message;
      this.options.logger.error(
        { err: error, stream, seq },
        'audit: Postgres refused an entry; it is kept as an unreadable raw message instead',
      );
      await this.append([prepareRecord(unreadableRecord(item.message))]);
    }
  }

  private async append(records: PreparedRecord[]): Promise<void> {
    const { stream, session, memory, onWrite } = this.options;
    const after = this.checkpoint;
    const result = await session.run((client) =>
      appendRecords(client, { stream, after, records }, memory),
    );
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

/** A message of a batch and the record it becomes. */
interface BatchItem {
  message: SourceMessage;
  record: PreparedRecord;
}

/** Messages gathered for one transaction, within the batch limits. */
class Batch {
  private items: BatchItem[] = [];
  private bytes = 0;

  constructor(private readonly limits: ProjectorLimits) {}

  get empty(): boolean {
    return this.items.length === 0;
  }

  get full(): boolean {
    return this.items.length >= this.limits.batchMessages || this.bytes >= this.limits.batchBytes;
  }

  add(message: SourceMessage, record: PreparedRecord): void {
    this.items.push({ message, record });
    this.bytes += message.data.length;
  }

  /** The items gathered; the batch starts over empty. */
  take(): BatchItem[] {
    const taken = this.items;
    this.items = [];
    this.bytes = 0;
    return taken;
  }
}
