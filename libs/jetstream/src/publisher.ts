import { headers as natsHeaders, type Msg, type NatsConnection } from 'nats';
import { ConflictError, UnavailableError, type KeraEvent } from '@kera/contracts';
import { ReplyInbox } from './reply-inbox';

/** The stream already has a newer event on this subject: someone else won the race. */
export class ConcurrencyError extends ConflictError {
  constructor(
    readonly subject: string,
    readonly lastSequence: number | null,
  ) {
    super(`a concurrent change was stored first on ${subject}; reload and try again`);
  }
}

export interface AppendOptions {
  /**
   * The stream sequence of the last event on this subject that the caller
   * decided from; 0 means the subject must have no event yet.
   */
  expectedLastSubjectSequence?: number;
  /** More headers stored with the message (values must not start or end with spaces). */
  headers?: Readonly<Record<string, string>>;
}

export interface AppendResult {
  seq: number;
  /** The event id was seen within the duplicate window and stored earlier. */
  duplicate: boolean;
}

/** Header names carried by every event, so `nats stream view` shows them without decoding. */
export const EVENT_HEADERS = {
  type: 'Kera-Type',
  correlation: 'Kera-Correlation-Id',
} as const;

const WRONG_LAST_SEQUENCE = 10071;
/** The stream is at its byte limit and refuses new messages (discard new). */
const STORE_FAILED = 10077;

/** How long an append waits for JetStream's acknowledgement. */
const APPEND_TIMEOUT_MS = 5000;

/** What JetStream answers a publish with: where it stored it, or why it did not. */
interface PublishAck {
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

/** A refused or unreadable acknowledgement, shaped like the client's errors. */
class PublishFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly api_error?: PublishAck['error'],
  ) {
    super(message);
    this.name = 'PublishFailure';
  }
}

/**
 * Reads JetStream's acknowledgement of a publish: where the message was stored, or an error
 * that `translatePublishError` understands.
 */
function readPublishAck(message: Msg): AppendResult {
  if (message.headers?.hasError) {
    const code = String(message.headers.code);
    throw new PublishFailure(`JetStream answered ${code}`, code);
  }
  let ack: PublishAck;
  try {
    ack = message.json<PublishAck>();
  } catch {
    throw new PublishFailure('JetStream sent an unreadable acknowledgement', 'BAD_ACK');
  }
  if (ack.error !== undefined || typeof ack.seq !== 'number') {
    const description = ack.error?.description ?? 'no sequence in the acknowledgement';
    throw new PublishFailure(description, 'API_ERROR', ack.error);
  }
  return { seq: ack.seq, duplicate: ack.duplicate === true };
}

/**
 * Appends CloudEvents to JetStream. The event id is the message id, so a
 * publish retried after a lost acknowledgement is stored once. Acknowledgements
 * come back to one inbox (see `ReplyInbox`).
 */
export class EventPublisher {
  private inbox: ReplyInbox | null = null;

  constructor(private readonly nc: NatsConnection) {}

  async append(
    subject: string,
    event: KeraEvent,
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    const h = natsHeaders();
    h.set(EVENT_HEADERS.type, event.type);
    h.set(EVENT_HEADERS.correlation, event.correlationid);
    if (options.expectedLastSubjectSequence !== undefined) {
      // Set by hand: the client skips the header for 0, which is the
      // "subject must be empty" expectation ticket creation relies on.
      h.set('Nats-Expected-Last-Subject-Sequence', String(options.expectedLastSubjectSequence));
    }

    h.set('Nats-Msg-Id', event.id);
    for (const [name, value] of Object.entries(options.headers ?? {})) h.set(name, value);

    try {
      this.inbox ??= new ReplyInbox(this.nc);
      const answer = await this.inbox.request(subject, JSON.stringify(event), {
        timeoutMs: APPEND_TIMEOUT_MS,
        headers: h,
      });
      return readPublishAck(answer);
    } catch (error) {
      throw translatePublishError(error, subject);
    }
  }
}

export function translatePublishError(error: unknown, subject: string): Error {
  const apiError = (error as { api_error?: { err_code?: number; description?: string } }).api_error;
  if (apiError?.err_code === WRONG_LAST_SEQUENCE) {
    const match = /wrong last sequence: (\d+)/.exec(apiError.description ?? '');
    return new ConcurrencyError(subject, match ? Number(match[1]) : null);
  }
  if (apiError?.err_code === STORE_FAILED) {
    return new UnavailableError(
      `the event store refused ${subject}: ${apiError.description ?? 'store failed'}; ` +
        'an operator must raise KERA_JETSTREAM_MAX_BYTES',
    );
  }
  const code = (error as { code?: string }).code;
  if (
    code === 'TIMEOUT' ||
    code === '503' ||
    code === 'CONNECTION_CLOSED' ||
    code === 'DISCONNECT'
  ) {
    return new UnavailableError('the event store (NATS JetStream) is not answering; try again');
  }
  return error instanceof Error ? error : new Error(String(error));
}
