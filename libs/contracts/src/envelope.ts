import { randomUUID } from 'node:crypto';

/**
 * Every event on a Kera stream is a CloudEvents 1.0 JSON envelope. The `id`
 * is also the JetStream message id, so a retried publish is deduplicated by
 * the server within the stream's duplicate window.
 */
export interface KeraEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  /** The emitting service, e.g. `kera/workflow`. */
  source: string;
  /** `kera.<aggregate>.<past tense verb>`. */
  type: string;
  /** The aggregate the event belongs to, e.g. a ticket id `KER-42`. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
  /** Shared by every event caused, directly or not, by one outside request. */
  correlationid: string;
  /** The id of the event or request that caused this one. */
  causationid?: string;
}

export interface NewEvent<T> {
  type: string;
  source: string;
  subject: string;
  data: T;
  correlationId?: string;
  causationId?: string;
  id?: string;
  time?: Date;
}

export function createEvent<T>(input: NewEvent<T>): KeraEvent<T> {
  const id = input.id ?? randomUUID();
  const event: KeraEvent<T> = {
    specversion: '1.0',
    id,
    source: input.source,
    type: input.type,
    subject: input.subject,
    time: (input.time ?? new Date()).toISOString(),
    datacontenttype: 'application/json',
    data: input.data,
    correlationid: input.correlationId ?? id,
  };
  if (input.causationId) event.causationid = input.causationId;
  return event;
}

/** Parses and shape-checks an envelope read from a stream; null when it is not one. */
export function parseEvent(bytes: Uint8Array): KeraEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString());
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { specversion, id, type, source, subject, time } = value;
  const strings = [id, type, source, subject, time].every((v) => typeof v === 'string');
  if (specversion !== '1.0' || !strings || !('data' in value)) return null;
  return value as unknown as KeraEvent;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
