import type { StoredAuditEntry } from '@kera/domain';

/**
 * Columns of an audit entry as the code reads them. Times come as UTC text
 * with microseconds, never through a JavaScript Date: a stored time that
 * differs from the hashed one by a microsecond still shows. The payload
 * comes as jsonb text and its size is counted to bound a page.
 */
export const ENTRY_COLUMNS = `seq,
  to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS recorded_at,
  stream, stream_seq, event_id, type,
  to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS time,
  ticket_id, integration_id, actor, correlation_id,
  payload::text AS payload_json, prev_hash, hash`;

/** A row of `boundedEntriesSql`. */
export interface BoundedEntryRow extends EntryRow {
  running_bytes: string;
  next_seq: string | null;
}

/** An entry row as the query with ENTRY_COLUMNS returns it. */
export interface EntryRow {
  seq: string;
  recorded_at: string;
  stream: string;
  stream_seq: string;
  event_id: string;
  type: string;
  time: string;
  ticket_id: string | null;
  integration_id: string | null;
  actor: string | null;
  correlation_id: string | null;
  payload_json: string;
  prev_hash: string;
  hash: string;
}

/** What an entry adds to a reply besides its payload (hashes, ids, field names). */
export const ROW_OVERHEAD_BYTES = 1024;

/**
 * Selects entries in seq order, at most `limit` of them and, counting each
 * one's payload plus `ROW_OVERHEAD_BYTES`, only as many as fit in
 * `budgetBytes` plus the one that crosses it, so that a page of large
 * payloads never reaches the service whole. Each row tells the seq of the
 * row after it (`next_seq`), so the caller knows whether more follow.
 * `where` uses parameters from $3 on; $1 is the limit and $2 the budget.
 */
export function boundedEntriesSql(where: string): string {
  return `SELECT * FROM (
      SELECT page.*,
             sum(octet_length(page.payload_json) + ${ROW_OVERHEAD_BYTES})
               OVER (ORDER BY page.seq) AS running_bytes,
             lead(page.seq) OVER (ORDER BY page.seq) AS next_seq
        FROM (SELECT ${ENTRY_COLUMNS} FROM audit_entries
               ${where ? `WHERE ${where}` : ''}
               ORDER BY seq LIMIT $1) page
    ) counted
    WHERE running_bytes - octet_length(payload_json) - ${ROW_OVERHEAD_BYTES} < $2
    ORDER BY seq`;
}

/** The stored entry of a row, and its payload's JSON text as Postgres wrote it. */
export function storedEntry(row: EntryRow): StoredAuditEntry {
  return {
    seq: Number(row.seq),
    recorded_at: isoTime(row.recorded_at),
    stream: row.stream,
    stream_seq: Number(row.stream_seq),
    event_id: row.event_id,
    type: row.type,
    time: isoTime(row.time),
    ticket_id: row.ticket_id,
    integration_id: row.integration_id,
    actor: row.actor,
    correlation_id: row.correlation_id,
    payload: JSON.parse(row.payload_json),
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/** Microsecond text as the writer's millisecond ISO time when it is one. */
function isoTime(text: string): string {
  return text.endsWith('000') ? `${text.slice(0, -3)}Z` : `${text}Z`;
}
