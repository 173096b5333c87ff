import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import type { StoredAuditEntry } from '@kera/domain';
import { NATS_CONNECTION } from '@kera/service';
import { encodeCursor, parseAuditQuery, type AuditFilter } from './audit-filter';
import {
  boundedEntriesSql,
  storedEntry,
  type BoundedEntryRow,
  type EntryRow,
} from './stored-entry';

/** One audit entry as queries answer it. */
export interface AuditItem extends StoredAuditEntry {
  /** Set (and `payload` null) when the payload alone is larger than one reply may be. */
  payload_omitted?: true;
}

export interface AuditPage {
  items: AuditItem[];
  /** Cursor of the next page (`after`); null on the last page. */
  next: string | null;
}

/** Room kept in a NATS reply for the envelope around the items. */
const REPLY_MARGIN_BYTES = 64 * 1024;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Filtered pages of the trail in seq order. Each filter has an index that
 * leads with it and ends with seq, so a page is an index range, not a scan
 * (docs/audit.md shows the plans). A page also stops before it outgrows
 * one NATS reply.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly db: DataSource,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  async query(input: unknown): Promise<AuditPage> {
    const filter = parseAuditQuery(input);
    const budget = (this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - REPLY_MARGIN_BYTES;
    const { sql, params } = auditPageQuery(filter, budget);
    const rows: BoundedEntryRow[] = await this.db.query(sql, params);
    return toPage(rows, filter.limit, budget);
  }
}

/**
 * The first seq recorded at or after a time. recorded_at never decreases
 * along seq, so the entries of a recorded-time range are those between two
 * such seqs, and a page is an index range of whichever index leads.
 */
const FIRST_RECORDED_AT = (param: string) =>
  `coalesce((SELECT seq FROM audit_entries WHERE recorded_at >= ${param}
              ORDER BY recorded_at, seq LIMIT 1), ${Number.MAX_SAFE_INTEGER})`;

/** The SQL of one page: filters as parameters, one more row than the limit to know of a next page. */
export function auditPageQuery(
  filter: AuditFilter,
  budgetBytes: number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.limit + 1, budgetBytes];
  const where: string[] = [];
  const add = (clause: (param: string) => string, value: unknown) => {
    params.push(value);
    where.push(clause(`$${params.length}`));
  };
  if (filter.ticket !== undefined) add((p) => `ticket_id = ${p}`, filter.ticket);
  if (filter.type !== undefined) add((p) => `type = ${p}`, filter.type);
  if (filter.integration !== undefined) add((p) => `integration_id = ${p}`, filter.integration);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.since !== undefined) add((p) => `seq >= ${FIRST_RECORDED_AT(p)}`, filter.since);
  if (filter.until !== undefined) add((p) => `seq < ${FIRST_RECORDED_AT(p)}`, filter.until);
  if (filter.after !== undefined) add((p) => `seq > ${p}`, filter.after);
  return { sql: boundedEntriesSql(where.join(' AND ')), params };
}

/**
 * The items that fit the budget (at least one, without its payload when it
 * alone is too large) and the cursor after the last, when more rows follow.
 */
function toPage(rows: BoundedEntryRow[], limit: number, budget: number): AuditPage {
  const items: AuditItem[] = [];
  let lastRow: BoundedEntryRow | undefined;
  for (const row of rows.slice(0, limit)) {
    const fits = Number(row.running_bytes) <= budget;
    if (!fits && items.length > 0) break;
    items.push(toItem(row, fits));
    lastRow = row;
  }
  const more = lastRow !== undefined && lastRow.next_seq !== null;
  return { items, next: more && lastRow ? encodeCursor(Number(lastRow.seq)) : null };
}

function toItem(row: EntryRow, withPayload: boolean): AuditItem {
  if (withPayload) return storedEntry(row);
  return { ...storedEntry({ ...row, payload_json: 'null' }), payload_omitted: true };
}
