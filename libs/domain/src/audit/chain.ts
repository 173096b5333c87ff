import { createHash } from 'node:crypto';

const NUL = String.fromCharCode(0);

/** The first entry's `prev_hash`. */
export const GENESIS_HASH = '0'.repeat(64);

/** The content of an audit entry that its hash covers. */
export interface AuditContent {
  stream: string;
  stream_seq: number;
  event_id: string;
  type: string;
  time: string;
  ticket_id: string | null;
  integration_id: string | null;
  actor: string | null;
  correlation_id: string | null;
  payload: unknown;
}

/**
 * JSON with object keys sorted at every depth, so that the same content
 * always hashes the same however it was stored (Postgres jsonb reorders keys).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map(
      (key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`,
    );
  return `{${entries.join(',')}}`;
}

/** sha256 over the previous hash and the entry's canonical content, hex. */
export function chainHash(prevHash: string, content: AuditContent): string {
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(content))
    .digest('hex');
}

/**
 * Postgres jsonb cannot hold the NUL character; it is replaced (in keys and
 * strings) before storing so that an odd payload never blocks the trail.
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string')
    return value.includes(NUL) ? value.split(NUL).join('\ufffd') : value;
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(storableJson);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[storableJson(key) as string] = storableJson(item);
  return out;
}
