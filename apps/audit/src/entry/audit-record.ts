import { EventTypes, isRecord, parseEvent, type KeraEvent } from '@kera/contracts';
import {
  UnstorableValueError,
  indexableText,
  redactWorkflowYaml,
  storableJson,
  storableText,
  storableTime,
  type AuditContent,
} from '@kera/domain';
import { redactSecrets } from './redact';

/** One message read from a stream, as the projection hands it over. */
export interface SourceMessage {
  /** Stream name, e.g. `KERA_TICKETS`. */
  stream: string;
  /** Stream sequence. */
  seq: number;
  subject: string;
  data: Uint8Array;
  /** When JetStream stored it. */
  storedAt: Date;
}

/** What the trail keeps of one message; the writer adds `seq` and `recorded_at`. */
export type AuditRecord = Omit<AuditContent, 'seq' | 'recorded_at'>;

/** The `type` of an entry for a message that is not a readable Kera event. */
export const UNREADABLE_TYPE = 'unreadable';

/** Longest id, type or filter value kept; longer ones do not fit an index entry. */
export const MAX_INDEXED_LENGTH = 256;

const TICKET_SUBJECT_TYPES = /^kera\.(ticket|delivery)\./;
const NUL = String.fromCharCode(0);

/**
 * The audit record of a stream message: the event's envelope fields and its
 * data without secrets (workflow YAML redacted, credential keys blanked),
 * inbound bodies as received for accepted requests and none for rejected
 * ones. A message that is not a Kera event, or that cannot be stored as it
 * is, is kept whole as base64 under type `unreadable`.
 */
export function toAuditRecord(message: SourceMessage): AuditRecord {
  const event = parseEvent(message.data);
  if (!event || !fitsIndex(event.id) || !fitsIndex(event.type)) return unreadableRecord(message);
  try {
    return eventRecord(message, event);
  } catch (error) {
    if (error instanceof UnstorableValueError || error instanceof RangeError) {
      return unreadableRecord(message);
    }
    throw error;
  }
}

/** The record that keeps a message byte for byte, for messages nothing else can store. */
export function unreadableRecord(message: SourceMessage): AuditRecord {
  return {
    stream: message.stream,
    stream_seq: message.seq,
    event_id: `${message.stream}:${message.seq}`,
    type: UNREADABLE_TYPE,
    time: message.storedAt.toISOString(),
    ticket_id: null,
    integration_id: null,
    actor: null,
    correlation_id: null,
    payload: {
      subject: storableText(message.subject),
      raw_base64: Buffer.from(message.data).toString('base64'),
    },
  };
}

function eventRecord(message: SourceMessage, event: KeraEvent): AuditRecord {
  const data = isRecord(event.data) ? event.data : {};
  return {
    stream: message.stream,
    stream_seq: message.seq,
    event_id: storableText(event.id),
    type: storableText(event.type),
    time: storableTime(event.time) ?? message.storedAt.toISOString(),
    ticket_id: indexable(ticketOf(event, data)),
    integration_id: indexable(data.integration_id),
    actor: indexable(data.actor),
    correlation_id: indexable(event.correlationid),
    payload: storableJson(keptData(event)),
  };
}

function keptData(event: KeraEvent): unknown {
  if (!isRecord(event.data)) return redactSecrets(event.data);
  switch (event.type) {
    case EventTypes.workflowUpdated:
      return redactSecrets(withRedactedYaml(event.data));
    case EventTypes.inboundReceived:
      return redactSecrets(withStorableBody(event.data));
    case EventTypes.inboundRejected:
      return redactSecrets(withoutBody(event.data));
    default:
      return redactSecrets(event.data);
  }
}

function withRedactedYaml(data: Record<string, unknown>): Record<string, unknown> {
  return typeof data.yaml === 'string' ? { ...data, yaml: redactWorkflowYaml(data.yaml) } : data;
}

/**
 * Keeps the body exactly: text with a NUL (which jsonb cannot hold) is kept
 * as the base64 of its UTF-8 bytes instead, which is the same body.
 */
function withStorableBody(data: Record<string, unknown>): Record<string, unknown> {
  const { body } = data;
  if (typeof body !== 'string' || data.body_encoding !== 'utf8' || !body.includes(NUL)) {
    return data;
  }
  return { ...data, body: Buffer.from(body, 'utf8').toString('base64'), body_encoding: 'base64' };
}

/** A refused request's body is never kept, whatever the event carries. */
function withoutBody(data: Record<string, unknown>): Record<string, unknown> {
  const { body: _body, body_encoding: _encoding, body_object: _object, ...rest } = data;
  return rest;
}

function ticketOf(event: KeraEvent, data: Record<string, unknown>): unknown {
  if (typeof data.ticket_id === 'string') return data.ticket_id;
  return TICKET_SUBJECT_TYPES.test(event.type) ? event.subject : null;
}

function indexable(value: unknown): string | null {
  return typeof value === 'string' ? indexableText(value, MAX_INDEXED_LENGTH) : null;
}

function fitsIndex(value: string): boolean {
  return value.length > 0 && value.length <= MAX_INDEXED_LENGTH;
}
