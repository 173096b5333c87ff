import { BadRequestError, TICKET_ID, isRecord, type ProblemItem } from '@kera/contracts';
import { isDeliveryId } from '../jobs/delivery-request';

/** A validated `deliveries.list` query. */
export interface DeliveryLogQuery {
  ticket: string | null;
  status: 'succeeded' | 'failed' | null;
  delivery: string | null;
  limit: number;
  /** Only attempts recorded before this row id (from the cursor). */
  before: number | null;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;
const CURSOR_PREFIX = 'd1.';

/** Checks every filter of a `deliveries.list` command; throws a 400 listing each bad one. */
export function parseDeliveryLogQuery(input: unknown): DeliveryLogQuery {
  const raw = isRecord(input) ? input : {};
  const problems: ProblemItem[] = [];
  const read = <T>(field: string, parse: (value: unknown) => T | null, message: string) => {
    const value = raw[field];
    if (value === undefined || value === null || value === '') return null;
    const parsed = parse(value);
    if (parsed === null) problems.push({ field, message });
    return parsed;
  };

  const query: DeliveryLogQuery = {
    ticket: read('ticket', ticketOf, 'must be a ticket id like KER-42'),
    status: read('status', statusOf, 'must be succeeded or failed'),
    delivery: read('delivery', deliveryOf, 'must be a delivery id (dlv_ and 26 characters)'),
    limit: read('limit', limitOf, `must be an integer from 1 to ${MAX_LIMIT}`) ?? DEFAULT_LIMIT,
    before: read('after', decodeCursor, 'must be a cursor that this API returned'),
  };
  if (problems.length > 0) throw new BadRequestError('the delivery log query is invalid', problems);
  return query;
}

/** The opaque cursor of the page after the row with this id. */
export function encodeCursor(rowId: number): string {
  return `${CURSOR_PREFIX}${Buffer.from(String(rowId)).toString('base64url')}`;
}

function decodeCursor(value: unknown): number | null {
  if (typeof value !== 'string' || !value.startsWith(CURSOR_PREFIX)) return null;
  const text = Buffer.from(value.slice(CURSOR_PREFIX.length), 'base64url').toString();
  const id = /^[1-9][0-9]{0,15}$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(id) ? id : null;
}

function ticketOf(value: unknown): string | null {
  const ticket = typeof value === 'string' ? value.toUpperCase() : '';
  return TICKET_ID.test(ticket) ? ticket : null;
}

function deliveryOf(value: unknown): string | null {
  return isDeliveryId(value) ? value : null;
}

function statusOf(value: unknown): 'succeeded' | 'failed' | null {
  return value === 'succeeded' || value === 'failed' ? value : null;
}

function limitOf(value: unknown): number | null {
  const limit = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
  return Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT ? limit : null;
}
