import { EventTypes, isRecord } from '@kera/contracts';
import { storableJson, type AuditContent } from '@kera/domain';
import type { StreamMessage } from '@kera/jetstream';

const SECRET_KEYS =
  /^(secret|secrets|token|password|authorization|x-gitlab-token|x-hub-signature(-256)?|webhook-signature)$/i;
const TICKET_SUBJECT_TYPES = /^kera\.(ticket|delivery)\./;

/** What the audit trail keeps of one stream message: never a secret. */
export function toAuditContent(message: StreamMessage): AuditContent {
  const event = message.event;
  if (!event) {
    return {
      stream: message.stream,
      stream_seq: message.seq,
      event_id: `${message.stream}:${message.seq}`,
      type: 'unknown',
      time: new Date().toISOString(),
      ticket_id: null,
      integration_id: null,
      actor: null,
      correlation_id: null,
      payload: {
        subject: message.subject,
        raw_base64: Buffer.from(message.data).toString('base64'),
      },
    };
  }

  const data = isRecord(event.data) ? event.data : {};
  return {
    stream: message.stream,
    stream_seq: message.seq,
    event_id: event.id,
    type: event.type,
    time: event.time,
    ticket_id: ticketOf(event.type, event.subject, data),
    integration_id: stringOrNull(data.integration_id),
    actor: stringOrNull(data.actor),
    correlation_id: event.correlationid ?? null,
    payload: storableJson(
      redact(event.type === EventTypes.workflowUpdated ? redactYaml(data) : event.data),
    ),
  };
}

function ticketOf(type: string, subject: string, data: Record<string, unknown>): string | null {
  if (typeof data.ticket_id === 'string') return data.ticket_id;
  return TICKET_SUBJECT_TYPES.test(type) ? subject : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Replaces the values of secret-bearing keys at any depth. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEYS.test(key) ? '[redacted]' : redact(item);
  }
  return out;
}

/** Workflow YAML may hold action secrets and header values: they are blanked line by line. */
function redactYaml(data: Record<string, unknown>): Record<string, unknown> {
  if (typeof data.yaml !== 'string') return data;
  const yaml = data.yaml.replace(/^(\s*(?:-\s+)?secret\s*:\s*).*$/gm, '$1[redacted]');
  return { ...data, yaml };
}
