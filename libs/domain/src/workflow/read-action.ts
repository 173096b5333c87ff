import { type Node } from 'yaml';
import { WORKFLOW_LIMITS } from './limits';
import { quote } from './problems';
import { type Field, type Reader } from './reader';
import { type SendWebhookAction } from './types';

const ACTION_KEYS = ['type', 'url', 'secret', 'headers', 'timeout_ms', 'retry'] as const;

/** RFC 9110 token: the characters a header name may have. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 field value as Node's http client accepts it: no control characters but tab. */
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
/** Headers the dispatcher sets itself; letting an action replace them would break delivery. */
const RESERVED_HEADERS = new Set([
  'connection',
  'content-length',
  'content-type',
  'host',
  'transfer-encoding',
  'user-agent',
  'webhook-id',
  'webhook-signature',
  'webhook-timestamp',
  'x-kera-delivery',
  'x-kera-event',
]);

/** Reads one action; only `send_webhook` exists. Answers undefined when anything is wrong. */
export function readAction(
  reader: Reader,
  node: Node,
  path: string,
): SendWebhookAction | undefined {
  const entries = reader.entries(node, node, path);
  if (!entries || !hasSendWebhookType(reader, node, entries.get('type'), path)) return undefined;

  return readSendWebhook(reader, node, reader.known(entries, path, ACTION_KEYS), path);
}

function readSendWebhook(
  reader: Reader,
  node: Node,
  fields: ReadonlyMap<(typeof ACTION_KEYS)[number], Field>,
  path: string,
): SendWebhookAction | undefined {
  const before = reader.problemCount;
  const url = fields.get('url');
  const secret = fields.get('secret');
  const headers = fields.get('headers');
  const timeout = fields.get('timeout_ms');
  const retry = fields.get('retry');
  if (!url) reader.report(node, `${path} needs "url"`);
  const read = {
    url: url && readUrl(reader, url, `${path}.url`),
    secret: secret && readSecret(reader, secret, `${path}.secret`),
    headers: headers ? readHeaders(reader, headers, `${path}.headers`) : {},
    timeout_ms: timeout
      ? readTimeout(reader, timeout, `${path}.timeout_ms`)
      : WORKFLOW_LIMITS.defaultTimeoutMs,
    retry: retry && readRetry(reader, retry, `${path}.retry`),
  };

  if (reader.problemCount > before || !read.url || read.timeout_ms === undefined) return undefined;
  return {
    type: 'send_webhook',
    url: read.url,
    headers: read.headers,
    timeout_ms: read.timeout_ms,
    ...(read.secret !== undefined && { secret: read.secret }),
    ...(read.retry && { retry: read.retry }),
  };
}

/** Reports a missing or unknown type; answers whether the action can be read as send_webhook. */
function hasSendWebhookType(
  reader: Reader,
  node: Node,
  type: Field | undefined,
  path: string,
): boolean {
  if (!type) {
    // Still read the rest as send_webhook, the only type, to report its problems too.
    reader.report(node, `${path} needs "type: send_webhook"`);
    return true;
  }
  const name = reader.string(type.value, type.at, `${path}.type`);
  if (name === undefined) return false;
  if (name !== 'send_webhook') {
    reader.report(type.at, `unknown action type ${quote(name)}; the only type is send_webhook`);
    return false;
  }
  return true;
}

function readUrl(reader: Reader, field: Field, path: string): string | undefined {
  const text = reader.string(field.value, field.at, path);
  if (text === undefined) return undefined;

  if (!URL.canParse(text)) {
    reader.report(field.at, `${path} ${quote(text)} is not a valid URL`);
    return undefined;
  }
  const { protocol } = new URL(text);
  if (protocol !== 'http:' && protocol !== 'https:') {
    reader.report(field.at, `${path} must be an http or https URL, not ${quote(protocol)}`);
    return undefined;
  }
  return text;
}

function readSecret(reader: Reader, field: Field, path: string): string | undefined {
  const secret = reader.string(field.value, field.at, path);
  if (secret === '') reader.report(field.at, `${path} must not be empty`);
  return secret || undefined;
}

function readHeaders(reader: Reader, field: Field, path: string): Record<string, string> {
  const headers: [string, string][] = [];
  const seen = new Map<string, string>();
  for (const [name, header] of reader.entries(field.value, field.at, path) ?? []) {
    const lower = name.toLowerCase();
    const earlier = seen.get(lower);
    seen.set(lower, name);
    if (!HEADER_NAME.test(name)) {
      reader.report(header.key, `${path}: ${quote(name)} is not a valid header name`);
    } else if (RESERVED_HEADERS.has(lower)) {
      reader.report(header.key, `${path}: ${quote(name)} is set by Kera and cannot be changed`);
    } else if (earlier !== undefined) {
      const message = `${path}: ${quote(name)} repeats ${quote(earlier)} (names ignore case)`;
      reader.report(header.key, message);
    }

    const valuePath = `${path}[${quote(name)}]`;
    const value = reader.string(header.value, header.at, valuePath);
    if (value !== undefined && !HEADER_VALUE.test(value)) {
      reader.report(header.at, `${valuePath} has characters a header value cannot have`);
    }
    if (value !== undefined) headers.push([name, value]);
  }
  // fromEntries defines own properties, so even a header named __proto__ stays a header.
  return Object.fromEntries(headers);
}

function readTimeout(reader: Reader, field: Field, path: string): number | undefined {
  const { minTimeoutMs, maxTimeoutMs } = WORKFLOW_LIMITS;
  return reader.integer(field.value, field.at, path, minTimeoutMs, maxTimeoutMs);
}

function readRetry(reader: Reader, field: Field, path: string): { attempts: number } | undefined {
  const fields = reader.fields(field.value, field.at, path, ['attempts']);
  if (!fields) return undefined;

  const attempts = fields.get('attempts');
  if (!attempts) {
    reader.report(field.at, `${path} needs "attempts"`);
    return undefined;
  }
  const { minRetryAttempts, maxRetryAttempts } = WORKFLOW_LIMITS;
  const count = reader.integer(
    attempts.value,
    attempts.at,
    `${path}.attempts`,
    minRetryAttempts,
    maxRetryAttempts,
  );
  return count === undefined ? undefined : { attempts: count };
}
