import type { ClientBase } from 'pg';
import { canonicalJson, chainHash, type AuditContent, type ChainPosition } from '@kera/domain';
import type { AuditRecord } from '../entry/audit-record';

/** The stream's checkpoint is not where this writer left it: someone else wrote the stream. */
export class CheckpointMovedError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: number,
  ) {
    super(`the checkpoint of ${stream} is no longer ${expected}: another writer moved it`);
    this.name = 'CheckpointMovedError';
  }
}

/**
 * A record with its payload already in canonical JSON, the costly part of
 * its hash, worked out before anything is sent. The same text is stored.
 */
export interface PreparedRecord extends AuditRecord {
  payloadJson: string;
}

export function prepareRecord(record: AuditRecord): PreparedRecord {
  return { ...record, payloadJson: canonicalJson(record.payload) };
}

/** The end of the chain as a writer last saw it. */
export interface ChainHead extends ChainPosition {
  /** When the head entry was recorded (ISO); null before the first entry. */
  recordedAt: string | null;
}

/**
 * The chain head a writer remembers between its writes, so that a write is
 * one statement. Another writer's append makes it stale; the write notices,
 * forgets it and reads the head again.
 */
export interface HeadMemory {
  head: ChainHead | null;
}

export interface AppendInput {
  /** Stream name, e.g. `KERA_TICKETS`. */
  stream: string;
  /** The checkpoint this batch follows; the write is refused when the stored one differs. */
  after: number;
  /** The records of the stream messages after `after`, in stream order. */
  records: PreparedRecord[];
  /** The clock; entries are recorded at this time or the head entry's, whichever is later. */
  now?: Date;
}

export interface AppendResult {
  /** Entries stored. */
  written: number;
  /** Records skipped because their event id is in the trail already. */
  duplicates: number;
  /** The stream's checkpoint now: the last record's stream sequence. */
  checkpoint: number;
  /** The end of the chain after this write. */
  head: ChainPosition;
}

/** Postgres types of the entry columns, in insert order (VALUES in a subquery need them). */
const COLUMNS = [
  ['seq', 'bigint'],
  ['recorded_at', 'timestamptz'],
  ['stream', 'text'],
  ['stream_seq', 'bigint'],
  ['event_id', 'text'],
  ['type', 'text'],
  ['time', 'timestamptz'],
  ['ticket_id', 'text'],
  ['integration_id', 'text'],
  ['actor', 'text'],
  ['correlation_id', 'text'],
  ['payload', 'jsonb'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
] as const;

/** Writes another writer slipped in between before this one gives up. */
const MAX_ATTEMPTS = 20;

/**
 * The stream's checkpoint (the last stream sequence in the trail, 0 before
 * the first), creating its row when the stream is new.
 */
export async function openCheckpoint(client: ClientBase, stream: string): Promise<number> {
  const { rows } = await client.query(
    `WITH created AS (
       INSERT INTO audit_checkpoints (stream, last_seq) VALUES ($1, 0)
       ON CONFLICT (stream) DO NOTHING RETURNING last_seq)
     SELECT last_seq FROM created UNION ALL SELECT last_seq FROM audit_checkpoints WHERE stream = $1`,
    [stream],
  );
  return Number(rows[0]?.last_seq ?? 0);
}

/**
 * Appends the records of one stream to the chain and moves the stream's
 * checkpoint to the last of them, in one statement: the entries, the new
 * chain head and the checkpoint are stored together or not at all. The
 * statement stores nothing unless the chain head is still the one the
 * hashes were computed from (else it is read again and the batch rehashed)
 * and the checkpoint is still `after` (else CheckpointMovedError: the batch
 * is never stored twice). An event id already in the trail is skipped.
 */
export async function appendRecords(
  client: ClientBase,
  input: AppendInput,
  memory: HeadMemory = { head: null },
): Promise<AppendResult> {
  const last = input.records[input.records.length - 1];
  if (!last) throw new Error('appendRecords needs at least one record');

  let stored: Set<string> | null = null;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const head = memory.head ?? (await readHead(client));
    const fresh = withoutStored(input.records, stored);
    const rows = chain(fresh, head, recordedTime(head, input.now ?? new Date()));
    const outcome = await write(client, input, last.stream_seq, head, rows).catch((error) => {
      if (!isDuplicateEventId(error)) throw error;
      return 'duplicate' as const;
    });

    if (outcome === 'duplicate') {
      stored = await storedEventIds(client, input.records);
    } else if (outcome === 'head moved') {
      memory.head = null;
    } else {
      memory.head = rows[rows.length - 1]?.head ?? head;
      return {
        written: rows.length,
        duplicates: input.records.length - rows.length,
        checkpoint: last.stream_seq,
        head: { seq: memory.head.seq, hash: memory.head.hash },
      };
    }
  }
  throw new Error(`could not append to the audit chain in ${MAX_ATTEMPTS} attempts`);
}

async function readHead(client: ClientBase): Promise<ChainHead> {
  const { rows } = await client.query(
    `SELECT h.seq, h.hash, e.recorded_at
       FROM audit_chain_head h LEFT JOIN audit_entries e ON e.seq = h.seq`,
  );
  const row = rows[0];
  if (!row) throw new Error('audit_chain_head has no row: the audit migration did not run');
  const recordedAt = row.recorded_at ? (row.recorded_at as Date).toISOString() : null;
  return { seq: Number(row.seq), hash: String(row.hash), recordedAt };
}

/**
 * The recorded time of the next entries: now, but never before the head
 * entry's, so that recorded_at never decreases along seq (instances' clocks
 * differ) and a time range is a seq range.
 */
function recordedTime(head: ChainHead, now: Date): string {
  const iso = now.toISOString();
  return head.recordedAt !== null && head.recordedAt > iso ? head.recordedAt : iso;
}

/** The records whose event id is neither stored nor earlier in the batch. */
function withoutStored(records: PreparedRecord[], stored: Set<string> | null): PreparedRecord[] {
  const seen = new Set(stored);
  return records.filter((record) => {
    if (seen.has(record.event_id)) return false;
    seen.add(record.event_id);
    return true;
  });
}

async function storedEventIds(client: ClientBase, records: PreparedRecord[]): Promise<Set<string>> {
  const { rows } = await client.query(
    'SELECT event_id FROM audit_entries WHERE event_id = ANY($1::text[])',
    [records.map((record) => record.event_id)],
  );
  return new Set(rows.map((row) => String(row.event_id)));
}

interface ChainedRow {
  head: ChainHead;
  values: unknown[];
}

function chain(records: PreparedRecord[], start: ChainHead, recordedAt: string): ChainedRow[] {
  let prev: ChainPosition = start;
  return records.map((record) => {
    const content: AuditContent = {
      seq: prev.seq + 1,
      recorded_at: recordedAt,
      stream: record.stream,
      stream_seq: record.stream_seq,
      event_id: record.event_id,
      type: record.type,
      time: record.time,
      ticket_id: record.ticket_id,
      integration_id: record.integration_id,
      actor: record.actor,
      correlation_id: record.correlation_id,
      payload: record.payload,
    };
    const hash = chainHash(prev.hash, content, record.payloadJson);
    const values = [
      content.seq,
      content.recorded_at,
      content.stream,
      content.stream_seq,
      content.event_id,
      content.type,
      content.time,
      content.ticket_id,
      content.integration_id,
      content.actor,
      content.correlation_id,
      record.payloadJson,
      prev.hash,
      hash,
    ];
    prev = { seq: content.seq, hash };
    return { head: { seq: content.seq, hash, recordedAt }, values };
  });
}

type WriteOutcome = 'stored' | 'head moved';

/**
 * The single statement of a write. It locks the chain head and the
 * stream's checkpoint only if they are still `head` and `after` (a writer
 * that changed them meanwhile is waited for, then they are checked again)
 * and then moves both and inserts the rows; otherwise it changes nothing.
 * Postgres takes at most 65,535 parameters, about 4,600 rows.
 */
async function write(
  client: ClientBase,
  input: AppendInput,
  through: number,
  head: ChainHead,
  rows: ChainedRow[],
): Promise<WriteOutcome> {
  const end = rows[rows.length - 1]?.head ?? head;
  const params: unknown[] = [head.seq, head.hash, input.stream, input.after, end.seq, end.hash];
  params.push(through);
  const tuples = rows.map(({ values }) => {
    const first = params.length + 1;
    params.push(...values);
    return `(${COLUMNS.map(([, type], i) => `$${first + i}::${type}`).join(',')})`;
  });
  const insert = tuples.length
    ? `, entries AS (
         INSERT INTO audit_entries (${COLUMNS.map(([name]) => name).join(', ')})
         SELECT * FROM (VALUES ${tuples.join(',')}) AS v WHERE EXISTS (SELECT FROM unchanged))`
    : '';
  const { rows: result } = await client.query(
    `WITH unchanged AS (
       SELECT FROM audit_chain_head h, audit_checkpoints c
        WHERE h.seq = $1 AND h.hash = $2 AND c.stream = $3 AND c.last_seq = $4
        FOR UPDATE OF h, c
     ), moved_head AS (
       UPDATE audit_chain_head SET seq = $5, hash = $6 WHERE EXISTS (SELECT FROM unchanged)
     ), moved_checkpoint AS (
       UPDATE audit_checkpoints SET last_seq = $7, updated_at = now()
        WHERE stream = $3 AND EXISTS (SELECT FROM unchanged)
     )${insert}
     SELECT EXISTS (SELECT FROM unchanged) AS stored`,
    params,
  );
  if (result[0]?.stored === true) return 'stored';
  // Nothing was changed: tell which of the two moved.
  if ((await readCheckpoint(client, input.stream)) !== input.after) {
    throw new CheckpointMovedError(input.stream, input.after);
  }
  return 'head moved';
}

async function readCheckpoint(client: ClientBase, stream: string): Promise<number> {
  const { rows } = await client.query('SELECT last_seq FROM audit_checkpoints WHERE stream = $1', [
    stream,
  ]);
  return Number(rows[0]?.last_seq ?? -1);
}

function isDuplicateEventId(error: unknown): boolean {
  const { code, constraint } = error as { code?: string; constraint?: string };
  return code === '23505' && constraint === 'audit_event_id';
}
