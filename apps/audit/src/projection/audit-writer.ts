import type { ClientBase } from 'pg';
import { canonicalJson, chainHash, type ChainPosition } from '@kera/domain';
import type { AuditRecord } from '../entry/audit-record';

/** The stream's checkpoint is not where this writer left it: someone else wrote the stream. */
export class CheckpointMovedError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: number,
    readonly found: number,
  ) {
    super(`checkpoint of ${stream} is ${found}, expected ${expected}`);
    this.name = 'CheckpointMovedError';
  }
}

export interface AppendInput {
  /** Stream name, e.g. `KERA_TICKETS`. */
  stream: string;
  /** The checkpoint this batch follows; the write is refused when the stored one differs. */
  after: number;
  /** The records of the stream messages after `after`, in stream order. */
  records: AuditRecord[];
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

const COLUMNS = [
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
  'payload',
  'prev_hash',
  'hash',
] as const;

/** The stream's checkpoint: the last stream sequence in the trail, 0 before the first. */
export async function readCheckpoint(client: ClientBase, stream: string): Promise<number> {
  const { rows } = await client.query('SELECT last_seq FROM audit_checkpoints WHERE stream = $1', [
    stream,
  ]);
  return rows[0] ? Number(rows[0].last_seq) : 0;
}

/**
 * Appends the records of one stream to the chain and moves the stream's
 * checkpoint to the last of them, in one transaction. The chain head row
 * is locked first, which puts writers of all streams one after the other;
 * a checkpoint that moved since `after` refuses the write, so a batch is
 * never stored twice; an event id already in the trail is skipped.
 */
export async function appendRecords(client: ClientBase, input: AppendInput): Promise<AppendResult> {
  const last = input.records[input.records.length - 1];
  if (!last) throw new Error('appendRecords needs at least one record');

  await client.query('BEGIN');
  try {
    const result = await append(client, input, last.stream_seq);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function append(
  client: ClientBase,
  input: AppendInput,
  through: number,
): Promise<AppendResult> {
  const head = await lockChainHead(client);
  const found = await readCheckpoint(client, input.stream);
  if (found !== input.after) throw new CheckpointMovedError(input.stream, input.after, found);

  const fresh = await withoutStored(client, input.records);
  const rows = chain(fresh, head, recordedTime(head, input.now ?? new Date()));
  const end = rows[rows.length - 1]?.position;
  if (end) {
    await insertEntries(
      client,
      rows.map((row) => row.values),
    );
    await client.query('UPDATE audit_chain_head SET seq = $1, hash = $2', [end.seq, end.hash]);
  }
  await client.query(
    `INSERT INTO audit_checkpoints (stream, last_seq, updated_at) VALUES ($1, $2, now())
     ON CONFLICT (stream) DO UPDATE SET last_seq = excluded.last_seq, updated_at = now()`,
    [input.stream, through],
  );
  return {
    written: rows.length,
    duplicates: input.records.length - rows.length,
    checkpoint: through,
    head: end ?? { seq: head.seq, hash: head.hash },
  };
}

interface ChainHead extends ChainPosition {
  /** When the head entry was recorded; null before the first entry. */
  recordedAt: Date | null;
}

async function lockChainHead(client: ClientBase): Promise<ChainHead> {
  const { rows } = await client.query(
    `SELECT h.seq, h.hash, e.recorded_at
       FROM audit_chain_head h LEFT JOIN audit_entries e ON e.seq = h.seq
        FOR UPDATE OF h`,
  );
  const row = rows[0];
  if (!row) throw new Error('audit_chain_head has no row: the audit migration did not run');
  return { seq: Number(row.seq), hash: String(row.hash), recordedAt: row.recorded_at ?? null };
}

/**
 * The recorded time of the next entries: now, but never before the head
 * entry's, so that recorded_at never decreases along seq (instances' clocks
 * differ) and a time range is a seq range.
 */
function recordedTime(head: ChainHead, now: Date): string {
  const last = head.recordedAt?.getTime() ?? 0;
  return new Date(Math.max(now.getTime(), last)).toISOString();
}

/** The records whose event id is neither in the trail nor earlier in the batch. */
async function withoutStored(client: ClientBase, records: AuditRecord[]): Promise<AuditRecord[]> {
  const ids = records.map((record) => record.event_id);
  const { rows } = await client.query(
    'SELECT event_id FROM audit_entries WHERE event_id = ANY($1::text[])',
    [ids],
  );
  const seen = new Set<string>(rows.map((row) => String(row.event_id)));
  return records.filter((record) => {
    if (seen.has(record.event_id)) return false;
    seen.add(record.event_id);
    return true;
  });
}

interface ChainedRow {
  position: ChainPosition;
  values: unknown[];
}

function chain(records: AuditRecord[], head: ChainPosition, recordedAt: string): ChainedRow[] {
  let prev = head;
  return records.map((record) => {
    const content = { ...record, seq: prev.seq + 1, recorded_at: recordedAt };
    const payloadJson = canonicalJson(content.payload);
    const hash = chainHash(prev.hash, content, payloadJson);
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
      payloadJson,
      prev.hash,
      hash,
    ];
    prev = { seq: content.seq, hash };
    return { position: prev, values };
  });
}

/** Rows per INSERT statement; Postgres takes at most 65,535 parameters in one. */
const ROWS_PER_STATEMENT = 2000;

async function insertEntries(client: ClientBase, rows: unknown[][]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const tuples = rows.slice(start, start + ROWS_PER_STATEMENT).map((values) => {
      const first = params.length + 1;
      params.push(...values);
      return `(${values.map((_, i) => `$${first + i}`).join(',')})`;
    });
    await client.query(
      `INSERT INTO audit_entries (${COLUMNS.join(', ')}) VALUES ${tuples.join(',')}`,
      params,
    );
  }
}
