import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BadRequestError, isRecord } from '@kera/contracts';
import { GENESIS_HASH, chainHash } from '@kera/domain';

export interface AuditQuery {
  ticket?: string;
  type?: string;
  integration?: string;
  actor?: string;
  since?: string;
  until?: string;
  limit?: number | string;
  after?: string;
}

export interface AuditItem {
  seq: number;
  event_id: string;
  type: string;
  time: string;
  stream: string;
  stream_seq: number;
  ticket_id: string | null;
  integration_id: string | null;
  actor: string | null;
  correlation_id: string | null;
  payload: unknown;
  hash: string;
  prev_hash: string;
}

export interface VerifyResult {
  ok: boolean;
  entries: number;
  first_bad?: { seq: number; event_id: string; reason: string };
}

const VERIFY_CHUNK = 5000;

/** Reads of the audit trail: filtered pages in order, and the chain check. */
@Injectable()
export class AuditQueryService {
  constructor(private readonly db: DataSource) {}

  async query(input: AuditQuery): Promise<{ items: AuditItem[]; next: string | null }> {
    const q = isRecord(input) ? input : {};
    const limit = parseLimit(q.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (typeof q.ticket === 'string' && q.ticket) add('ticket_id = ?', q.ticket.toUpperCase());
    if (typeof q.type === 'string' && q.type) add('type = ?', q.type);
    if (typeof q.integration === 'string' && q.integration)
      add('integration_id = ?', q.integration);
    if (typeof q.actor === 'string' && q.actor) add('actor = ?', q.actor);
    if (q.since !== undefined) add('time >= ?', parseTime('since', q.since));
    if (q.until !== undefined) add('time < ?', parseTime('until', q.until));
    if (q.after !== undefined) add('seq > ?', decodeCursor(q.after));

    const sql = `SELECT seq, event_id, type, time, stream, stream_seq, ticket_id, integration_id,
                        actor, correlation_id, payload, hash, prev_hash
                   FROM audit_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                  ORDER BY seq ASC LIMIT ${limit + 1}`;
    const rows: Record<string, unknown>[] = await this.db.query(sql, params);
    const items = rows.slice(0, limit).map(toItem);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }

  /** Recomputes the chain from the first entry, a chunk at a time. */
  async verify(): Promise<VerifyResult> {
    let prev = GENESIS_HASH;
    let after = 0;
    let entries = 0;
    for (;;) {
      const rows: Record<string, unknown>[] = await this.db.query(
        `SELECT seq, event_id, type, time, stream, stream_seq, ticket_id, integration_id, actor,
                correlation_id, payload, hash, prev_hash
           FROM audit_entries WHERE seq > $1 ORDER BY seq ASC LIMIT ${VERIFY_CHUNK}`,
        [after],
      );
      for (const row of rows.map(toItem)) {
        const bad = checkEntry(row, prev);
        if (bad)
          return {
            ok: false,
            entries,
            first_bad: { seq: row.seq, event_id: row.event_id, reason: bad },
          };
        prev = row.hash;
        after = row.seq;
        entries += 1;
      }
      if (rows.length < VERIFY_CHUNK) return { ok: true, entries };
    }
  }
}

function checkEntry(row: AuditItem, prev: string): string | null {
  if (row.prev_hash !== prev) return 'prev_hash does not match the entry before';
  const expected = chainHash(prev, {
    stream: row.stream,
    stream_seq: row.stream_seq,
    event_id: row.event_id,
    type: row.type,
    time: row.time,
    ticket_id: row.ticket_id,
    integration_id: row.integration_id,
    actor: row.actor,
    correlation_id: row.correlation_id,
    payload: row.payload,
  });
  return expected === row.hash ? null : 'content does not match its hash';
}

function toItem(row: Record<string, unknown>): AuditItem {
  return {
    seq: Number(row.seq),
    event_id: row.event_id as string,
    type: row.type as string,
    time: (row.time as Date).toISOString(),
    stream: row.stream as string,
    stream_seq: Number(row.stream_seq),
    ticket_id: (row.ticket_id as string | null) ?? null,
    integration_id: (row.integration_id as string | null) ?? null,
    actor: (row.actor as string | null) ?? null,
    correlation_id: (row.correlation_id as string | null) ?? null,
    payload: row.payload,
    hash: row.hash as string,
    prev_hash: row.prev_hash as string,
  };
}

function parseLimit(value: unknown): number {
  if (value === undefined || value === '') return 100;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new BadRequestError('limit must be an integer from 1 to 1000', [
      { field: 'limit', message: 'must be an integer from 1 to 1000' },
    ]);
  }
  return limit;
}

function parseTime(field: string, value: unknown): string {
  const date = typeof value === 'string' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    throw new BadRequestError(`${field} must be an ISO 8601 time`, [
      { field, message: 'must be an ISO 8601 time' },
    ]);
  }
  return date.toISOString();
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`a:${seq}`).toString('base64url');
}

function decodeCursor(value: unknown): number {
  const text = typeof value === 'string' ? Buffer.from(value, 'base64url').toString() : '';
  const match = /^a:(\d{1,18})$/.exec(text);
  if (!match)
    throw new BadRequestError('after is not a cursor from this API', [
      { field: 'after', message: 'invalid cursor' },
    ]);
  return Number(match[1]);
}
