import { createHash } from 'node:crypto';

/** The `prev_hash` of the first entry of the trail. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Everything stored in an audit entry except its two hashes, which is
 * exactly what its hash covers. Times are ISO 8601 UTC with milliseconds
 * (`2026-04-24T10:30:00.000Z`), as they are stored.
 */
export interface AuditContent {
  /** Position in the trail: 1, 2, 3, … without gaps. */
  seq: number;
  /** When the audit service stored the entry. */
  recorded_at: string;
  stream: string;
  stream_seq: number;
  event_id: string;
  type: string;
  /** When the event happened, as its envelope says. */
  time: string;
  ticket_id: string | null;
  integration_id: string | null;
  actor: string | null;
  correlation_id: string | null;
  payload: unknown;
}

/** A link of the chain: where it is and the hash it ends with. */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** Where a trail that was never archived starts. */
export const GENESIS: ChainPosition = { seq: 0, hash: GENESIS_HASH };

/**
 * JSON with object keys sorted at every depth, so that one value always
 * serialises the same way however it was stored (Postgres jsonb reorders
 * keys and forgets whitespace). Numbers are written as JavaScript writes
 * doubles, which is stable across a jsonb round trip.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;

  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * The entry's hash: sha256 over the previous entry's hash, the entry's
 * fields and its payload, each field set in canonical JSON. `payloadJson`
 * may be passed when the caller already has `canonicalJson(payload)`.
 */
export function chainHash(
  prevHash: string,
  content: AuditContent,
  payloadJson: string = canonicalJson(content.payload),
): string {
  const { payload: _payload, ...fields } = content;
  return createHash('sha256')
    .update(prevHash)
    .update('\n')
    .update(canonicalJson(fields))
    .update('\n')
    .update(payloadJson)
    .digest('hex');
}
