import { hash } from 'node:crypto';

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
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
    return `${out}]`;
  }

  const record = value as Record<string, unknown>;
  let out = '{';
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `${out}}`;
}

/** The fields of an entry besides its payload, in the order its hash takes them. */
const HASHED_FIELDS = [
  'seq',
  'recorded_at',
  'stream',
  'stream_seq',
  'event_id',
  'type',
  'time',
  'ticket_id',
  'integration_id',
  'actor',
  'correlation_id',
] as const satisfies readonly (keyof AuditContent)[];

// Fails to compile when AuditContent gains a field the hash does not take.
const _everyFieldHashed: [
  Exclude<keyof AuditContent, (typeof HASHED_FIELDS)[number] | 'payload'>,
] extends [never]
  ? true
  : never = true;

/**
 * The entry's hash: sha256 (hex) over the previous entry's hash, a newline,
 * the JSON array of the entry's fields in HASHED_FIELDS order, a newline
 * and the canonical JSON of its payload. `payloadJson` may be passed when
 * the caller already has `canonicalJson(content.payload)`.
 */
export function chainHash(
  prevHash: string,
  content: AuditContent,
  payloadJson: string = canonicalJson(content.payload),
): string {
  const fields = JSON.stringify(HASHED_FIELDS.map((field) => content[field]));
  // One-shot: no Hash object per entry (the concatenation hashes the same bytes).
  return hash('sha256', `${prevHash}\n${fields}\n${payloadJson}`, 'hex');
}
