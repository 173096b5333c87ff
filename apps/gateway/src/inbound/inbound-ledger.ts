import {
  Inject,
  Injectable,
  Optional,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  AckPolicy,
  ConsumerEvents,
  DeliverPolicy,
  nanos,
  type ConsumerInfo,
  type ConsumerMessages,
  type JsMsg,
  type NatsConnection,
} from 'nats';
import { Naming } from '@kera/contracts';
import { LOGGER, NATS_CONNECTION, type Logger } from '@kera/service';
import { EventIdFilter } from './event-id-filter';
import { InboundDeliveries, type LedgerRow } from './inbound-deliveries';

/** The header naming an accepted event's delivery id (percent-encoded), for the ledger. */
export const DELIVERY_ID_HEADER = 'Kera-Delivery-Id';

/** Ids a new filter is sized for at the least. */
const MIN_FILTER_CAPACITY = 1_000_000;
/** How long ids read from the stream wait to be written together into the ledger. */
const WRITE_LINGER_MS = 200;
/** Most ledger rows written in one statement. */
const MAX_WRITE = 2000;
/** After a failed write or read, how long before the next try. */
const RETRY_MS = 1000;
/**
 * Most ids read from the stream and not yet written to the ledger (Postgres away). Past it, new
 * deliveries are answered 503: the gateway would have to hold more than it means to.
 */
const MAX_UNWRITTEN = 200_000;
/**
 * How far the gateway's reading of the stream may fall behind an event it stored itself before
 * new deliveries are answered 503. Well within JetStream's two-minute duplicate window, which
 * is what catches a duplicate the gateway has not read yet.
 */
const MAX_READ_LAG_MS = 30_000;
/** How long the stream reader's consumer outlives a gateway that died. */
const READER_INACTIVE_MS = 60_000;
/** How often the reader's progress is compared with what the stream holds for it. */
const PROGRESS_CHECK_MS = 5000;

/** The ledger's time limits; tests shorten them. */
export interface LedgerTiming {
  maxReadLagMs: number;
  progressCheckMs: number;
}

/** Injection token for other `LedgerTiming` than the defaults. */
export const LEDGER_TIMING = Symbol('LEDGER_TIMING');

/** What the gateway knows of a delivery's event id before it stores the event. */
export type LedgerVerdict =
  /** Certainly stored before: read from the stream, its ledger row not yet written. */
  | 'stored'
  /** Possibly stored before: the ledger in Postgres has the answer. */
  | 'maybe'
  /** Certainly not in the ledger nor read from the stream: JetStream's window covers the rest. */
  | 'new';

/** The gateway cannot tell duplicates apart now: answered 503, as when NATS is away. */
export class LedgerNotCurrent extends Error {
  constructor(reason: string) {
    super(`the inbound delivery ledger is not current: ${reason}`);
    this.name = 'LedgerNotCurrent';
  }
}

/**
 * The duplicate check that outlives JetStream's two-minute window, kept off the request path.
 *
 * Every gateway reads the accepted events of the INBOUND stream (headers only: the event id, the
 * delivery id, the integration in the subject) in stream order, from the position the ledger
 * was written up to. It writes them into the ledger (`inbound_deliveries`) in batches, each with
 * the position it reaches in the same statement, and keeps:
 *
 * - a Bloom filter of every event id in the ledger or read from the stream: "certainly not" for
 *   nearly every new delivery, which is then stored without asking Postgres;
 * - the ids read but not yet written, exactly: a duplicate of one of those is recognised
 *   without Postgres, however far the writes lag behind.
 *
 * A "maybe" of the filter for an id already written is asked of Postgres. A duplicate of an
 * event this gateway has not read yet (stored a moment ago, by it or another gateway) is caught
 * by JetStream's duplicate window on the event id; the gateway answers 503 instead of storing
 * when its reading falls `MAX_READ_LAG_MS` behind: behind an event it stored itself, or behind
 * events JetStream says its reader has not read (asked every `PROGRESS_CHECK_MS`).
 */
@Injectable()
export class InboundLedger implements OnApplicationBootstrap, OnApplicationShutdown {
  private filter = new EventIdFilter(MIN_FILTER_CAPACITY);
  /** Read from the stream, not yet in the ledger; in stream order. */
  private readonly unwritten = new Map<string, LedgerRow & { seq: number }>();
  /** The stream sequence read up to, and the one the ledger is written up to. */
  private readPosition = 0;
  private writtenPosition = 0;
  /** Messages the first reader must read before the gateway is current. */
  private catchingUp: number | null = null;
  /** The oldest event this gateway stored and has not read back yet. */
  private awaited: { seq: number; at: number } | null = null;
  /** While a filter is rebuilt: every id added to the filter or written meanwhile. */
  private rebuildLog: string[] | null = null;
  private rebuilding: Promise<void> | null = null;
  private messages: ConsumerMessages | null = null;
  /** The stream reader's consumer while one is open. */
  private readerName: string | null = null;
  private progressTimer: NodeJS.Timeout | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private stopped = false;
  private readonly stream: string;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly deliveries: InboundDeliveries,
    private readonly naming: Naming,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional()
    @Inject(LEDGER_TIMING)
    private readonly timing: LedgerTiming = {
      maxReadLagMs: MAX_READ_LAG_MS,
      progressCheckMs: PROGRESS_CHECK_MS,
    },
  ) {
    this.stream = naming.stream('INBOUND');
  }

  onApplicationBootstrap(): void {
    void this.run();
    this.progressTimer = setInterval(() => void this.checkProgress(), this.timing.progressCheckMs);
    this.progressTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.progressTimer) clearInterval(this.progressTimer);
    this.progressTimer = null;
    this.messages?.stop();
    if (this.writeTimer) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    await this.writing;
    // What was read is in the stream whatever happens here: the next start reads it again.
    await this.writeUnwritten().catch(() => undefined);
  }

  /** What is known of the event id; throws LedgerNotCurrent when the answer cannot be trusted. */
  verdict(eventId: string): LedgerVerdict {
    const reason = this.notCurrent();
    if (reason !== null) throw new LedgerNotCurrent(reason);
    if (this.unwritten.has(eventId)) return 'stored';
    return this.filter.mightHold(eventId) ? 'maybe' : 'new';
  }

  /** Whether the gateway has loaded the ledger and read the stream up to where it was. */
  get started(): boolean {
    return this.catchingUp === 0;
  }

  /**
   * Waits up to `timeoutMs` for the gateway to have started (requests that arrive while it
   * starts); throws LedgerNotCurrent when it has not by then.
   */
  async whenStarted(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.started) {
      if (Date.now() >= until || this.stopped) {
        throw new LedgerNotCurrent('still reading the stream');
      }
      await delay(50);
    }
  }

  /** The gateway stored an event at `seq`: it must read it back within `MAX_READ_LAG_MS`. */
  stored(seq: number): void {
    if (this.awaited === null && seq > this.readPosition) {
      this.awaited = { seq, at: Date.now() };
    }
  }

  /**
   * Asks JetStream whether the reader has events it has not read: left in the stream, or handed
   * over and not yet taken in. Any gateway may have stored them; if the reader does not get
   * past them within `MAX_READ_LAG_MS`, `verdict` stops answering, as for an event of its own.
   * Without this, a reader stuck while its gateway stores nothing would go unnoticed, and a
   * duplicate of another gateway's event older than JetStream's window could be stored again.
   */
  private async checkProgress(): Promise<void> {
    const name = this.readerName;
    if (name === null || this.stopped) return;
    const position = this.readPosition;
    const askedAt = Date.now();
    try {
      const jsm = await this.nc.jetstreamManager();
      const info = await jsm.consumers.info(this.stream, name);
      if (name !== this.readerName) return;
      if (!readerBehind(info, position)) {
        // Everything there was to read when asked has been read: what was awaited then is
        // either read or no longer in the stream (removed by its age limit or by an operator),
        // and would otherwise keep `verdict` from answering for good.
        if (this.awaited !== null && this.awaited.at <= askedAt) this.awaited = null;
        return;
      }
      // Behind when asked and not moved since: it must get past what it has within the limit.
      if (this.readPosition === position) this.stored(position + 1);
    } catch (error) {
      // No answer (NATS away, the reader being replaced): the next check asks again.
      this.logger.debug({ err: error }, 'inbound ledger progress not checked');
    }
  }

  /**
   * Builds a new filter from the ledger as it is now (after a prune, or once the filter holds
   * more ids than it was sized for), keeping every id read or written meanwhile.
   */
  rebuild(): Promise<void> {
    this.rebuilding ??= this.installFilter()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'inbound delivery filter not rebuilt; will try again');
      })
      .finally(() => {
        this.rebuilding = null;
      });
    return this.rebuilding;
  }

  private notCurrent(): string | null {
    if (this.catchingUp !== 0) return 'still reading the stream';
    if (this.unwritten.size >= MAX_UNWRITTEN) return 'too many ids not yet written';
    if (this.awaited !== null && Date.now() - this.awaited.at > this.timing.maxReadLagMs) {
      return 'reading the stream fell behind';
    }
    return null;
  }

  /** Loads the ledger, then reads the stream from where the ledger ends, for as long as it runs. */
  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        const jsm = await this.nc.jetstreamManager();
        const info = await jsm.streams.info(this.stream);
        // With no position recorded, the ledger holds every delivery the stream does (each
        // request wrote its own row before): start from the stream's end.
        const { first_seq: first, last_seq: last } = info.state;
        const position = await this.deliveries.startPosition(this.stream, last);
        // A position past the stream's end means the stream was made anew: read all it holds
        // (rows written before are left as they are).
        this.readPosition = position <= last ? position : Math.max(0, first - 1);
        this.writtenPosition = this.readPosition;
        await this.installFilter();
        break;
      } catch (error) {
        this.logger.warn({ err: error }, 'inbound delivery ledger not loaded; will try again');
        await delay(RETRY_MS);
      }
    }
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (error) {
        this.logger.warn({ err: error }, 'reading the INBOUND stream stopped; reading on');
      }
      if (!this.stopped) await delay(RETRY_MS);
    }
  }

  /** Reads the accepted events after `readPosition` until the reader fails or stops. */
  private async follow(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const name = `gateway-ledger-${randomBytes(6).toString('hex')}`;
    const info = await jsm.consumers.add(this.stream, {
      name,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.readPosition + 1,
      filter_subject: this.naming.allInboundAccepted(),
      headers_only: true,
      inactive_threshold: nanos(READER_INACTIVE_MS),
      mem_storage: true,
      num_replicas: 1,
    });
    this.catchingUp ??= info.num_pending;
    try {
      const consumer = await this.nc.jetstream().consumers.get(this.stream, name);
      const messages = await consumer.consume({ max_messages: 1000 });
      this.messages = messages;
      this.readerName = name;
      if (this.stopped) messages.stop();
      void this.stopWhenLost(messages);
      let delivered = 0;
      for await (const msg of messages) {
        delivered += 1;
        if (msg.info.deliverySequence !== delivered) {
          throw new Error(`message ${delivered} of the stream reader is missing`);
        }
        this.read(msg);
      }
    } finally {
      this.messages = null;
      this.readerName = null;
      await jsm.consumers.delete(this.stream, name).catch(() => undefined);
    }
  }

  /** Ends a read whose consumer is gone or silent; `follow` then opens a new one. */
  private async stopWhenLost(messages: ConsumerMessages): Promise<void> {
    for await (const status of await messages.status()) {
      const lost =
        status.type === ConsumerEvents.ConsumerDeleted ||
        status.type === ConsumerEvents.ConsumerNotFound ||
        (status.type === ConsumerEvents.HeartbeatsMissed && Number(status.data) >= 2);
      if (lost) {
        messages.stop();
        return;
      }
    }
  }

  private read(msg: JsMsg): void {
    const seq = msg.seq;
    if (seq <= this.readPosition) return;
    this.readPosition = seq;
    if (this.catchingUp !== null && this.catchingUp > 0) this.catchingUp -= 1;
    if (this.awaited !== null && seq >= this.awaited.seq) this.awaited = null;

    const eventId = msg.headers?.get('Nats-Msg-Id') ?? '';
    const deliveryId = readDeliveryId(msg.headers?.get(DELIVERY_ID_HEADER) ?? '');
    if (eventId !== '') {
      this.filter.add(eventId);
      this.rebuildLog?.push(eventId);
      // Events stored before the delivery id travelled in a header had their row written by
      // the request that stored them.
      if (deliveryId !== '') {
        const integrationId = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
        this.unwritten.set(eventId, { integrationId, deliveryId, eventId, seq });
      }
    }
    if (this.filter.full) void this.rebuild();
    this.scheduleWrite(WRITE_LINGER_MS);
  }

  private scheduleWrite(afterMs: number): void {
    if (this.writeTimer !== null || this.writing !== null || this.stopped) return;
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null;
      this.writing = this.writeUnwritten()
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'inbound delivery ids not written; will try again');
          return RETRY_MS;
        })
        .then((next) => {
          this.writing = null;
          if (this.readPosition > this.writtenPosition) this.scheduleWrite(next ?? 0);
        });
    }, afterMs);
    this.writeTimer.unref();
  }

  /** Writes what was read, in stream order, one statement at a time. */
  private async writeUnwritten(): Promise<undefined> {
    while (this.readPosition > this.writtenPosition) {
      const batch: (LedgerRow & { seq: number })[] = [];
      for (const row of this.unwritten.values()) {
        if (batch.length === MAX_WRITE) break;
        batch.push(row);
      }
      // The position reached: up to the last row taken when more are left, else everything read
      // (events without a row to write included).
      const last = batch[batch.length - 1];
      const position =
        batch.length < this.unwritten.size && last !== undefined ? last.seq : this.readPosition;
      await this.deliveries.write(this.stream, batch, position);
      for (const row of batch) {
        this.unwritten.delete(row.eventId);
        this.rebuildLog?.push(row.eventId);
      }
      this.writtenPosition = Math.max(this.writtenPosition, position);
    }
    return undefined;
  }

  /**
   * Puts in place a filter of every id in the ledger, and every id read or written while it was
   * being built: an id written after the ledger was read is in the log, one not yet written in
   * `unwritten`. The new filter takes over in the same turn as the log is closed, so no id read
   * meanwhile can miss both.
   */
  private async installFilter(): Promise<void> {
    const log: string[] = [];
    this.rebuildLog = log;
    try {
      const count = await this.deliveries.count();
      const filter = new EventIdFilter(Math.max(MIN_FILTER_CAPACITY, 2 * count));
      await this.deliveries.eachEventId((page) => {
        for (const id of page) filter.add(id);
      });
      for (const id of log) filter.add(id);
      for (const id of this.unwritten.keys()) filter.add(id);
      this.filter = filter;
    } finally {
      this.rebuildLog = null;
    }
  }
}

/**
 * Whether a reader at `readPosition` has events to read: some the server has not handed over
 * yet, or some handed over that it has not taken in.
 */
export function readerBehind(info: ConsumerInfo, readPosition: number): boolean {
  return info.num_pending > 0 || info.delivered.stream_seq > readPosition;
}

/** The delivery id from its header; empty when there is none or it does not decode. */
function readDeliveryId(header: string): string {
  try {
    return decodeURIComponent(header);
  } catch {
    return '';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
