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

/** The SQL of one page: filters as parameters, one more row than the limit to know of a next page. */
export function auditPageQuery(
  filter: AuditFilter,
  budgetBytes: number,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [filter.limit + 1, budgetBytes];
  const where: string[] = [];
  const add = (column: string, operator: string, value: unknown) => {
    params.push(value);
    where.push(`${column} ${operator} $${params.length}`);
  };
  if (filter.ticket !== undefined) add('ticket_id', '=', filter.ticket);
  if (filter.type !== undefined) add('type', '=', filter.type);
  if (filter.integration !== undefined) add('integration_id', '=', filter.integration);
  if (filter.actor !== undefined) add('actor', '=', filter.actor);
  if (filter.since !== undefined) add('time', '>=', filter.since);
  if (filter.until !== undefined) add('time', '<', filter.until);
  if (filter.after !== undefined) add('seq', '>', filter.after);
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
