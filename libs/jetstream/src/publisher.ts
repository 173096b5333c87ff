import { headers as natsHeaders, type JetStreamClient, type NatsConnection } from 'nats';
import { ConflictError, UnavailableError, type KeraEvent } from '@kera/contracts';

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

/**
 * Appends CloudEvents to JetStream. The event id is the message id, so a
 * publish retried after a lost acknowledgement is stored once.
 */
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(nc: NatsConnection) {
    this.js = nc.jetstream({ timeout: 5000 });
  }

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

    try {
      const ack = await this.js.publish(subject, JSON.stringify(event), {
        msgID: event.id,
        headers: h,
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
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
