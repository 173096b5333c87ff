import { BadRequestError, isRecord, type ProblemItem } from '@kera/contracts';
import { MAX_INDEXED_LENGTH } from '../entry/audit-record';

/** A validated audit query. */
export interface AuditFilter {
  ticket?: string;
  type?: string;
  integration?: string;
  actor?: string;
  /** ISO time; entries recorded at or after it. */
  since?: string;
  /** ISO time; entries recorded before it. */
  until?: string;
  /** Entries after this seq (from the cursor). */
  after?: number;
  limit: number;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const TEXT_FILTERS = ['ticket', 'type', 'integration', 'actor'] as const;
const FILTERS = [...TEXT_FILTERS, 'since', 'until', 'limit', 'after'] as const;

// A date, or a date and time with seconds optional and a zone required.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * Reads an audit query (HTTP query string or NATS command payload) and
 * answers 400 listing every problem, each naming its field.
 */
export function parseAuditQuery(input: unknown): AuditFilter {
  if (input !== undefined && !isRecord(input)) {
    throw new BadRequestError('the audit query must be an object of filters');
  }
  const query = input ?? {};
  const problems: ProblemItem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });

  for (const key of Object.keys(query)) {
    if (!(FILTERS as readonly string[]).includes(key)) {
      problem(key, `is not an audit filter; use ${FILTERS.join(', ')}`);
    }
  }
  const values = new Map<string, string>();
  for (const field of FILTERS) {
    const value = single(query[field], field, problem);
    if (value !== undefined) values.set(field, value);
  }

  const filter: AuditFilter = { limit: DEFAULT_LIMIT };
  for (const field of TEXT_FILTERS) {
    const value = values.get(field);
    if (value === undefined) continue;
    if (value.length > MAX_INDEXED_LENGTH)
      problem(field, `must be at most ${MAX_INDEXED_LENGTH} characters`);
    else filter[field] = field === 'ticket' ? value.toUpperCase() : value;
  }
  readTimes(values, filter, problem);
  readPaging(values, filter, problem);

  if (problems.length > 0) {
    const fields = [...new Set(problems.map((item) => item.field))].join(', ');
    throw new BadRequestError(`invalid audit query: ${fields}`, problems);
  }
  return filter;
}

/** A filter given once as text (numbers are accepted from NATS callers); empty means absent. */
function single(
  value: unknown,
  field: string,
  problem: (field: string, message: string) => void,
): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return value;
  problem(field, Array.isArray(value) ? 'must be given once' : 'must be a string');
  return undefined;
}

function readTimes(
  values: Map<string, string>,
  filter: AuditFilter,
  problem: (field: string, message: string) => void,
): void {
  for (const field of ['since', 'until'] as const) {
    const value = values.get(field);
    if (value === undefined) continue;
    const time = ISO_TIME.test(value) ? new Date(value) : null;
    if (!time || Number.isNaN(time.getTime())) {
      problem(field, 'must be an ISO 8601 date or time with zone, e.g. 2026-04-24T10:30:00Z');
    } else {
      filter[field] = time.toISOString();
    }
  }
  if (filter.since && filter.until && filter.since >= filter.until) {
    problem('until', 'must be later than since');
  }
}

function readPaging(
  values: Map<string, string>,
  filter: AuditFilter,
  problem: (field: string, message: string) => void,
): void {
  const limit = values.get('limit');
  if (limit !== undefined) {
    const parsed = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
    if (parsed >= 1 && parsed <= MAX_LIMIT) filter.limit = parsed;
    else problem('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  const after = values.get('after');
  if (after !== undefined) {
    const seq = decodeCursor(after);
    if (seq === null) problem('after', 'is not a cursor this API returned');
    else filter.after = seq;
  }
}

/** The opaque cursor of the page after the entry `seq`. */
export function encodeCursor(seq: number): string {
  return Buffer.from(`a:${seq}`).toString('base64url');
}

function decodeCursor(value: string): number | null {
  const match = /^a:(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString());
  return match ? Number(match[1]) : null;
}
