import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

/** Field names that hold a credential wherever they appear (top level or one level down). */
const CREDENTIAL_FIELDS = ['secret', 'secrets', 'token', 'password', 'authorization'];

/** Request and response headers that carry a credential or a signature over one. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-gitlab-token',
  'webhook-signature',
];

/**
 * Paths that may carry credentials anywhere they are logged: fields named
 * like a secret, credential headers of requests, responses, outbound
 * actions and HTTP client errors. pino replaces their values.
 */
export const REDACTED_PATHS = [
  ...CREDENTIAL_FIELDS,
  ...CREDENTIAL_FIELDS.map((field) => `*.${field}`),
  ...CREDENTIAL_HEADERS.flatMap((header) => [
    `headers["${header}"]`,
    `*.headers["${header}"]`,
    // An HTTP client error keeps the request it sent under `config`.
    `*.config.headers["${header}"]`,
  ]),
];

/**
 * The names every log line uses for what it is about, so that one query
 * finds all lines of a ticket, delivery or request across services.
 */
export interface LogFields {
  event_id?: string;
  event_type?: string;
  ticket?: string;
  integration?: string;
  delivery_id?: string;
  correlation_id?: string;
}

/** What an event's envelope and data say about it, under the shared log field names. */
export function eventLogFields(event: {
  id: string;
  type: string;
  correlationid?: string;
  data?: unknown;
}): LogFields {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<
    string,
    unknown
  >;
  const fields: LogFields = { event_id: event.id, event_type: event.type };
  if (typeof data.ticket_id === 'string') fields.ticket = data.ticket_id;
  if (typeof data.integration_id === 'string') fields.integration = data.integration_id;
  if (typeof data.delivery_id === 'string') fields.delivery_id = data.delivery_id;
  if (event.correlationid) fields.correlation_id = event.correlationid;
  return fields;
}

/**
 * The service's JSON logger. `destination` defaults to stdout; tests pass
 * their own stream to read what would be written.
 */
export function createLogger(
  service: string,
  level: LogLevel,
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
