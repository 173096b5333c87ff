import { reject } from './rejection';
import type { InboundHeaders, RejectedInbound } from './types';

/** Longest header value accepted, in characters; longer values are refused, never processed. */
export const MAX_HEADER_LENGTH = 8192;

/** Header values that passed the checks, by lower-case name; an absent header has no entry. */
export type HeaderValues = ReadonlyMap<string, string>;

type Inspection =
  | { kind: 'absent' }
  | { kind: 'present'; value: string }
  | { kind: 'refused'; rejection: RejectedInbound };

const ABSENT: Inspection = { kind: 'absent' };

/** How the senders spell the headers named in messages; others keep their lower-case name. */
const LABELS: Readonly<Record<string, string>> = {
  'content-type': 'Content-Type',
  'x-hub-signature-256': 'X-Hub-Signature-256',
  'x-github-event': 'X-GitHub-Event',
  'x-github-delivery': 'X-GitHub-Delivery',
  'x-gitlab-token': 'X-Gitlab-Token',
  'x-gitlab-event': 'X-Gitlab-Event',
  'x-gitlab-event-uuid': 'X-Gitlab-Event-UUID',
  'idempotency-key': 'Idempotency-Key',
};

/**
 * Reads the headers a decision depends on. Each must be sent at most once, be text of at most
 * MAX_HEADER_LENGTH characters and hold no control characters; an empty value counts as absent.
 */
export function readHeaders(
  headers: InboundHeaders,
  names: readonly string[],
): { ok: true; values: HeaderValues } | RejectedInbound {
  const values = new Map<string, string>();
  for (const name of names) {
    const inspection = inspectHeader(headers, name);
    if (inspection.kind === 'refused') return inspection.rejection;
    if (inspection.kind === 'present') values.set(name, inspection.value);
  }
  return { ok: true, values };
}

/**
 * Copies the named headers for the audit trail. A value that fails the checks of readHeaders is
 * left out: these headers do not decide anything, so they are not worth refusing a delivery over.
 */
export function keptHeaders(
  headers: InboundHeaders,
  names: readonly string[],
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of names) {
    const inspection = inspectHeader(headers, name);
    if (inspection.kind === 'present') kept[name] = inspection.value;
  }
  return kept;
}

/** True when the text holds a C0 control character other than tab, or DEL. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

function inspectHeader(headers: InboundHeaders, name: string): Inspection {
  const raw: unknown = Object.hasOwn(headers, name) ? headers[name] : undefined;
  const label = LABELS[name] ?? name;
  if (Array.isArray(raw) && raw.length > 1) {
    return refused('ambiguous_header', `${label} was sent more than once; send it once`);
  }

  const value: unknown = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return ABSENT;
  if (typeof value !== 'string') return refused('malformed_header', `${label} is not text`);
  if (value.length > MAX_HEADER_LENGTH) {
    return refused('malformed_header', `${label} is longer than ${MAX_HEADER_LENGTH} characters`);
  }
  if (hasControlCharacter(value)) {
    return refused('malformed_header', `${label} contains control characters`);
  }

  const trimmed = value.trim();
  return trimmed === '' ? ABSENT : { kind: 'present', value: trimmed };
}

function refused(reason: 'ambiguous_header' | 'malformed_header', detail: string): Inspection {
  return { kind: 'refused', rejection: reject(reason, detail) };
}
